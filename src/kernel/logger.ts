/**
 * pino, JSON to stdout (journald rotates it on the gateway). Credential values are redacted
 * wherever they appear in a log object; modules take child loggers ({module: 'store:journal'}).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Paths that may carry a credential value in any log object. */
export const REDACT_PATHS = [
  'pin', '*.pin', 'pinDigest', '*.pinDigest', 'card', '*.card', 'value', '*.value',
  'secret', '*.secret', 'record.pin', 'record.card', 'presentation.value', 'presentation.pinDigest',
  'password', '*.password',
];

/** Root logger options: no `module` here — every module takes a child logger that names itself. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

/** A logger writing to `destination` (default stdout); pretty-printed when asked and available. */
export async function createLogger(level: string, pretty: 'auto' | 'always' | 'never', destination?: NodeJS.WritableStream): Promise<Logger> {
  const wantPretty = pretty === 'always' || (pretty === 'auto' && destination === undefined && process.stdout.isTTY === true);
  if (wantPretty) {
    try {
      const { default: prettyStream } = await import('pino-pretty');
      return pino(loggerOptions(level), prettyStream({ sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
    } catch {
      // pino-pretty is a development dependency; production logs JSON
    }
  }
  return destination ? pino(loggerOptions(level), destination as never) : pino(loggerOptions(level));
}

/**
 * pino, to stdout (journald keeps and rotates it on the gateway). Credential values are redacted
 * wherever they appear in a log object — pino redacts before anything is written, so both
 * formats only ever see the censored record. Modules take child loggers ({module: 'store:journal'}).
 *
 * Two formats (config `log.format`, docs/systemd.md): `text` (default) is one readable line per
 * record (kernel/logText.ts); `json` is pino's JSON line. When the output is the journal
 * (JOURNAL_STREAM names it), each line starts with its syslog priority `<N>`, in both formats.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { isJournalStream, journalPriority } from './journalStream.js';
import { textLine, timeFormat } from './logText.js';

/** Paths that may carry a credential value in any log object. */
export const REDACT_PATHS = [
  'pin', '*.pin', 'pinDigest', '*.pinDigest', 'card', '*.card', 'value', '*.value',
  'secret', '*.secret', 'record.pin', 'record.card', 'presentation.value', 'presentation.pinDigest',
  'password', '*.password',
];

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Root logger options: no `module` here — every module takes a child logger that names itself. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

export interface LogOutput {
  /** where lines go; default file descriptor 1 (stdout) */
  destination?: NodeJS.WritableStream;
  /** the descriptor `destination` writes to, to recognise the journal (default 1 without a destination) */
  fd?: number;
  /** where JOURNAL_STREAM is read (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** the zone of the text format's times (default the host's) */
  timeZone?: string;
}

/**
 * A pino destination that rewrites each record: as a readable line (text) and/or behind its
 * journal priority. pino hands it one complete JSON record per write.
 */
function rewritingStream(sink: { write(s: string): unknown }, format: LogFormat, journal: boolean, timeZone: string | undefined): DestinationStream {
  const formatTime = timeFormat(timeZone);
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        sink.write(line); // not a record pino made: pass it on untouched
        return;
      }
      const body = format === 'text' ? textLine(record, formatTime) : line.trimEnd();
      const prefix = journal ? `<${journalPriority(typeof record.level === 'number' ? record.level : 30)}>` : '';
      sink.write(`${prefix}${body}\n`);
    },
  };
}

/** The root logger: `level`, in `format`, to stdout or `output.destination`. */
export function createLogger(level: string, format: LogFormat, output: LogOutput = {}): Logger {
  const fd = output.fd ?? (output.destination === undefined ? 1 : undefined);
  const journal = fd !== undefined && isJournalStream(fd, output.env ?? process.env);
  const sink = output.destination ?? pino.destination({ dest: fd ?? 1, sync: true });
  if (format === 'json' && !journal) return pino(loggerOptions(level), sink as DestinationStream);
  return pino(loggerOptions(level), rewritingStream(sink, format, journal, output.timeZone));
}

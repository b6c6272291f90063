/**
 * Running a stream verb of the control socket (watch, door test, learn, fingerprint): connect,
 * prove the caller for a real-door verb, send the request, print each line as it comes (`--json`:
 * each line as it came), and turn the last line into an exit code. Ctrl-C (SIGINT) closes the
 * connection (the daemon ends what it can: a learn mode is cancelled) and exits 0.
 */
import { isGatewayError } from '../kernel/gatewayError.js';
import type { ControlRequestInput, StreamLine } from '../wire/controlProtocol.js';
import { EXIT, type Out } from './cliContext.js';
import { controlExitCode } from './controlCommand.js';
import { ControlSession, proveCaller } from './controlClient.js';

export interface StreamVerb {
  request: Extract<ControlRequestInput, { command: 'watch' | 'doorTest' | 'learn' | 'fingerprint' }>;
  /** a real-door verb: the caller proves its uid first */
  prove: boolean;
  json: boolean;
  /** the readable lines of one stream line (the `started` line included) */
  format(line: StreamLine, timeZone: string): string[];
  /** after a stream that ended well: the exit code it means (a door test with an offline device: 1) */
  verdict?(lines: readonly StreamLine[]): number;
}

export async function runStreamVerb(verb: StreamVerb, socketPath: string, out: Out, err: Out): Promise<number> {
  let session: ControlSession;
  try {
    session = await ControlSession.open(socketPath);
  } catch (e) {
    if (!isGatewayError(e)) throw e;
    err(`lockgw: ${e.message}${e.details.hint ? `\nhint: ${e.details.hint}` : ''}`);
    return EXIT.error;
  }
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    session.close();
  };
  process.once('SIGINT', onInterrupt);
  try {
    if (verb.prove) {
      const proved = await proveCaller(session);
      if (!proved.ok) {
        err(`lockgw: ${proved.error}`);
        return controlExitCode(proved.code);
      }
    }
    const seen: StreamLine[] = [];
    let zone = 'UTC';
    const show = (line: StreamLine) => {
      seen.push(line);
      if (line.ok && line.stream === 'started') zone = line.timeZone;
      if (verb.json) out(JSON.stringify(line));
      else for (const text of verb.format(line, zone)) out(text);
    };
    const last = await session.stream(verb.request, show);
    if (!last.ok) {
      if (verb.json) out(JSON.stringify(last));
      err(`lockgw: ${last.error}`);
      return controlExitCode(last.code);
    }
    show(last);
    return verb.verdict?.(seen) ?? EXIT.ok;
  } catch (e) {
    if (interrupted) return EXIT.ok;
    if (!isGatewayError(e)) throw e;
    err(`lockgw: ${e.message}`);
    return EXIT.error;
  } finally {
    process.off('SIGINT', onInterrupt);
    session.close();
  }
}

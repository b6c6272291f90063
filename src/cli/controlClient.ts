/**
 * The client side of the control socket: a session sends requests one at a time on one
 * connection and reads their answers in order; `proveCaller` proves this process's uid with the
 * file-ownership proof (src/wire/controlProtocol.ts) before a real-door verb; `stream` sends a
 * stream request and hands each line to a callback until the last one.
 */
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { proofFileName, type ControlCaller, type ControlRequest, type ControlRequestInput, type ControlResponse, type StreamLine } from '../wire/controlProtocol.js';
import { GatewayError } from '../kernel/gatewayError.js';

export class ControlSession {
  private buffer = '';
  /** who takes the next line: `take` returns true when it was the last line it waits for */
  private readonly waiting: Array<{ take: (line: unknown) => boolean; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;

  private constructor(
    readonly path: string,
    private readonly socket: Socket,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new GatewayError('DEVICE_ERROR', `the control socket ${path} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new GatewayError('DEVICE_ERROR', `the daemon closed the control socket ${path}`)));
  }

  static open(path: string): Promise<ControlSession> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const refused = (err: NodeJS.ErrnoException) => {
        const missing = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
        reject(new GatewayError('NOT_STARTED', missing ? `no lockgw daemon is listening on ${path}` : `cannot reach ${path}: ${err.message}`, {
          hint: missing ? 'start it with npm start (or systemctl start lockgw), with the same --config' : 'check the socket permissions (mode 0660, group control.group)',
        }));
      };
      socket.once('error', refused);
      socket.once('connect', () => {
        socket.off('error', refused);
        resolve(new ControlSession(path, socket));
      });
    });
  }

  request(request: ControlRequest): Promise<ControlResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ take: (line) => (resolve(line as ControlResponse), true), reject });
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  /**
   * Sends a stream request (watch, doorTest, learn, fingerprint): every line but the last goes
   * to `onLine`; resolves with the last (`end`, or a failure). Rejects when the connection breaks.
   */
  stream(request: Extract<ControlRequestInput, { command: 'watch' | 'doorTest' | 'learn' | 'fingerprint' }>, onLine: (line: StreamLine) => void): Promise<StreamLine> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const take = (raw: unknown): boolean => {
        const line = raw as StreamLine;
        if (!line.ok || line.stream === 'end') {
          resolve(line);
          return true;
        }
        onLine(line);
        return false;
      };
      this.waiting.push({ take, reject });
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.socket.end();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      let response: ControlResponse;
      try {
        response = JSON.parse(line) as ControlResponse;
      } catch (err) {
        this.fail(new GatewayError('INPUT_INVALID', `the daemon answered something that is not JSON: ${(err as Error).message}`));
        return;
      }
      const next = this.waiting[0];
      if (next) {
        if (next.take(response)) this.waiting.shift();
      } else if (!response.ok) this.fail(new GatewayError('UNAVAILABLE', `the daemon said: ${response.error}`)); // BUSY, IDLE_TIMEOUT
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}

/**
 * Proves this process's uid to the daemon: asks for a challenge, creates the proof file in the
 * socket's directory (never following or replacing anything), answers, and removes the file.
 * Returns the failed response when the daemon refused.
 */
export async function proveCaller(session: ControlSession): Promise<{ ok: true; caller: ControlCaller } | Extract<ControlResponse, { ok: false }>> {
  const challenge = await session.request({ command: 'challenge' });
  if (!challenge.ok) return challenge;
  if (!challenge.challenge) throw new GatewayError('INPUT_INVALID', 'the daemon sent no challenge');
  const file = join(dirname(session.path), proofFileName(challenge.challenge));
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    throw new GatewayError('UNAVAILABLE', `cannot create the proof file ${file}: ${(err as Error).message}`, {
      hint: 'the socket directory must be writable by the caller (e.g. /run/lockgw, mode 1770, group control.group)',
    });
  }
  try {
    try {
      writeSync(fd, challenge.challenge);
    } finally {
      closeSync(fd);
    }
    const proved = await session.request({ command: 'prove', challenge: challenge.challenge });
    if (!proved.ok) return proved;
    if (!proved.caller) throw new GatewayError('INPUT_INVALID', 'the daemon accepted the proof but named no caller');
    return { ok: true, caller: proved.caller };
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // the daemon removed it already
    }
  }
}

/**
 * One client of the control socket: reads request lines, answers each in order, and stays
 * bounded. A line longer than MAX_REQUEST_BYTES (MAX_PROVEN_REQUEST_BYTES once the caller proved
 * its uid) is refused and the connection closed. When the
 * replies the client has not read exceed `maxUnreadBytes`, reading stops (the socket is paused)
 * until they drain: a client that sends and never reads costs at most that, plus one read
 * chunk of requests. A connection with no request for `idleMs` (on the injected Clock) is told so
 * and closed; one whose replies are stuck is simply destroyed.
 *
 * A stream request (watch, door test, learn, fingerprint) makes the connection the stream's: no
 * further request is read until it ends, and the idle timeout does not run (the daemon, not the
 * client, is the one talking). When the lines the client has not read pass `maxUnreadBytes`,
 * the stream is dropped, not buffered: it stops, one last TOO_SLOW line is queued, the
 * connection ends, and it is destroyed if it has not drained within `idleMs`. A stream that
 * ends by itself gives the connection back to requests.
 */
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { MAX_PROVEN_REQUEST_BYTES, MAX_REQUEST_BYTES, type StreamLine } from '../wire/controlProtocol.js';
import { handleLine, type RequestContext, type Session } from './controlRequests.js';
import { runStream } from './controlStreams.js';
import { StreamScope } from './streamScope.js';

export interface ConnectionLimits {
  idleMs: number;
  maxUnreadBytes: number;
}

export interface ConnectionEvents {
  /** reading stopped: the client's unread replies reached this many bytes */
  paused(bufferedBytes: number): void;
  /** a stream was dropped: the client left this many bytes unread */
  dropped(unreadBytes: number): void;
  closed(): void;
}

export class ControlConnection {
  private pending = '';
  private paused = false;
  private idle: TimerHandle | null = null;
  private closing = false;
  private readonly session: Session = { challenge: null, caller: null };
  private stream: StreamScope | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: RequestContext,
    private readonly clock: Clock,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
  ) {}

  start(): void {
    const socket = this.socket;
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.clock.clearTimeout(this.idle);
      this.idle = null;
      this.stream?.stop();
      this.stream = null;
      this.events.closed();
    });
    socket.on('data', (chunk: string) => {
      if (!this.stream) this.touch();
      this.pending += chunk;
      this.pump();
    });
    this.touch();
  }

  /** bytes held for this client: unread replies, unparsed requests, read but unconsumed input */
  bufferedBytes(): number {
    return this.socket.writableLength + Buffer.byteLength(this.pending) + this.socket.readableLength;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private touch(): void {
    this.clock.clearTimeout(this.idle);
    this.idle = this.clock.setTimeout(() => this.close('IDLE_TIMEOUT', `no request for ${this.limits.idleMs / 1000} s: closing`), this.limits.idleMs);
  }

  private pump(): void {
    while (!this.paused && !this.closing && !this.stream) {
      const newline = this.pending.indexOf('\n');
      if (newline < 0) break;
      if (newline > this.maxRequestBytes()) return this.close('INPUT_INVALID', `request longer than ${this.maxRequestBytes()} bytes`);
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      const answer = handleLine(this.ctx, this.session, line);
      if ('stream' in answer) {
        this.startStream(answer.stream);
        continue;
      }
      const flowing = this.socket.write(`${JSON.stringify(answer)}\n`);
      // 'drain' comes only after write() said false, so the bound is at least the socket's high-water mark
      if (!flowing && this.socket.writableLength > this.limits.maxUnreadBytes) this.pause();
    }
    if (!this.paused && this.pending.length > this.maxRequestBytes()) this.close('INPUT_INVALID', `request longer than ${this.maxRequestBytes()} bytes`);
  }

  /** a caller that proved its uid may send a file with an admin verb; anyone else a short line */
  private maxRequestBytes(): number {
    return this.session.caller === null ? MAX_REQUEST_BYTES : MAX_PROVEN_REQUEST_BYTES;
  }

  private startStream(request: Parameters<typeof runStream>[2]): void {
    this.clock.clearTimeout(this.idle);
    this.idle = null;
    const scope: StreamScope = new StreamScope(this.clock, {
      send: (line) => this.streamLine(scope, line),
      end: (line) => {
        if (this.stream !== scope) return;
        this.stream = null;
        this.streamLine(scope, line);
        if (this.closing) return;
        this.touch();
        this.pump();
      },
    }, this.ctx.logger);
    this.stream = scope;
    runStream(this.ctx, this.session, request, scope);
  }

  /** One line of a stream; past the unread bound the stream is dropped with one last line. */
  private streamLine(scope: StreamScope, line: StreamLine): void {
    if (this.closing) return;
    this.socket.write(`${JSON.stringify(line)}\n`);
    const unread = this.socket.writableLength;
    if (unread <= this.limits.maxUnreadBytes) return;
    scope.stop();
    this.stream = null;
    this.closing = true;
    this.pending = '';
    this.events.dropped(unread);
    this.socket.write(`${JSON.stringify({ ok: false, code: 'TOO_SLOW', error: `dropped: this client left more than ${this.limits.maxUnreadBytes} bytes of the stream unread (the daemon does not buffer for a slow reader); reconnect to start again` })}\n`);
    this.socket.end();
    const unstuck = this.clock.setTimeout(() => this.socket.destroy(), this.limits.idleMs);
    this.socket.once('close', () => this.clock.clearTimeout(unstuck));
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
    this.events.paused(this.bufferedBytes());
    this.socket.once('drain', () => {
      this.paused = false;
      this.pump();
      if (!this.paused) this.socket.resume();
    });
  }

  /** One last line, then the connection ends; a client that reads nothing is cut off at once. */
  private close(code: string, error: string): void {
    if (this.closing) return;
    this.closing = true;
    this.pending = '';
    if (this.socket.writableLength > 0) {
      this.socket.destroy();
      return;
    }
    this.socket.write(`${JSON.stringify({ ok: false, code, error })}\n`);
    this.socket.destroySoon();
  }
}

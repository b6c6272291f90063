/**
 * One running stream of the control socket (docs/control-socket.md "Streams"): where its lines
 * go, the timers it waits on (the injected Clock), and what to undo when it stops. A stream
 * stops when it ends itself (`end`), or from outside (`stop`: the client closed, fell behind,
 * or the server stops); either way every cleanup runs once and every sleep resolves false.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { StreamLine } from '../wire/controlProtocol.js';

export interface StreamSink {
  /** a line for the client; the connection may stop the stream from inside (it fell behind) */
  send(line: StreamLine): void;
  /** the last line: the stream is over and the connection reads requests again */
  end(line: StreamLine): void;
}

export class StreamScope {
  private stopped = false;
  private readonly cleanups: (() => void)[] = [];
  private readonly sleeps = new Set<{ timer: TimerHandle; wake: (ran: boolean) => void }>();

  constructor(
    private readonly clock: Clock,
    private readonly sink: StreamSink,
    private readonly log: Logger,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  send(line: StreamLine): void {
    if (!this.stopped) this.sink.send(line);
  }

  /** Sends the last line and stops. */
  end(line: StreamLine): void {
    if (this.stopped) return;
    this.stop();
    this.sink.end(line);
  }

  /** Runs `cleanup` when the stream stops (at once when it has stopped already). */
  onStop(cleanup: () => void): void {
    if (this.stopped) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Waits `ms` on the clock: true when the time passed, false when the stream stopped first. */
  sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const sleep = {
        timer: this.clock.setTimeout(() => {
          this.sleeps.delete(sleep);
          resolve(true);
        }, ms),
        wake: resolve,
      };
      this.sleeps.add(sleep);
    });
  }

  /** Stops without a last line (the connection's side: the client is gone or too slow). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.sleeps) {
      this.clock.clearTimeout(s.timer);
      s.wake(false);
    }
    this.sleeps.clear();
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch (err) {
        // a cleanup that throws must not keep the others from running
        this.log.error({ err }, 'a control stream cleanup failed');
      }
    }
  }
}

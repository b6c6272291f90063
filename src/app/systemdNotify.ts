/**
 * The daemon's side of systemd's notify protocol (sd_notify(3), docs/systemd.md): READY=1 once
 * the doors run, STATUS= one-line summaries, STOPPING=1 at stop, and WATCHDOG=1 at half of
 * WATCHDOG_USEC from a timer on the doors' event loop — a loop that is stuck sends nothing, and
 * systemd restarts the service after WatchdogSec.
 *
 * The datagrams go through one long-lived sender process (notifySender.ts: why). Notifications
 * are sent one at a time, in order; a watchdog ping already waiting is not queued twice.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { NotifySender } from './notifySender.js';

export interface SystemdNotifyDeps {
  clock: Clock;
  logger: Logger;
  /** the perl program fromEnv's sender runs on (default: found on the PATH) */
  perl?: string;
}

/** The watchdog ping interval the environment asks for (half of WATCHDOG_USEC), or null: no watchdog. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  // WATCHDOG_PID names the process the watchdog is for; a child that inherited it is not
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2_000));
}

/** how long stopping() waits for the last notifications before the daemon exits anyway */
const STOP_WAIT_MS = 3_000;

/** A status text as one line: systemd shows STATUS= in `systemctl status`, one line of it. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ');
}

export class SystemdNotify {
  private readonly log: Logger;
  private readonly queue: string[][] = [];
  private draining: Promise<void> | null = null;
  private watchdog: TimerHandle | null = null;
  private lastFailure: string | null = null;

  /** The notifier systemd asked for (NOTIFY_SOCKET set), or null when lockgw runs outside a Type=notify unit. */
  static fromEnv(env: NodeJS.ProcessEnv, deps: SystemdNotifyDeps): SystemdNotify | null {
    const socket = env.NOTIFY_SOCKET;
    if (socket === undefined || socket === '') return null;
    return new SystemdNotify(new NotifySender(socket, deps.perl), watchdogIntervalMs(env, process.pid), deps);
  }

  constructor(
    /** what sends the datagrams (its socket is NOTIFY_SOCKET) */
    private readonly sender: NotifySender,
    /** ms between WATCHDOG=1 pings; null: the unit has no WatchdogSec */
    readonly watchdogMs: number | null,
    private readonly deps: SystemdNotifyDeps,
  ) {
    this.log = deps.logger.child({ module: 'systemd' });
  }

  get socket(): string {
    return this.sender.socket;
  }

  /**
   * Starts the sender. Call it early, while the daemon is small (it is one fork). A sender that
   * cannot start is not an error here: the first notification tries again and logs why it failed
   * (the doors run without systemd's notifications; systemd times out the start).
   */
  async start(): Promise<void> {
    await this.sender.start().catch(() => undefined);
  }

  /** The doors run: READY=1 with a status line, and the watchdog pings begin. */
  ready(status: string): void {
    this.send(['READY=1', `STATUS=${oneLine(status)}`]);
    this.log.debug({ socket: this.socket, watchdogMs: this.watchdogMs }, 'told systemd lockgw is ready');
    this.feedLater();
  }

  status(status: string): void {
    this.send([`STATUS=${oneLine(status)}`]);
  }

  /**
   * The daemon stops: STOPPING=1, no more pings. Resolves once everything queued is sent (or
   * failed) and the sender has exited — or after STOP_WAIT_MS on the clock, so that a sender that
   * hangs never holds the daemon's exit.
   */
  async stopping(status = 'stopping'): Promise<void> {
    this.deps.clock.clearTimeout(this.watchdog);
    this.watchdog = null;
    this.send(['STOPPING=1', `STATUS=${oneLine(status)}`]);
    let guard: TimerHandle | null = null;
    const givenUp = new Promise<void>((resolve) => (guard = this.deps.clock.setTimeout(resolve, STOP_WAIT_MS)));
    const done = (async () => {
      await this.draining;
      await this.sender.stop();
    })();
    await Promise.race([done, givenUp]);
    this.deps.clock.clearTimeout(guard);
  }

  /** the next ping, on the doors' loop: when that loop is stuck, this timer does not fire */
  private feedLater(): void {
    if (this.watchdogMs === null) return;
    this.deps.clock.clearTimeout(this.watchdog);
    this.watchdog = this.deps.clock.setTimeout(() => {
      this.watchdog = null;
      if (!this.queue.some((m) => m[0] === 'WATCHDOG=1')) this.send(['WATCHDOG=1']);
      this.feedLater();
    }, this.watchdogMs);
  }

  private send(assignments: string[]): void {
    this.queue.push(assignments);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const failure = await this.deliver(next);
      if (failure === null) {
        if (this.lastFailure !== null) this.log.info({ socket: this.socket }, 'systemd notifications are delivered again');
        this.lastFailure = null;
      } else if (failure !== this.lastFailure) {
        // said once until it changes or recovers (a failing watchdog ping repeats every few seconds)
        this.log.error({ socket: this.socket, notification: next[0] }, `cannot notify systemd: ${failure} (systemd will time out the start or the watchdog and restart lockgw)`);
        this.lastFailure = failure;
      }
    }
  }

  /** null when it was sent, else why not; a sender that died is started again (one fork) */
  private async deliver(assignments: string[]): Promise<string | null> {
    if (!this.sender.running) {
      try {
        await this.sender.start();
      } catch (err) {
        return (err as Error).message;
      }
    }
    return this.sender.send(assignments.join('\n'));
  }
}

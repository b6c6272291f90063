/**
 * The daemon's side of systemd's notify protocol (sd_notify(3), docs/systemd.md): READY=1 once
 * the doors run, STATUS= one-line summaries, STOPPING=1 at stop, and WATCHDOG=1 at half of
 * WATCHDOG_USEC from a timer on the doors' event loop — a loop that is stuck sends nothing, and
 * systemd restarts the service after WatchdogSec.
 *
 * Node cannot send a unix datagram (dgram is UDP only), so each notification is one run of
 * `systemd-notify` (part of systemd; no native addon to build on a Pi). It runs in its default
 * synchronous mode: it waits until the manager has read the message, so the message is not lost
 * when the short-lived sender has exited before systemd looks it up (the unit needs
 * NotifyAccess=all). Notifications are sent one at a time, in order; a watchdog ping already
 * waiting is not queued twice.
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';

export interface SystemdNotifyDeps {
  clock: Clock;
  logger: Logger;
  /** the systemd-notify program (default: found on the PATH) */
  command?: string;
}

/** The watchdog ping interval the environment asks for (half of WATCHDOG_USEC), or null: no watchdog. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  // WATCHDOG_PID names the process the watchdog is for; a child that inherited it is not
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2_000));
}

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
    return new SystemdNotify(socket, watchdogIntervalMs(env, process.pid), deps);
  }

  constructor(
    readonly socket: string,
    /** ms between WATCHDOG=1 pings; null: the unit has no WatchdogSec */
    readonly watchdogMs: number | null,
    private readonly deps: SystemdNotifyDeps,
  ) {
    this.log = deps.logger.child({ module: 'systemd' });
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

  /** The daemon stops: STOPPING=1, no more pings; resolves once everything queued is delivered (or failed). */
  async stopping(status = 'stopping'): Promise<void> {
    this.deps.clock.clearTimeout(this.watchdog);
    this.watchdog = null;
    this.send(['STOPPING=1', `STATUS=${oneLine(status)}`]);
    await this.draining;
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

  /** one run of systemd-notify; null when it delivered, else why not */
  private deliver(assignments: string[]): Promise<string | null> {
    const command = this.deps.command ?? 'systemd-notify';
    return new Promise((resolve) => {
      let stderr = '';
      const child = spawn(command, assignments, { env: { ...process.env, NOTIFY_SOCKET: this.socket }, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.once('error', (err) => resolve(`${command}: ${err.message}`));
      child.once('close', (code, signal) => resolve(code === 0 ? null : `${command} exited ${code ?? signal}: ${stderr.trim() || 'no message'}`));
    });
  }
}

/**
 * One watched line read through the libgpiod tools (the contract is gpioLineSource.ts). An
 * attempt is: detect the tools' version (shared by the source), `gpioget` for the level now,
 * then `gpiomon` for the edges; the initial level is reported once gpiomon holds the line (2.x:
 * its banner; 1.6 prints none, so: once it was spawned). Any failure is reported once per
 * attempt with a reason, the processes of the attempt are killed, and the next attempt starts
 * after a backoff on the clock: `backoffMs`, doubling to `maxBackoffMs`, back to `backoffMs`
 * after a reader that had run for `stableMs`.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { guardedEmit } from '../../kernel/guardedEmit.js';
import { exitReason, gpiogetArgs, gpiomonArgs, parseLevel, parseMonitorLine, unstartableReason, type VersionOutcome } from './gpiodCli.js';
import type { GpioLineSpec, GpioLineWatch, GpioWatchCounters, GpioWatchEvents } from './gpioLineSource.js';
import { startTool, type ToolEnd, type ToolProcess } from './toolProcess.js';

export interface GpiodToolWatchDeps {
  clock: Clock;
  log: Logger;
  gpioget: string;
  gpiomon: string;
  detectVersion(): Promise<VersionOutcome>;
  backoffMs: number;
  maxBackoffMs: number;
  stableMs: number;
  killTimeoutMs: number;
}

export class GpiodToolWatch extends EventEmitter<GpioWatchEvents> implements GpioLineWatch {
  readonly #spec: GpioLineSpec;
  readonly #deps: GpiodToolWatchDeps;
  readonly #processes = new Set<ToolProcess>();
  #counters: GpioWatchCounters = { malformed: 0, restarts: 0 };
  #closed = false;
  #retry: TimerHandle | null = null;
  #delay: number;
  /** the attempt that is running; a failure of an older one is ignored */
  #attempt = 0;
  #failedAttempt = -1;
  #heldSince: number | null = null;
  /** the processes of a failed attempt, being killed: the next attempt waits for them (they hold the line) */
  #dying: Promise<unknown> = Promise.resolve();

  constructor(spec: GpioLineSpec, deps: GpiodToolWatchDeps) {
    super();
    this.#spec = spec;
    this.#deps = deps;
    this.#delay = deps.backoffMs;
  }

  /** Starts the first attempt on the next tick (the caller attaches its listeners first). */
  begin(): void {
    setImmediate(() => void this.#run(this.#attempt));
  }

  counters(): GpioWatchCounters {
    return { ...this.#counters };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#deps.clock.clearTimeout(this.#retry);
    this.#retry = null;
    await Promise.all([...this.#processes].map((p) => p.kill()));
  }

  async #run(attempt: number): Promise<void> {
    if (this.#stale(attempt)) return;
    const outcome = await this.#deps.detectVersion();
    if (this.#stale(attempt)) return;
    if (!outcome.ok) return this.#fail(attempt, outcome.reason);
    const major = outcome.version.major;

    let level: boolean | null = null;
    let lines = 0;
    const get = this.#start(this.#deps.gpioget, gpiogetArgs(major, this.#spec), (line) => {
      lines += 1;
      if (lines === 1) level = parseLevel(line);
      else this.#malformed(line);
    });
    const end = await get.ended;
    this.#processes.delete(get);
    if (this.#stale(attempt)) return;
    if (end.kind !== 'exited' || end.code !== 0) return this.#fail(attempt, this.#reason('gpioget', this.#deps.gpioget, end));
    if (level === null) {
      this.#counters.malformed += 1;
      return this.#fail(attempt, `gpioget printed no level for ${this.#spec.chip} line ${this.#spec.line}`);
    }
    const initial: boolean = level;

    const hold = () => {
      if (this.#heldSince !== null || this.#stale(attempt)) return;
      this.#heldSince = this.#deps.clock.now();
      this.#emit('level', initial, true);
    };
    const mon = this.#start(this.#deps.gpiomon, gpiomonArgs(major, this.#spec), (line) => {
      if (this.#stale(attempt)) return;
      const parsed = parseMonitorLine(major, line, this.#spec.line);
      if (parsed.kind === 'banner') hold();
      else if (parsed.kind === 'edge' && this.#heldSince !== null) this.#emit('level', parsed.high, false);
      else this.#malformed(line);
    }, major === 1 ? hold : undefined);
    const monEnd = await mon.ended;
    this.#processes.delete(mon);
    if (this.#stale(attempt)) return;
    this.#fail(attempt, this.#reason('gpiomon', this.#deps.gpiomon, monEnd));
  }

  #start(command: string, args: string[], onLine: (line: string) => void, onSpawn?: () => void): ToolProcess {
    const process = startTool({ command, args, clock: this.#deps.clock, killTimeoutMs: this.#deps.killTimeoutMs, onLine, onSpawn });
    this.#processes.add(process);
    return process;
  }

  #reason(tool: 'gpioget' | 'gpiomon', command: string, end: ToolEnd): string {
    return end.kind === 'unstartable' ? unstartableReason(command, end.errno) : exitReason(tool, this.#spec, end);
  }

  #stale(attempt: number): boolean {
    return this.#closed || attempt !== this.#attempt || this.#failedAttempt === attempt;
  }

  #malformed(line: string): void {
    const count = (this.#counters.malformed += 1);
    // a tool that prints garbage in a loop must not flood the journal: the 1st, 10th, 100th, ...
    if (Number.isInteger(Math.log10(count))) {
      this.#deps.log.warn({ line: line.slice(0, 80), malformed: count }, 'dropped a line the GPIO tool printed that is not a level');
    }
  }

  #fail(attempt: number, reason: string): void {
    if (this.#stale(attempt)) return;
    this.#failedAttempt = attempt;
    const ranFor = this.#heldSince === null ? 0 : this.#deps.clock.now() - this.#heldSince;
    if (ranFor >= this.#deps.stableMs) this.#delay = this.#deps.backoffMs;
    this.#heldSince = null;
    this.#dying = Promise.all([...this.#processes].map((p) => p.kill()));
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.#deps.maxBackoffMs);
    this.#deps.log.debug({ reason, retryInMs: delay }, 'GPIO line watch failed');
    this.#emit('failed', reason);
    this.#retry = this.#deps.clock.setTimeout(() => {
      this.#retry = null;
      if (this.#closed) return;
      this.#counters.restarts += 1;
      this.#attempt += 1;
      const next = this.#attempt;
      void this.#dying.then(() => this.#run(next));
    }, delay);
  }

  #emit<K extends keyof GpioWatchEvents & string>(event: K, ...args: GpioWatchEvents[K]): void {
    if (this.#closed) return;
    guardedEmit(this, (err, name) => this.#deps.log.error({ err, event: name }, 'a GPIO watch listener threw; the watch carries on'), event, ...args);
  }
}

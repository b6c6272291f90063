/**
 * A door contact, REX button or fire-panel contact on one of the gateway's own GPIO lines
 * (a DoorSensor, src/hal/types.ts). The line is read through a GpioLineSource (the libgpiod
 * tools in production); this class adds what a door needs on top:
 *  - polarity: `activeLow` inverts, so `value()` true always means open / pressed / alarm;
 *  - debounce on the clock: after an edge the new level must hold `debounceMs` before it counts,
 *    every further edge restarts the wait, and a bounce back to the level that counts cancels it.
 *    A level read at (re)start counts at once. `change` is emitted only when the debounced,
 *    polarity-corrected level differs from the one last reported (start() reads without one);
 *  - health: online while the source reads the line, offline with the source's reason when it
 *    cannot; a level that changed meanwhile is reported when the line reads again.
 * GPIO inputs are unsupervised (no end-of-line resistors): wiringFault() is always null.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { DeviceBase, STOPPED } from '../deviceBase.js';
import type { DoorSensor, SensorEvents, SensorInput } from '../types.js';
import { chipPath, GpioInputSchema, type GpioInputConfig } from './gpioConfig.js';
import { describeLine, type GpioLineSource, type GpioLineSpec, type GpioLineWatch } from './gpioLineSource.js';

export interface GpioInputOptions {
  id: string;
  input: SensorInput;
  config: GpioInputConfig;
  source: GpioLineSource;
  clock: Clock;
  logger: Logger;
  /** start() resolves offline after this if the source said nothing yet. Default 5000 */
  startTimeoutMs?: number;
}

export class GpioInput extends DeviceBase<SensorEvents> implements DoorSensor {
  readonly kind = 'sensor' as const;
  readonly input: SensorInput;
  readonly #options: GpioInputOptions;
  #config: GpioInputConfig | null = null;
  #watch: GpioLineWatch | null = null;
  /** the debounced physical level while the line reads; undefined otherwise */
  #stable: boolean | undefined;
  #debounce: TimerHandle | null = null;
  /** the polarity-corrected level listeners last heard about (or start() read) */
  #reported: boolean | undefined;

  constructor(options: GpioInputOptions) {
    super({ id: options.id, clock: options.clock, log: options.logger.child({ module: 'hal:gpio', sensor: options.id }) });
    this.input = options.input;
    this.#options = options;
  }

  value(): boolean | undefined {
    if (this.#stable === undefined || this.#config === null) return undefined;
    return this.#stable !== this.#config.activeLow;
  }

  /** GPIO inputs are unsupervised: never a wiring fault */
  wiringFault(): null {
    return null;
  }

  async start(): Promise<void> {
    if (this.#watch) return;
    const parsed = GpioInputSchema.safeParse(this.#options.config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join('.');
      throw new GatewayError('CONFIG_INVALID', `GPIO input ${this.id}: ${field || 'config'} ${issue.message}`, { id: this.id, field });
    }
    const config = parsed.data;
    this.#config = config;
    const spec: GpioLineSpec = { chip: chipPath(config.chip), line: config.line, bias: config.bias, debounceMs: config.debounceMs };
    const watch = this.#options.source.watch(spec);
    this.#watch = watch;
    await new Promise<void>((resolve) => {
      const limit = this.#options.startTimeoutMs ?? 5000;
      const timer = this.clock.setTimeout(() => {
        this.setHealth('offline', `no reading from ${describeLine(spec)} within ${limit} ms`);
        resolve();
      }, limit);
      const first = () => {
        this.clock.clearTimeout(timer);
        resolve();
      };
      watch.on('level', (high, initial) => {
        if (initial) this.#read(high);
        else this.#edge(high);
        first();
      });
      watch.on('failed', (reason) => {
        this.#lost(reason);
        first();
      });
    });
  }

  async stop(): Promise<void> {
    const watch = this.#watch;
    this.#watch = null;
    this.#cancelDebounce();
    this.#stable = undefined;
    if (watch) {
      await watch.close();
      watch.removeAllListeners();
    }
    this.setHealth('offline', STOPPED);
  }

  #read(high: boolean): void {
    if (!this.#watch || !this.#config) return;
    this.#cancelDebounce();
    this.#stable = high;
    this.setHealth('online', `reading ${describeLine({ chip: this.#config.chip, line: this.#config.line })}`);
    const level = high !== this.#config.activeLow;
    if (this.#reported === undefined) this.#reported = level;
    else this.#report(level);
  }

  #edge(high: boolean): void {
    if (!this.#watch || !this.#config || this.#stable === undefined) return;
    this.#cancelDebounce();
    if (high === this.#stable) return;
    if (this.#config.debounceMs === 0) return this.#settle(high);
    this.#debounce = this.clock.setTimeout(() => {
      this.#debounce = null;
      this.#settle(high);
    }, this.#config.debounceMs);
  }

  #settle(high: boolean): void {
    this.#stable = high;
    this.#report(high !== this.#config!.activeLow);
  }

  #report(level: boolean): void {
    if (level === this.#reported) return;
    this.#reported = level;
    this.emitGuarded('change', this.input, level);
  }

  #lost(reason: string): void {
    if (!this.#watch) return;
    this.#cancelDebounce();
    this.#stable = undefined;
    this.setHealth('offline', reason);
  }

  #cancelDebounce(): void {
    this.clock.clearTimeout(this.#debounce);
    this.#debounce = null;
  }
}

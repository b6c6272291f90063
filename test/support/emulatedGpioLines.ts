/**
 * An emulated GPIO header behind the GpioLineSource contract, for testing GpioInput without
 * hardware (this machine has no /dev/gpiochip* and no gpio-sim module). A line is driven high,
 * low, or left open; an open line reads as its bias makes it (pull-up: high, pull-down: low,
 * as-is/disabled: low here — on real hardware it floats). `fail()` makes every watch of a line
 * report `failed`, `recover()` makes them read it again; `mute()` makes new watches silent.
 * Every spec asked for is kept in `watched`.
 */
import { EventEmitter } from 'node:events';
import { chipPath } from '../../src/hal/gpio/gpioConfig.js';
import type { GpioLineSource, GpioLineSpec, GpioLineWatch, GpioWatchCounters, GpioWatchEvents } from '../../src/hal/gpio/gpioLineSource.js';

export type Drive = boolean | 'open';

interface LineState {
  drive: Drive;
  fault: string | null;
  muted: boolean;
}

class EmulatedWatch extends EventEmitter<GpioWatchEvents> implements GpioLineWatch {
  closed = false;
  /** the level this watch last reported, to report edges only */
  last: boolean | null = null;

  constructor(readonly spec: GpioLineSpec, private readonly onClose: (w: EmulatedWatch) => void) {
    super();
  }

  counters(): GpioWatchCounters {
    return { malformed: 0, restarts: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.onClose(this);
  }
}

export class EmulatedGpioLines implements GpioLineSource {
  readonly watched: GpioLineSpec[] = [];
  #lines = new Map<string, LineState>();
  #watches = new Set<EmulatedWatch>();

  watch(spec: GpioLineSpec): GpioLineWatch {
    this.watched.push({ ...spec });
    const watch = new EmulatedWatch(spec, (w) => this.#watches.delete(w));
    this.#watches.add(watch);
    const state = this.#state(spec.chip, spec.line);
    if (!state.muted) queueMicrotask(() => this.#reread(watch));
    return watch;
  }

  /** Drives a line; watches that can read it report the edge (only on an actual change of level). */
  drive(chip: string, line: number, drive: Drive): void {
    const state = this.#state(chip, line);
    state.drive = drive;
    for (const watch of this.#of(chip, line)) {
      if (state.fault !== null || watch.last === null) continue;
      const level = levelOf(drive, watch.spec);
      if (level === watch.last) continue;
      watch.last = level;
      watch.emit('level', level, false);
    }
  }

  /** A bounce train: the line toggles `times` times (physically, no time passes in between). */
  bounce(chip: string, line: number, times: number): void {
    for (let i = 0; i < times; i++) {
      const now = this.#state(chip, line).drive;
      this.drive(chip, line, now === 'open' ? false : !now);
    }
  }

  fail(chip: string, line: number, reason: string): void {
    this.#state(chip, line).fault = reason;
    for (const watch of this.#of(chip, line)) {
      watch.last = null;
      watch.emit('failed', reason);
    }
  }

  recover(chip: string, line: number): void {
    const state = this.#state(chip, line);
    state.fault = null;
    state.muted = false;
    for (const watch of this.#of(chip, line)) this.#reread(watch);
  }

  /** New watches of this line say nothing until recover(). */
  mute(chip: string, line: number): void {
    this.#state(chip, line).muted = true;
  }

  openWatches(): number {
    return this.#watches.size;
  }

  #reread(watch: EmulatedWatch): void {
    if (watch.closed) return;
    const state = this.#state(watch.spec.chip, watch.spec.line);
    if (state.fault !== null) return void watch.emit('failed', state.fault);
    watch.last = levelOf(state.drive, watch.spec);
    watch.emit('level', watch.last, true);
  }

  #of(chip: string, line: number): EmulatedWatch[] {
    const path = chipPath(chip);
    return [...this.#watches].filter((w) => w.spec.chip === path && w.spec.line === line && !w.closed);
  }

  #state(chip: string, line: number): LineState {
    const key = `${chipPath(chip)}:${line}`;
    let state = this.#lines.get(key);
    if (!state) {
      state = { drive: 'open', fault: null, muted: false };
      this.#lines.set(key, state);
    }
    return state;
  }
}

function levelOf(drive: Drive, spec: GpioLineSpec): boolean {
  if (drive !== 'open') return drive;
  return spec.bias === 'pull-up';
}

/**
 * The seam between a GPIO door input (gpioInput.ts) and whatever reads the line: the libgpiod
 * tools in production (gpiodToolLineSource.ts), an emulated header in tests.
 *
 * Behaviour every source keeps:
 *  - `watch(spec)` returns at once and does its I/O afterwards: nothing is emitted before the
 *    caller could attach listeners (not in the same tick).
 *  - A watch first reports the line's current level, read when it (re)started, with
 *    `initial` true; then each edge with the level after it (`initial` false). Levels are
 *    physical (true = high); polarity is the input's business.
 *  - When the line cannot be read (tool missing, chip missing, line busy, the reader died) the
 *    watch emits `failed` with a reason an installer can act on, and keeps trying by itself
 *    until closed; the next `level` after a `failed` is an `initial` one.
 *  - Output the source does not understand is dropped and counted, never reported as a level.
 *  - `close()` stops every process or handle the watch holds and resolves when they are gone;
 *    nothing is emitted after it was called. Closing twice is harmless.
 */
import type { EventEmitter } from 'node:events';
import type { GpioBias } from './gpioConfig.js';

export interface GpioLineSpec {
  /** the chip's device path, e.g. /dev/gpiochip0 */
  chip: string;
  /** the line's offset on the chip */
  line: number;
  bias: GpioBias;
  /** a debounce period to ask the kernel for where the reader can (0: none); the input debounces anyway */
  debounceMs: number;
}

export type GpioWatchEvents = {
  /** the physical level (true = high); `initial`: read at (re)start rather than an edge */
  level: [high: boolean, initial: boolean];
  /** the line cannot be read now, and why; the watch retries until closed */
  failed: [reason: string];
};

export interface GpioWatchCounters {
  /** output lines that were not a level, an edge or a known banner, dropped */
  malformed: number;
  /** times the reader was started again after it failed */
  restarts: number;
}

export interface GpioLineWatch extends EventEmitter<GpioWatchEvents> {
  counters(): GpioWatchCounters;
  close(): Promise<void>;
}

export interface GpioLineSource {
  watch(spec: GpioLineSpec): GpioLineWatch;
}

/** How a line is named in reasons and logs: `gpiochip0 line 17`. */
export function describeLine(spec: Pick<GpioLineSpec, 'chip' | 'line'>): string {
  return `${spec.chip.replace(/^\/dev\//, '')} line ${spec.line}`;
}

/**
 * The journal's options: what the composition root passes, checked and with the defaults
 * applied. A bad value is a CONFIG_INVALID naming the config field.
 */
import type { Logger } from 'pino';
import type { Clock, Timers } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { JournalEntry } from './journalCodec.js';

/** Timers for the durability backstop and the retry after a failure. */
export type JournalTimers = Timers;

export interface JournalOptions {
  maxEvents: number;
  /** default 512 */
  batchSize?: number;
  /** default 1000 */
  durableIntervalMs?: number;
  clock: Clock;
  logger: Logger;
  /** called (guarded) after the journal's own alarms (`events_dropped`, `journal_80_percent`) are written */
  onAlarm?: (event: JournalEntry) => void;
  /** default: the clock's timers */
  timers?: JournalTimers;
}

export interface JournalSettings {
  capacity: number;
  batchSize: number;
  durableIntervalMs: number;
  timers: JournalTimers;
}

/** The sizes and timers of `options`, defaults applied. Throws CONFIG_INVALID for a value out of range. */
export function journalSettings(options: JournalOptions): JournalSettings {
  const { maxEvents, batchSize = 512, durableIntervalMs = 1000 } = options;
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 10) {
    throw new GatewayError('CONFIG_INVALID', 'journal capacity must be an integer of at least 10', { field: 'journal.maxEvents' });
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new GatewayError('CONFIG_INVALID', 'journal batch size must be a positive integer', { field: 'journal.batchSize' });
  }
  if (!Number.isFinite(durableIntervalMs) || durableIntervalMs < 0) {
    throw new GatewayError('CONFIG_INVALID', 'journal durable interval must be a non-negative number of ms', { field: 'journal.durableIntervalMs' });
  }
  return { capacity: maxEvents, batchSize, durableIntervalMs, timers: options.timers ?? options.clock };
}

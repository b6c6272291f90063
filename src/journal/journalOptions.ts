/**
 * The journal's options: what the composition root passes, checked and with the defaults
 * applied. A bad value is a CONFIG_INVALID naming the config field.
 */
import type { Logger } from 'pino';
import type { Clock, Timers } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { JournalEntry } from './journalCodec.js';
import type { HistoryLimits } from './historyUpkeep.js';

const DAY_MS = 86_400_000;
/** the local history kept when the options say nothing (docs/durability.md, "Local history") */
export const DEFAULT_HISTORY: HistoryLimits = { retentionMs: 30 * DAY_MS, maxEvents: 500_000 };

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
  /**
   * default true: events wait in the upload queue until acknowledge(). false (no cloud is
   * configured): every written event is local history at once, and nothing fills the queue.
   */
  upload?: boolean;
  /** how much acknowledged history to keep (default DEFAULT_HISTORY); null: this instance never prunes (a reader such as the CLI) */
  history?: HistoryLimits | null;
  /** the fold window of `events_dropped` alarms, default 60,000 ms */
  alarmFoldMs?: number;
}

export interface JournalSettings {
  capacity: number;
  batchSize: number;
  durableIntervalMs: number;
  timers: JournalTimers;
  upload: boolean;
  history: HistoryLimits | null;
  alarmFoldMs: number;
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
  const { upload = true, alarmFoldMs = 60_000 } = options;
  const history = options.history === undefined ? DEFAULT_HISTORY : options.history;
  if (history !== null && (!Number.isSafeInteger(history.maxEvents) || history.maxEvents < 0)) {
    throw new GatewayError('CONFIG_INVALID', 'the journal history cap must be a non-negative integer', { field: 'journal.history.maxEvents' });
  }
  if (history !== null && (!Number.isFinite(history.retentionMs) || history.retentionMs < 0)) {
    throw new GatewayError('CONFIG_INVALID', 'the journal history retention must be a non-negative duration', { field: 'journal.history.days' });
  }
  if (!Number.isFinite(alarmFoldMs) || alarmFoldMs < 0) {
    throw new GatewayError('CONFIG_INVALID', 'the alarm fold window must be a non-negative number of ms', { field: 'journal.alarmFoldMs' });
  }
  return { capacity: maxEvents, batchSize, durableIntervalMs, timers: options.timers ?? options.clock, upload, history, alarmFoldMs };
}

/**
 * The journal's own alarms. A flush adds them as rows after its batch, numbered on from it:
 * `events_dropped` when the bound dropped events from the upload queue (how many since the last
 * such alarm, in all, and how many later flushes' drops were folded into it), then
 * `journal_80_percent` when the fill reached 80 % (journalPlan.ts decides both, and when drops
 * are folded). Once they are written, each is logged and handed to the `onAlarm` listener.
 */
import type { Logger } from 'pino';
import { encodeEvent, type JournalEntry, type JournalRow } from './journalCodec.js';
import type { FlushPlan } from './journalPlan.js';

/**
 * The alarm rows `plan` asks for, numbered from `seq`; `totalDropped` includes this flush's
 * drops; `repeated` counts the earlier flushes whose drops were folded into this alarm.
 */
export function alarmRows(plan: FlushPlan, seq: number, totalDropped: number, repeated: number, capacity: number, now: number): JournalRow[] {
  const rows: JournalRow[] = [];
  if (plan.dropAlarm) {
    const data = { dropped: plan.report, totalDropped, ...(repeated > 0 ? { repeated } : {}) };
    rows.push(encodeEvent(seq + rows.length, { type: 'alarm', at: now, reason: 'events_dropped', data }, now).row);
  }
  if (plan.fillAlarm) {
    const data = { count: plan.count, capacity };
    rows.push(encodeEvent(seq + rows.length, { type: 'alarm', at: now, reason: 'journal_80_percent', data }, now).row);
  }
  return rows;
}

/** Logs a written alarm and tells the listener; a listener that throws is logged, never rethrown. */
export function announceAlarm(log: Logger, onAlarm: ((event: JournalEntry) => void) | undefined, entry: JournalEntry): void {
  log.warn({ seq: entry.seq, reason: entry.reason, ...entry.data }, 'journal alarm');
  if (onAlarm === undefined) return;
  try {
    onAlarm(entry);
  } catch (err) {
    log.error({ err, seq: entry.seq }, 'journal onAlarm listener threw');
  }
}

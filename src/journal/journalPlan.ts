/**
 * What one journal flush does to keep the upload queue bounded. Pure arithmetic, no I/O, so the
 * eviction and alarm rules can be read (and tested) in one place.
 *
 * Rules:
 * - the 80 % alarm fires when it is armed and the queue after this batch (capped at capacity)
 *   reaches 80 % of capacity; it re-arms only once the fill is below 70 %;
 * - when the queue after the batch plus the alarm rows would exceed capacity, or events were
 *   already shed from the in-memory buffer, the oldest events leave the queue unsent: queued
 *   rows first, then the oldest events of the batch itself (they stay as local history);
 * - drops are reported by an `events_dropped` alarm row, folded as security events are: the
 *   first drop is reported at once and opens a fold window; drops inside the window are only
 *   counted, and one alarm reports all of them once the window has passed. So a full journal
 *   writes (and logs) one such alarm per window, not one per flush.
 */

export interface FlushInput {
  /** rows in the table now */
  stored: number;
  /** events in the batch */
  batch: number;
  /** events shed from the in-memory buffer since the last successful flush */
  shed: number;
  capacity: number;
  /** the 80 % alarm may fire */
  armed: boolean;
  /** an `events_dropped` alarm was written less than the fold window ago: new drops are only counted */
  foldOpen: boolean;
  /** drops counted since the last `events_dropped` alarm, not yet reported */
  unreported: number;
}

export interface FlushPlan {
  /** oldest stored rows to delete */
  evict: number;
  /** oldest events of the batch not to insert */
  skip: number;
  /** evict + skip + shed: dropped by this flush */
  dropped: number;
  /** write an `events_dropped` alarm row reporting `report` drops */
  dropAlarm: boolean;
  /** unreported + dropped when dropAlarm; 0 otherwise */
  report: number;
  fillAlarm: boolean;
  /** rows in the table after the flush, alarm rows included */
  count: number;
}

export function planFlush(input: FlushInput): FlushPlan {
  const { stored, batch, shed, capacity, armed, foldOpen, unreported } = input;
  const fillAlarm = armed && reachesAlarmFill(Math.min(stored + batch, capacity), capacity);
  let alarms = fillAlarm ? 1 : 0;
  const drops = shed > 0 || stored + batch + alarms > capacity;
  const dropAlarm = !foldOpen && (drops || unreported > 0);
  if (dropAlarm) alarms += 1;
  const over = Math.max(0, stored + batch + alarms - capacity);
  const evict = Math.min(over, stored);
  const skip = Math.min(over - evict, batch);
  const dropped = evict + skip + shed;
  return {
    evict,
    skip,
    dropped,
    dropAlarm,
    report: dropAlarm ? unreported + dropped : 0,
    fillAlarm,
    count: stored - evict + batch - skip + alarms,
  };
}

/** count is at least 80 % of capacity (integer arithmetic, no rounding surprises) */
export function reachesAlarmFill(count: number, capacity: number): boolean {
  return count * 10 >= capacity * 8;
}

/** count is below 70 % of capacity: the 80 % alarm re-arms */
export function belowRearmFill(count: number, capacity: number): boolean {
  return count * 10 < capacity * 7;
}

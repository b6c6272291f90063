/**
 * What one journal flush does to keep the table bounded. Pure arithmetic, no I/O, so the
 * eviction and alarm rules can be read (and tested) in one place.
 *
 * Rules:
 * - the 80 % alarm fires when it is armed and the rows after this batch (capped at capacity)
 *   reach 80 % of capacity; it re-arms only once the fill is below 70 %;
 * - when the rows after the batch plus the alarm rows would exceed capacity, or events were
 *   already shed from the in-memory buffer, an `events_dropped` alarm row is added and the
 *   oldest rows are dropped: stored rows first, then the oldest events of the batch itself.
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
}

export interface FlushPlan {
  /** oldest stored rows to delete */
  evict: number;
  /** oldest events of the batch not to insert */
  skip: number;
  /** evict + skip + shed: what the `events_dropped` alarm reports */
  dropped: number;
  dropAlarm: boolean;
  fillAlarm: boolean;
  /** rows in the table after the flush, alarm rows included */
  count: number;
}

export function planFlush(input: FlushInput): FlushPlan {
  const { stored, batch, shed, capacity, armed } = input;
  const fillAlarm = armed && reachesAlarmFill(Math.min(stored + batch, capacity), capacity);
  let alarms = fillAlarm ? 1 : 0;
  const dropAlarm = shed > 0 || stored + batch + alarms > capacity;
  if (dropAlarm) alarms += 1;
  const over = Math.max(0, stored + batch + alarms - capacity);
  const evict = Math.min(over, stored);
  const skip = Math.min(over - evict, batch);
  return {
    evict,
    skip,
    dropped: evict + skip + shed,
    dropAlarm,
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

/**
 * Schedules compiled to bitmasks: one bit per minute of a day, per kind of day.
 *
 * Layout: 20 segments of 1440 bits (45 uint32 words), 900 words (3.6 kB) in all.
 *   segments  0..6   own[weekday]          intervals starting on that weekday, minutes of that day
 *   segments  7..13  spill[weekday]        the same intervals crossing midnight, minutes of the next day
 *   segments 14..16  holidayOwn[type 1..3] intervals listing that holiday type, minutes of the holiday
 *   segments 17..19  holidaySpill[type]    their tails after midnight, minutes of the next day
 * A local minute of day D is allowed when own(status of D) or spill(status of D-1) has its bit;
 * the status of a day is its holiday type when it is a holiday, else its weekday. See
 * docs/schedules.md for the semantics with worked examples.
 */
import type { Interval } from './model.js';
import { WEEKDAYS } from './model.js';
import { weekdayOfDay, type HolidayCalendar } from './holidayCalendar.js';

export type ScheduleMask = Uint32Array;

const DAY_MINUTES = 1440;
const WORDS_PER_DAY = 45;
const SPILL = 7;
/** holidayOwn[type] is segment HOLIDAY_OWN + type */
const HOLIDAY_OWN = 13;
/** holidaySpill[type] is segment HOLIDAY_SPILL + type */
const HOLIDAY_SPILL = 16;
const SEGMENTS = 20;
const MASK_WORDS = SEGMENTS * WORDS_PER_DAY;
const TIME_OF_DAY = /^(\d{2}):(\d{2})$/;

/** Minutes since midnight of 'HH:MM' (00:00..24:00), or -1 when malformed. */
function minutesOf(time: string): number {
  const m = TIME_OF_DAY.exec(time);
  if (!m) return -1;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && minutes <= DAY_MINUTES ? minutes : -1;
}

/** Sets minutes [from, to) of one segment. */
function setMinutes(mask: ScheduleMask, segment: number, from: number, to: number): void {
  const base = segment * WORDS_PER_DAY;
  let minute = from;
  while (minute < to) {
    const bit = minute & 31;
    const count = Math.min(32 - bit, to - minute);
    const bits = count === 32 ? 0xffff_ffff : ((1 << count) - 1) << bit;
    mask[base + (minute >>> 5)]! |= bits;
    minute += count;
  }
}

function hasMinute(mask: ScheduleMask, segment: number, minute: number): boolean {
  return (((mask[segment * WORDS_PER_DAY + (minute >>> 5)] ?? 0) >>> (minute & 31)) & 1) === 1;
}

/**
 * Compiles weekly intervals into a mask. Invalid intervals (malformed times, start 24:00,
 * start === end, unknown days or holiday types) contribute nothing: fail secure, never throw.
 */
export function compileIntervals(intervals: readonly Interval[]): ScheduleMask {
  const mask = new Uint32Array(MASK_WORDS);
  for (const interval of intervals) {
    const start = minutesOf(interval.start);
    const end = minutesOf(interval.end);
    if (start < 0 || end < 0 || start >= DAY_MINUTES || start === end) continue;
    const add = (own: number, spill: number): void => {
      if (end > start) {
        setMinutes(mask, own, start, end);
      } else {
        setMinutes(mask, own, start, DAY_MINUTES);
        setMinutes(mask, spill, 0, end);
      }
    };
    for (const day of interval.days ?? []) {
      const weekday = WEEKDAYS.indexOf(day);
      if (weekday >= 0) add(weekday, SPILL + weekday);
    }
    for (const type of interval.holidayTypes ?? []) {
      if (type === 1 || type === 2 || type === 3) add(HOLIDAY_OWN + type, HOLIDAY_SPILL + type);
    }
  }
  return mask;
}

/** Open every minute of every day, holidays included: a door with no schedule in a key. */
export function alwaysMask(): ScheduleMask {
  const mask = new Uint32Array(MASK_WORDS);
  for (let segment = 0; segment < 7; segment++) setMinutes(mask, segment, 0, DAY_MINUTES);
  for (let type = 1; type <= 3; type++) setMinutes(mask, HOLIDAY_OWN + type, 0, DAY_MINUTES);
  return mask;
}

/** Open whenever any of the masks is open: several schedules on one door of one key. [] is never open. */
export function unionMasks(masks: readonly ScheduleMask[]): ScheduleMask {
  const union = new Uint32Array(MASK_WORDS);
  for (const mask of masks) {
    const words = Math.min(mask.length, MASK_WORDS);
    for (let i = 0; i < words; i++) union[i]! |= mask[i]!;
  }
  return union;
}

/** Equal masks share one id, so a thousand keys with the same schedule hold one mask. */
export class MaskInterner {
  private readonly masks: ScheduleMask[] = [];
  private readonly byHash = new Map<number, number[]>();

  /** A small integer id, the same for every mask of equal content. Stores a copy. */
  intern(mask: ScheduleMask): number {
    const hash = hashMask(mask);
    const bucket = this.byHash.get(hash);
    for (const id of bucket ?? []) {
      if (equalMasks(this.masks[id]!, mask)) return id;
    }
    const id = this.masks.length;
    this.masks.push(Uint32Array.from(mask));
    if (bucket) bucket.push(id);
    else this.byHash.set(hash, [id]);
    return id;
  }

  /** The interned mask (shared: do not modify). Throws RangeError for an id never handed out. */
  get(id: number): ScheduleMask {
    const mask = this.masks[id];
    if (!mask) throw new RangeError(`no mask with id ${id}`);
    return mask;
  }

  /** number of distinct masks */
  get size(): number {
    return this.masks.length;
  }
}

function hashMask(mask: ScheduleMask): number {
  let hash = 0x811c_9dc5;
  for (let i = 0; i < mask.length; i++) hash = Math.imul(hash ^ mask[i]!, 0x0100_0193);
  return hash >>> 0;
}

function equalMasks(a: ScheduleMask, b: ScheduleMask): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * May this schedule admit at this local minute (ZoneClock.localMinutes), given the holidays?
 * A few array reads and bit tests, no allocation. Non-finite minutes are never allowed.
 */
export function maskAllows(mask: ScheduleMask, localMinutes: number, calendar: HolidayCalendar): boolean {
  const day = Math.floor(localMinutes / DAY_MINUTES);
  const minute = localMinutes - day * DAY_MINUTES;
  const type = calendar.typeOn(day);
  if (hasMinute(mask, type === 0 ? weekdayOfDay(day) : HOLIDAY_OWN + type, minute)) return true;
  const previousType = calendar.typeOn(day - 1);
  return hasMinute(mask, previousType === 0 ? SPILL + weekdayOfDay(day - 1) : HOLIDAY_SPILL + previousType, minute);
}

/** The same as if no day were a holiday: tells 'holiday' apart as the reason a door stayed closed. */
export function maskAllowsIgnoringHolidays(mask: ScheduleMask, localMinutes: number): boolean {
  const day = Math.floor(localMinutes / DAY_MINUTES);
  const minute = localMinutes - day * DAY_MINUTES;
  return hasMinute(mask, weekdayOfDay(day), minute) || hasMinute(mask, SPILL + weekdayOfDay(day - 1), minute);
}

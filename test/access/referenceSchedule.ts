/**
 * A brute-force schedule evaluator for tests: it walks the intervals directly and asks
 * Intl.DateTimeFormat for the wall clock on every call. It shares no code with the compiled path
 * (ZoneClock, HolidayCalendar, scheduleMask), so the property tests compare two independent
 * readings of docs/schedules.md.
 */
import type { Interval } from '../../src/access/model.js';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The wall clock in a zone at an instant, from a fresh Intl formatter (no caching). */
export function referenceWall(timeZone: string, utcMs: number): Wall {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(utcMs);
  const field = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: field('year'), month: field('month'), day: field('day'), hour: field('hour') % 24, minute: field('minute') };
}

/** Local wall-clock minutes since 1970-01-01T00:00 local. */
export function referenceLocalMinutes(timeZone: string, utcMs: number): number {
  const w = referenceWall(timeZone, utcMs);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) / 60_000;
}

/** 'YYYY-MM-DD' of the local date `shiftDays` days after the wall date. */
export function referenceLocalDate(w: Wall, shiftDays = 0): string {
  return new Date(Date.UTC(w.year, w.month - 1, w.day + shiftDays)).toISOString().slice(0, 10);
}

function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Does the schedule admit at this instant? Straight from the spec, no precomputation. */
export function referenceAllows(
  intervals: readonly Interval[],
  holidays: readonly { date: string; type: 1 | 2 | 3 }[],
  timeZone: string,
  utcMs: number,
): boolean {
  const w = referenceWall(timeZone, utcMs);
  const minute = w.hour * 60 + w.minute;
  const today = referenceLocalDate(w);
  const yesterday = referenceLocalDate(w, -1);

  // A date listed twice as a holiday counts as the highest of its types.
  const holidayType = (date: string): number => Math.max(0, ...holidays.filter((h) => h.date === date).map((h) => h.type));
  const startsOn = (interval: Interval, date: string): boolean => {
    const type = holidayType(date);
    if (type !== 0) return interval.holidayTypes.some((t) => t === type);
    const weekday = DAY_NAMES[new Date(`${date}T00:00:00Z`).getUTCDay()];
    return interval.days.some((d) => d === weekday);
  };

  for (const interval of intervals) {
    const start = minutesOf(interval.start);
    const end = minutesOf(interval.end);
    const crossesMidnight = end <= start;
    // Started today: from start to end (or to midnight when it crosses midnight).
    if (startsOn(interval, today) && minute >= start && (crossesMidnight || minute < end)) return true;
    // Started yesterday and crossed midnight: its tail runs until end, governed by yesterday.
    if (crossesMidnight && startsOn(interval, yesterday) && minute < end) return true;
  }
  return false;
}

/**
 * Calendar dates in a site's time zone. A portal's "expiry date" means valid through the end of
 * that day where the site is: the instant the next day starts there.
 */
import { ZoneClock } from '../zoneClock.js';

const DAY_MS = 86_400_000;

/**
 * The instant local midnight starts `date` (YYYY-MM-DD, already valid) in `timeZone`. Where
 * midnight does not exist (a DST change at 00:00), the first instant of the day.
 */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  const zone = new ZoneClock(timeZone);
  const offsets = new Set([zone.offsetMs(wall - DAY_MS), zone.offsetMs(wall), zone.offsetMs(wall + DAY_MS)]);
  const matches = [...offsets].map((off) => wall - off).filter((t) => t + zone.offsetMs(t) === wall).sort((a, b) => a - b);
  if (matches.length > 0) return matches[0]!;
  // in a gap (clocks jump forward at midnight): the day starts at the jump, where the earlier offset ends
  return wall - zone.offsetMs(wall - DAY_MS);
}

/** The date after `date` (YYYY-MM-DD). */
export function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

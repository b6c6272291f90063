/**
 * `--at` for the CLI: an ISO instant with an offset is taken as is; a local date-time without
 * an offset (2026-12-25T09:00) is wall-clock time in the site's zone. In a DST gap the local
 * time does not exist and is read as the same number of minutes after the gap's start; in an
 * overlap the earlier of the two instants is used.
 */
import { ZoneClock } from '../access/zoneClock.js';
import { GatewayError } from '../kernel/gatewayError.js';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

export function parseInstant(text: string, timeZone: string): number {
  if (/(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  const m = LOCAL.exec(text);
  if (!m) {
    throw new GatewayError('INPUT_INVALID', `--at "${text}" is not a date-time`, { field: 'at', hint: 'use 2026-12-25T09:00 (site time) or 2026-12-25T08:00:00Z' });
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== Number(d)) {
    throw new GatewayError('INPUT_INVALID', `--at "${text}" is not a calendar date`, { field: 'at' });
  }
  const zone = new ZoneClock(timeZone);
  // the instant whose wall clock reads `wall`: try the offsets in force around it, earliest first
  const candidates = [zone.offsetMs(wall - 86_400_000), zone.offsetMs(wall), zone.offsetMs(wall + 86_400_000)];
  const matches = [...new Set(candidates)].map((off) => wall - off).filter((t) => t + zone.offsetMs(t) === wall).sort((a, b) => a - b);
  if (matches.length > 0) return matches[0]!;
  return wall - zone.offsetMs(wall - 86_400_000); // in a gap: minutes after the gap's start
}

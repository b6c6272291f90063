/**
 * `--at` for the CLI: an ISO instant with an offset is taken as is; a local date-time without
 * an offset (2026-12-25T09:00) is wall-clock time in the site's zone. In a DST gap the local
 * time does not exist and is read as the same number of minutes after the gap's start; in an
 * overlap the earlier of the two instants is used. A date or time that does not exist
 * (2027-02-30, month 13, 24:00, 10:60) is refused, never rolled over into the next day or month.
 */
import { ZoneClock } from '../access/zoneClock.js';
import { GatewayError } from '../kernel/gatewayError.js';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?$/;

function invalid(text: string, why: string, hint: string): GatewayError {
  return new GatewayError('INPUT_INVALID', `--at "${text}" ${why}`, { field: 'at', hint });
}

export function parseInstant(text: string, timeZone: string): number {
  const m = INSTANT.exec(text);
  if (!m) throw invalid(text, 'is not a date-time', 'use 2026-12-25T09:00 (site time) or 2026-12-25T08:00:00Z');
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', offset] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.slice(1).padEnd(3, '0')));
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) {
    throw invalid(text, `is not a calendar date: ${y}-${mo} has no day ${d}`, 'months are 01–12 and the day must exist in its month, e.g. 2027-02-28');
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw invalid(text, `is not a time of day: ${h}:${mi}:${s}`, 'hours 00–23, minutes and seconds 00–59');
  if (offset !== undefined) {
    if (offset === 'Z') return wall;
    const [oh, om] = offset.slice(1).split(':').map(Number) as [number, number];
    if (oh > 23 || om > 59) throw invalid(text, `has no such UTC offset: ${offset}`, 'an offset is ±hh:mm, e.g. +01:00');
    return wall - (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const zone = new ZoneClock(timeZone);
  // the instant whose wall clock reads `wall`: try the offsets in force around it, earliest first
  const candidates = [zone.offsetMs(wall - 86_400_000), zone.offsetMs(wall), zone.offsetMs(wall + 86_400_000)];
  const matches = [...new Set(candidates)].map((off) => wall - off).filter((t) => t + zone.offsetMs(t) === wall).sort((a, b) => a - b);
  if (matches.length > 0) return matches[0]!;
  return wall - zone.offsetMs(wall - 86_400_000); // in a gap: minutes after the gap's start
}

/**
 * Checking a typed code against the windows it could stand for. The code carries its type and
 * use in its first digit and nothing else: the gateway derives the code of every window of that
 * type on the grid (offlineCode.ts windowProblem) that is open now, in each scope that covers the
 * door, and compares. If none matches, it tries the windows that ended in the last 6 hours or
 * open in the next 6 (RECOGNITION_MINUTES), so that a code typed somewhat late or early is told
 * apart from a wrong one. The horizon is short because a wrong code costs every window in it.
 * Pure: the local minute comes from the caller (ZoneClock.localMinutes(now)).
 */
import { codeTail, MAX_DAYS, MAX_HOURS, messageText, typeOfDigit, wallText, type OfflineCodeType, type OfflineCodeWindow, type StayTimes } from './offlineCode.js';

/** how far outside its window a code is still recognised (as expired or not yet valid), in minutes */
const RECOGNITION_MINUTES = 360;

const DAY = 1440;

export interface OfflineCodeSettings {
  secret: Uint8Array;
  /** digits of every code of this site */
  length: number;
  /** check-in and check-out times; null when the site takes no multi-day codes */
  stay: StayTimes | null;
}

export type OfflineCodeCheck =
  | { kind: 'valid' | 'expired' | 'not_yet_valid'; window: OfflineCodeWindow }
  | { kind: 'unknown' };

interface Span {
  start: number;
  end: number;
}

/** Every window of `type` on its grid whose start is within [from, to] (local minutes). */
function* gridWindows(type: OfflineCodeType, from: number, to: number, stay: StayTimes | null): Generator<Span> {
  if (type === 'hourly') {
    for (let start = Math.ceil(from / 60) * 60; start <= to; start += 60) {
      for (let hours = 1; hours <= MAX_HOURS; hours++) yield { start, end: start + hours * 60 };
    }
    return;
  }
  const offset = type === 'daily' ? 0 : stay?.checkIn;
  if (offset === undefined) return;
  const endOffset = type === 'daily' ? 0 : stay!.checkOut;
  for (let day = Math.ceil((from - offset) / DAY); day * DAY + offset <= to; day++) {
    for (let days = 1; days <= MAX_DAYS; days++) yield { start: day * DAY + offset, end: (day + days) * DAY + endOffset };
  }
}

function classify(span: Span, minute: number): OfflineCodeCheck['kind'] {
  if (span.start <= minute && minute < span.end) return 'valid';
  if (span.end <= minute) return span.end > minute - RECOGNITION_MINUTES ? 'expired' : 'unknown';
  return span.start <= minute + RECOGNITION_MINUTES ? 'not_yet_valid' : 'unknown';
}

/**
 * What `digits` is at local minute `minute` for a door covered by `scopes` (`door:<id>`, then
 * `group:<name>` for each of its groups). A valid window wins over an expired or future one.
 */
export function checkOfflineCode(settings: OfflineCodeSettings, scopes: readonly string[], digits: string, minute: number): OfflineCodeCheck {
  if (digits.length !== settings.length || !/^\d+$/.test(digits) || !Number.isSafeInteger(minute)) return { kind: 'unknown' };
  const kind = typeOfDigit(digits);
  if (kind === null) return { kind: 'unknown' };
  const typed = BigInt(digits.slice(1));
  // each end is formatted once per check: the windows share them
  const texts = new Map<number, string>();
  const text = (minute: number): string => {
    let t = texts.get(minute);
    if (t === undefined) texts.set(minute, (t = wallText(minute)));
    return t;
  };
  // the longest window of a type is 31 days (and a day for a stay's check-out); it is recognised a while after it ended
  const longest = (kind.type === 'hourly' ? MAX_HOURS * 60 : (MAX_DAYS + 1) * DAY) + RECOGNITION_MINUTES;
  let other: OfflineCodeCheck = { kind: 'unknown' };
  for (const pass of ['valid', 'other'] as const) {
    for (const span of gridWindows(kind.type, minute - longest, minute + RECOGNITION_MINUTES, settings.stay)) {
      const seen = classify(span, minute);
      if (seen === 'unknown' || (pass === 'valid') !== (seen === 'valid')) continue;
      const from = text(span.start);
      const until = text(span.end);
      for (const scope of scopes) {
        if (codeTail(settings.secret, messageText(scope, kind.type, kind.singleUse, from, until), settings.length) !== typed) continue;
        const window: OfflineCodeWindow = { scope, type: kind.type, singleUse: kind.singleUse, ...span };
        if (seen === 'valid') return { kind: 'valid', window };
        // two windows share a code by a 1 in 10^(length-1) chance: the first one found is reported
        if (other.kind === 'unknown') other = { kind: seen, window };
      }
    }
  }
  return other;
}

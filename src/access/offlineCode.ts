/**
 * Offline doorcodes (docs/offline-doorcodes.md is the contract for the cloud): a code is derived
 * from a site secret shared at provisioning and the code's window, so the cloud can issue one
 * while the gateway is offline and the gateway can check it with nothing synced.
 *
 *   message = "lockgw-doorcode/1|" scope "|" type "|" use "|" start "|" end      (ASCII)
 *   digest  = HMAC-SHA256(secret, message)
 *   code    = typeDigit ‖ (first 8 bytes of digest, big-endian, mod 10^(length-1)), zero-padded
 *
 * start and end are local wall-clock times of the site, `YYYY-MM-DDTHH:MM`: the window is a
 * statement about the wall clock, as a schedule is (docs/schedules.md). Pure: no clock, no I/O.
 */
import { createHash, createHmac } from 'node:crypto';

export const OFFLINE_CODE_TYPES = ['hourly', 'daily', 'multi-day'] as const;
export type OfflineCodeType = (typeof OFFLINE_CODE_TYPES)[number];

/** codes are longer than any stored PIN (4–8 digits), so a code and a stored PIN never collide */
export const MIN_CODE_LENGTH = 9;
export const MAX_CODE_LENGTH = 12;

/** the longest window of each type: hours of an hourly code, days of a daily code, nights of a stay */
export const MAX_HOURS = 24;
export const MAX_DAYS = 31;

const MINUTES_PER_DAY = 1440;
const PREFIX = 'lockgw-doorcode/1';

/** The check-in and check-out times of a multi-day code (a stay), minutes after local midnight. */
export interface StayTimes {
  checkIn: number;
  checkOut: number;
}

/**
 * What a code stands for. `start` and `end` are local wall-clock minutes since 1970-01-01T00:00
 * local (ZoneClock.localMinutes): the code opens while start <= localMinutes(now) < end.
 */
export interface OfflineCodeWindow {
  /** `door:<doorId>` or `group:<name>` */
  scope: string;
  type: OfflineCodeType;
  singleUse: boolean;
  start: number;
  end: number;
}

/** The first digit of a code: its type and whether it is single use. */
export function typeDigit(type: OfflineCodeType, singleUse: boolean): number {
  return OFFLINE_CODE_TYPES.indexOf(type) * 2 + (singleUse ? 2 : 1);
}

/** The type and use a code's first digit names; null for a digit no code starts with. */
export function typeOfDigit(digit: string): { type: OfflineCodeType; singleUse: boolean } | null {
  const d = digit.charCodeAt(0) - 48;
  if (!(d >= 1 && d <= OFFLINE_CODE_TYPES.length * 2)) return null;
  return { type: OFFLINE_CODE_TYPES[(d - 1) >> 1]!, singleUse: (d & 1) === 0 };
}

/** Local wall-clock minutes as `YYYY-MM-DDTHH:MM`. */
export function wallText(localMinutes: number): string {
  return new Date(localMinutes * 60_000).toISOString().slice(0, 16);
}

/** `YYYY-MM-DDTHH:MM` (a real calendar date and time) as local wall-clock minutes; null otherwise. */
export function parseWall(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$/.test(text)) return null;
  const ms = Date.parse(`${text}:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 16) !== text) return null;
  return ms / 60_000;
}

/** The message of a window whose ends are already wall-clock text (the check formats each end once). */
export function messageText(scope: string, type: OfflineCodeType, singleUse: boolean, from: string, until: string): string {
  return `${PREFIX}|${scope}|${type}|${singleUse ? 'single' : 'reusable'}|${from}|${until}`;
}

/** The exact bytes the HMAC covers. */
export function codeMessage(w: OfflineCodeWindow): string {
  return messageText(w.scope, w.type, w.singleUse, wallText(w.start), wallText(w.end));
}

/** 10^(length-1) for each code length */
const MODULI = Array.from({ length: MAX_CODE_LENGTH + 1 }, (_, l) => 10n ** BigInt(Math.max(0, l - 1)));

/** The digits after the type digit, as a number: the first 8 bytes of the HMAC mod 10^(length-1). */
export function codeTail(secret: Uint8Array, message: string, length: number): bigint {
  return createHmac('sha256', secret).update(message, 'ascii').digest().readBigUInt64BE(0) % MODULI[length]!;
}

/** The code's digits. `secret` is the site's offline-code secret (32+ bytes). */
export function deriveCode(secret: Uint8Array, w: OfflineCodeWindow, length: number): string {
  const tail = codeTail(secret, codeMessage(w), length).toString().padStart(length - 1, '0');
  return `${typeDigit(w.type, w.singleUse)}${tail}`;
}

/**
 * What the journal and the single-use table name a code by: the first 16 hex digits of
 * SHA-256(message). The message is no secret (the window is), so the id reveals nothing of the code.
 */
export function codeId(w: OfflineCodeWindow): string {
  return `oc-${createHash('sha256').update(codeMessage(w), 'ascii').digest('hex').slice(0, 16)}`;
}

/**
 * Why a window is not one a code of its type can have (the grid: docs/offline-doorcodes.md), or null.
 *  - hourly: starts on a whole local hour, 1 to 24 whole hours long
 *  - daily: local midnight to local midnight, 1 to 31 days
 *  - multi-day: the check-in time of one day to the check-out time of a later day, 1 to 31 nights
 */
export function windowProblem(type: OfflineCodeType, start: number, end: number, stay: StayTimes | null): string | null {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return 'the window must be whole minutes';
  if (end <= start) return 'the window ends before it starts';
  const startDay = Math.floor(start / MINUTES_PER_DAY);
  const endDay = Math.floor(end / MINUTES_PER_DAY);
  switch (type) {
    case 'hourly':
      if (start % 60 !== 0 || end % 60 !== 0) return 'an hourly code starts and ends on a whole hour';
      if (end - start > MAX_HOURS * 60) return `an hourly code lasts at most ${MAX_HOURS} hours`;
      return null;
    case 'daily':
      if (start % MINUTES_PER_DAY !== 0 || end % MINUTES_PER_DAY !== 0) return 'a daily code starts and ends at local midnight (00:00)';
      if (endDay - startDay > MAX_DAYS) return `a daily code lasts at most ${MAX_DAYS} days`;
      return null;
    case 'multi-day': {
      if (stay === null) return 'this site has no check-in and check-out times: it takes no multi-day codes';
      if (start - startDay * MINUTES_PER_DAY !== stay.checkIn) return `a multi-day code starts at the check-in time (${wallText(stay.checkIn).slice(11)})`;
      if (end - endDay * MINUTES_PER_DAY !== stay.checkOut) return `a multi-day code ends at the check-out time (${wallText(stay.checkOut).slice(11)})`;
      const nights = endDay - startDay;
      if (nights < 1 || nights > MAX_DAYS) return `a multi-day code lasts 1 to ${MAX_DAYS} nights`;
      return null;
    }
  }
}

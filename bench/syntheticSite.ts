/**
 * A seeded synthetic site: doors, schedules, holidays, keys, people, holdings and credentials in
 * realistic proportions (see README.md, "How the data is generated"). Everything derives from one
 * seed, so every run benchmarks the same site. Kept in compact arrays; siteBatches.ts turns it into
 * the raw batch operations the store validates and applies.
 */
import type { PinHasher } from '../src/access/pinDigest.js';
import { Prng } from './prng.js';

export const SITE_TIME_ZONE = 'America/New_York';
/** 2026-01-01T00:00 and 2027-01-01T00:00 in America/New_York (EST, UTC-5) */
export const YEAR_START = Date.UTC(2026, 0, 1, 5);
export const YEAR_END = Date.UTC(2027, 0, 1, 5);
const DAY = 86_400_000;

export interface SiteSize {
  credentials: number;
  people: number;
  keys: number;
  doors: number;
  schedules: number;
  holidays: number;
}

/** Scale 1: 1,000,000 credentials, 200,000 people, 5,000 keys; doors, schedules and holidays stay. */
export function siteSize(scale: number): SiteSize {
  return {
    credentials: Math.max(1_000, Math.round(1_000_000 * scale)),
    people: Math.max(200, Math.round(200_000 * scale)),
    keys: Math.max(50, Math.round(5_000 * scale)),
    doors: 500,
    schedules: 300,
    holidays: 20,
  };
}

export const KIND = { card: 0, pin: 1, mobile: 2 } as const;
export const KIND_NAMES = ['card', 'pin', 'mobile'] as const;
export const PERSON_KINDS = ['resident', 'staff', 'guest', 'vendor', 'delivery'] as const;
const GUEST = 2;
export const CREDENTIAL_STATUSES = ['active', 'suspended', 'lost', 'pending'] as const;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

interface RawInterval {
  days: string[];
  holidayTypes: number[];
  start: string;
  end: string;
}

export interface SyntheticSite {
  size: SiteSize;
  timeZone: string;
  doorIds: string[];
  doorCardAndPin: Uint8Array;
  /** the one door in lockdown */
  lockedDoor: number;
  holidays: { date: string; type: 1 | 2 | 3; name: string }[];
  schedules: { id: string; name: string; intervals: RawInterval[] }[];
  keyIds: string[];
  keyMayShare: Uint8Array;
  keySystem: Uint8Array;
  /** doors of key k: keyDoor[keyDoorStart[k] .. keyDoorStart[k+1]) */
  keyDoorStart: Int32Array;
  keyDoor: Int32Array;
  /** schedule numbers of each key door (empty: 24/7) */
  keyDoorSchedules: number[][];
  personIds: string[];
  personKind: Uint8Array;
  personSuspended: Uint8Array;
  /** host person number of a guest, -1 otherwise */
  personHost: Int32Array;
  /** holdings of person p: [holdingStart[p], holdingStart[p+1]); NaN = no bound */
  holdingStart: Int32Array;
  holdingKey: Int32Array;
  holdingFrom: Float64Array;
  holdingUntil: Float64Array;
  credKind: Uint8Array;
  credPerson: Int32Array;
  credStatus: Uint8Array;
  credFrom: Float64Array;
  credUntil: Float64Array;
  /** 0 = no limit */
  credUseLimit: Int32Array;
  /** grants already counted at seed time */
  credUses: Int32Array;
  credDuress: Uint8Array;
  /** what the record carries: card number, PIN digits, mobile key id */
  credSecret: string[];
  /** what a reader presents: card number, PIN digest, mobile key id */
  credLookup: string[];
  /** a PIN credential of person p, -1 when none */
  personPin: Int32Array;
  /** codes of every card in the site (see cardCode), to draw unknown cards */
  cardCodes: Set<number>;
  /** every PIN in the site, as pinCode() */
  pinCodes: Set<number>;
}

export const doorId = (d: number) => `door-${String(d).padStart(3, '0')}`;
export const scheduleId = (s: number) => `sched-${String(s).padStart(3, '0')}`;
export const keyId = (k: number) => `key-${String(k).padStart(5, '0')}`;
export const personId = (p: number) => `p-${String(p).padStart(7, '0')}`;
export const credentialId = (c: number) => `c-${String(c).padStart(8, '0')}`;

/** 26-bit H10301 (facility 0..255, number 0..65535) and 37-bit H10304 (0..65535, 0..524287). */
export function cardCode(bits: 26 | 37, facility: number, number: number): number {
  return bits === 26 ? facility * 65_536 + number : 16_777_216 + facility * 524_288 + number;
}

export function drawCard(rng: Prng): { code: number; value: string } {
  if (rng.chance(0.7)) {
    const f = rng.int(0, 255);
    const n = rng.int(0, 65_535);
    return { code: cardCode(26, f, n), value: `26:${f}:${n}` };
  }
  const f = rng.int(0, 65_535);
  const n = rng.int(0, 524_287);
  return { code: cardCode(37, f, n), value: `37:${f}:${n}` };
}

/** A 6–8 digit PIN (leading zeros allowed) and a number unique per PIN string. */
export function drawPin(rng: Prng): { code: number; pin: string } {
  const length = rng.int(6, 8);
  const value = rng.int(0, 10 ** length - 1);
  return { code: length * 1e9 + value, pin: String(value).padStart(length, '0') };
}

const hhmm = (minutes: number) => (minutes === 1440 ? '24:00' : `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`);

function holidayTypes(rng: Prng): number[] {
  const types = [1, 2, 3].filter(() => rng.chance(0.5));
  return types.length > 0 ? types : [rng.int(1, 3)];
}

function makeInterval(rng: Prng): RawInterval {
  const patterns: string[][] = [
    ['mon', 'tue', 'wed', 'thu', 'fri'],
    ['sat', 'sun'],
    [...WEEKDAYS],
    WEEKDAYS.filter(() => rng.chance(0.5)),
  ];
  let days = patterns[rng.weighted([45, 15, 25, 15])]!;
  let types: number[] = rng.chance(0.25) ? holidayTypes(rng) : [];
  if (rng.chance(0.08)) {
    days = []; // a holiday-only interval
    types = holidayTypes(rng);
  }
  if (days.length === 0 && types.length === 0) days = ['mon'];
  let start: number;
  let end: number;
  if (rng.chance(0.2)) {
    // crosses midnight: 18:00–23:45 until 00:00–08:00 (00:00 ends at midnight exactly)
    start = rng.int(72, 95) * 15;
    end = rng.int(0, 32) * 15;
  } else {
    start = rng.int(0, 80) * 15;
    end = Math.min(1440, start + rng.int(4, 48) * 15);
  }
  return { days, holidayTypes: types, start: hhmm(start), end: hhmm(end) };
}

function localDate(dayOfYear: number): string {
  return new Date(Date.UTC(2026, 0, 1 + dayOfYear)).toISOString().slice(0, 10);
}

/** A validity window for a holding: open, spanning the year, inside it, expired or upcoming. */
function holdingWindow(rng: Prng): [number, number] {
  const inYear = () => YEAR_START + rng.next() * (YEAR_END - YEAR_START);
  switch (rng.weighted([50, 20, 15, 9, 6])) {
    case 0:
      return [NaN, NaN];
    case 1:
      return [YEAR_START - rng.int(30, 900) * DAY, YEAR_END + rng.int(1, 900) * DAY];
    case 2: {
      const from = Math.floor(inYear());
      return [from, from + rng.int(30, 300) * DAY];
    }
    case 3:
      return [rng.chance(0.5) ? NaN : YEAR_START - rng.int(400, 800) * DAY, YEAR_START - rng.int(1, 300) * DAY];
    default: {
      const from = YEAR_END + rng.int(1, 200) * DAY;
      return [from, rng.chance(0.5) ? NaN : from + rng.int(30, 400) * DAY];
    }
  }
}

export function generateSite(size: SiteSize, seed: number, pinHasher: PinHasher): SyntheticSite {
  const rng = new Prng(seed);

  const doorIds = Array.from({ length: size.doors }, (_, d) => doorId(d));
  const doorCardAndPin = new Uint8Array(size.doors);
  for (const d of rng.distinct(Math.max(1, Math.round(size.doors / 50)), size.doors)) doorCardAndPin[d] = 1;
  const lockedDoor = rng.int(0, size.doors - 1);

  const typeNames = ['', 'closed', 'reduced hours', 'staff only'];
  const holidays = rng
    .distinct(size.holidays, 365)
    .sort((a, b) => a - b)
    .map((day, i) => {
      const type = (rng.weighted([60, 25, 15]) + 1) as 1 | 2 | 3;
      return { date: localDate(day), type, name: `Holiday ${i + 1} (${typeNames[type]})` };
    });

  const schedules = Array.from({ length: size.schedules }, (_, s) => ({
    id: scheduleId(s),
    name: `Schedule ${s}`,
    intervals: Array.from({ length: rng.int(1, 4) }, () => makeInterval(rng)),
  }));

  const keyIds = Array.from({ length: size.keys }, (_, k) => keyId(k));
  const keyMayShare = new Uint8Array(size.keys);
  const keySystem = new Uint8Array(size.keys);
  const keyDoorStart = new Int32Array(size.keys + 1);
  const keyDoorList: number[] = [];
  const keyDoorSchedules: number[][] = [];
  for (let k = 0; k < size.keys; k++) {
    keyMayShare[k] = rng.chance(0.6) ? 1 : 0;
    keySystem[k] = rng.chance(0.01) ? 1 : 0;
    for (const d of rng.distinct(rng.int(3, Math.min(30, size.doors)), size.doors)) {
      keyDoorList.push(d);
      keyDoorSchedules.push(rng.distinct(rng.weighted([30, 40, 20, 10]), size.schedules));
    }
    keyDoorStart[k + 1] = keyDoorList.length;
  }

  // people: guests are hosted by non-guests
  const personKind = new Uint8Array(size.people);
  const personSuspended = new Uint8Array(size.people);
  const personHost = new Int32Array(size.people).fill(-1);
  const hosts: number[] = [];
  for (let p = 0; p < size.people; p++) {
    personKind[p] = rng.weighted([70, 8, 12, 5, 5]);
    personSuspended[p] = rng.chance(0.01) ? 1 : 0;
    if (personKind[p] !== GUEST) hosts.push(p);
  }
  if (hosts.length === 0) {
    personKind[0] = 0;
    hosts.push(0);
  }
  for (let p = 0; p < size.people; p++) if (personKind[p] === GUEST) personHost[p] = rng.pick(hosts);

  // holdings: 1–3 keys per person; a guest mostly holds keys of their host's
  const held: number[][] = new Array(size.people);
  const windows: [number, number][][] = new Array(size.people);
  const order = [...hosts, ...Array.from({ length: size.people }, (_, p) => p).filter((p) => personKind[p] === GUEST)];
  for (const p of order) {
    const host = personHost[p]!;
    const keys = new Set<number>();
    const want = host >= 0 ? rng.int(1, 2) : rng.int(1, 3);
    while (keys.size < want) {
      const hostKeys = host >= 0 ? held[host]! : [];
      keys.add(hostKeys.length > 0 && rng.chance(0.8) ? rng.pick(hostKeys) : rng.int(0, size.keys - 1));
    }
    held[p] = [...keys].sort((a, b) => a - b);
    windows[p] = held[p]!.map(() => {
      if (host < 0) return holdingWindow(rng);
      const from = Math.floor(YEAR_START + rng.next() * (YEAR_END - YEAR_START));
      return [from, from + rng.int(1, 21) * DAY] as [number, number];
    });
  }
  const holdingStart = new Int32Array(size.people + 1);
  for (let p = 0; p < size.people; p++) holdingStart[p + 1] = holdingStart[p]! + held[p]!.length;
  const total = holdingStart[size.people]!;
  const holdingKey = new Int32Array(total);
  const holdingFrom = new Float64Array(total);
  const holdingUntil = new Float64Array(total);
  for (let p = 0; p < size.people; p++) {
    held[p]!.forEach((k, i) => {
      const h = holdingStart[p]! + i;
      holdingKey[h] = k;
      [holdingFrom[h], holdingUntil[h]] = windows[p]![i]!;
    });
  }

  // credentials
  const n = size.credentials;
  const credKind = new Uint8Array(n);
  const credPerson = new Int32Array(n);
  const credStatus = new Uint8Array(n);
  const credFrom = new Float64Array(n).fill(NaN);
  const credUntil = new Float64Array(n).fill(NaN);
  const credUseLimit = new Int32Array(n);
  const credUses = new Int32Array(n);
  const credDuress = new Uint8Array(n);
  const credSecret: string[] = new Array(n);
  const credLookup: string[] = new Array(n);
  const personPin = new Int32Array(size.people).fill(-1);
  const cardCodes = new Set<number>();
  const pinCodes = new Set<number>();
  for (let c = 0; c < n; c++) {
    const p = rng.int(0, size.people - 1);
    credPerson[c] = p;
    const kind = rng.weighted([50, 30, 20]);
    credKind[c] = kind;
    if (kind === KIND.card) {
      let card = drawCard(rng);
      while (cardCodes.has(card.code)) card = drawCard(rng);
      cardCodes.add(card.code);
      credSecret[c] = credLookup[c] = card.value;
    } else if (kind === KIND.pin) {
      let pin = drawPin(rng);
      while (pinCodes.has(pin.code)) pin = drawPin(rng);
      pinCodes.add(pin.code);
      credSecret[c] = pin.pin;
      credLookup[c] = pinHasher(pin.pin);
      if (personPin[p] === -1) personPin[p] = c;
      credDuress[c] = rng.chance(0.005) ? 1 : 0;
    } else {
      credSecret[c] = credLookup[c] = `mk-${c.toString(36).padStart(4, '0')}-${rng.hex(16)}`;
    }
    credStatus[c] = rng.weighted([94, 3, 2, 1]);
    if (rng.chance(0.12)) {
      const from = YEAR_START - 180 * DAY + rng.next() * (YEAR_END - YEAR_START + 180 * DAY);
      credFrom[c] = rng.chance(0.3) ? NaN : Math.floor(from);
      credUntil[c] = Math.floor(from + rng.int(30, 400) * DAY);
    }
    if (rng.chance(0.02)) {
      credUseLimit[c] = rng.int(1, 10);
      credUses[c] = rng.chance(0.5) ? credUseLimit[c]! : rng.int(0, credUseLimit[c]! - 1);
    }
  }

  return {
    size, timeZone: SITE_TIME_ZONE, doorIds, doorCardAndPin, lockedDoor, holidays, schedules,
    keyIds, keyMayShare, keySystem, keyDoorStart, keyDoor: Int32Array.from(keyDoorList), keyDoorSchedules,
    personIds: Array.from({ length: size.people }, (_, p) => personId(p)), personKind, personSuspended, personHost,
    holdingStart, holdingKey, holdingFrom, holdingUntil,
    credKind, credPerson, credStatus, credFrom, credUntil, credUseLimit, credUses, credDuress, credSecret, credLookup,
    personPin, cardCodes, pinCodes,
  };
}

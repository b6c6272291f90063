/**
 * The content hash of a compiled state: the sum of the SHA-256 of one canonical line per record
 * (StateHash). Two gateways (or the cloud) holding the same content get the same hash whatever
 * order the changes arrived in.
 *
 * Excluded: PIN digests (they depend on the device secret, so they differ per gateway — a PIN
 * credential is hashed by its id and attributes), use counts and lockdown (runtime state).
 */
import { hash } from 'node:crypto';
import type { AccessSource } from './accessSource.js';
import type { Credential, Door, Holding, Holiday, Key, Person, Schedule, Site } from './model.js';

const u = (v: unknown) => (v === undefined ? null : v);

export const canonicalLine = {
  site: (s: Site) => ['site', s.id, s.name, s.timeZone],
  door: (d: Door) => ['door', d.id, d.name, d.place, d.cardAndPin],
  holiday: (h: Holiday) => ['holiday', h.date, h.type, h.name],
  schedule: (s: Schedule) => ['schedule', s.id, s.name, s.intervals.map((i) => [i.days, i.holidayTypes, i.start, i.end])],
  key: (k: Key) => ['key', k.id, k.name, k.mayShare, k.system, k.doors.map((d) => [d.doorId, d.scheduleIds])],
  // unit and place only when set: a person without them hashes as before they existed
  person: (p: Person) => [
    'person', p.id, p.name, p.status, p.kind, u(p.hostId), p.extendedUnlock,
    ...(p.unit === undefined && p.place === undefined ? [] : [u(p.unit), u(p.place)]),
  ],
  holding: (h: Holding) => ['holding', h.personId, h.keyId, u(h.validFrom), u(h.validUntil)],
  credential: (c: Credential) => [
    'credential', c.id, c.personId, c.kind, c.kind === 'pin' ? null : c.value, c.status,
    u(c.validFrom), u(c.validUntil), u(c.useLimit), c.duress, u(c.label), u(c.publicKey),
  ],
} as const;

/**
 * The content hash as a running sum: SHA-256 of each canonical line, read as a 256-bit big-endian
 * number, summed modulo 2^256 (docs/mqtt.md). A sum does not depend on the order of its records,
 * and a record can be taken out again: a delta updates the hash of a million-credential state by
 * hashing only the records it changed (before and after), where an ordered hash would read them all.
 */
const WORDS = 8;
const WORD = 2 ** 32;
/** each word's sum stays an exact double (below 2^53) for this many lines before it is carried */
const CARRY_EVERY = 1 << 20;

export class StateHash {
  private readonly words = new Float64Array(WORDS);
  private pending = 0;

  /** A sum that starts from a known hash (a stored one), or from the empty state. */
  static from(hex: string = EMPTY_STATE_HASH): StateHash {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a content hash: ${hex}`);
    const sum = new StateHash();
    for (let w = 0; w < WORDS; w++) sum.words[w] = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    return sum;
  }

  add(line: readonly unknown[]): void {
    this.addDigest(lineDigest(line), 1);
  }

  remove(line: readonly unknown[]): void {
    this.addDigest(lineDigest(line), -1);
  }

  digest(): string {
    this.carry();
    let hex = '';
    for (let w = 0; w < WORDS; w++) hex += this.words[w]!.toString(16).padStart(8, '0');
    return hex;
  }

  private addDigest(digest: Buffer, sign: 1 | -1): void {
    const words = this.words;
    for (let w = 0; w < WORDS; w++) words[w] = words[w]! + sign * digest.readUInt32BE(w * 4);
    if (++this.pending === CARRY_EVERY) this.carry();
  }

  /** Carries each word's overflow (or borrow) into the next more significant one, modulo 2^256. */
  private carry(): void {
    const words = this.words;
    let carry = 0;
    for (let w = WORDS - 1; w >= 0; w--) {
      const v = words[w]! + carry;
      carry = Math.floor(v / WORD);
      words[w] = v - carry * WORD;
    }
    this.pending = 0;
  }
}

/** SHA-256 of one canonical line's JSON (UTF-8, no newline). */
function lineDigest(line: readonly unknown[]): Buffer {
  return hash('sha256', JSON.stringify(line), 'buffer') as unknown as Buffer;
}

/**
 * The content hash of a whole state, straight from its source, without compiling an index:
 * the canonical lines in the canonical order (docs/mqtt.md). compileIndex computes the same hash
 * while it reads the same rows; the cloud side (simulator, tests) uses this.
 */
export function hashAccessSource(source: AccessSource): string {
  const hasher = new StateHash();
  if (source.site) hasher.add(canonicalLine.site(source.site));
  for (const d of source.doors()) hasher.add(canonicalLine.door(d));
  for (const h of source.holidays()) hasher.add(canonicalLine.holiday(h));
  for (const s of source.schedules()) hasher.add(canonicalLine.schedule(s));
  for (const k of source.keys()) hasher.add(canonicalLine.key(k));
  for (const p of source.people()) hasher.add(canonicalLine.person(p));
  for (const h of source.holdings()) hasher.add(canonicalLine.holding(h));
  for (const c of source.credentials()) hasher.add(canonicalLine.credential(c));
  return hasher.digest();
}

/** The hash of the empty state: the sum of no lines. */
export const EMPTY_STATE_HASH = '0'.repeat(64);

/**
 * The content hash of a compiled state: sha-256 over one canonical line per record, in a fixed
 * entity order, records in id order. Two gateways (or the cloud) holding the same content get
 * the same hash whatever order the changes arrived in.
 *
 * Excluded: PIN digests (they depend on the device secret, so they differ per gateway — a PIN
 * credential is hashed by its id and attributes), use counts and lockdown (runtime state).
 */
import { createHash, type Hash } from 'node:crypto';
import type { AccessSource } from './accessSource.js';
import type { Credential, Door, Holding, Holiday, Key, Person, Schedule, Site } from './model.js';

const u = (v: unknown) => (v === undefined ? null : v);

export const canonicalLine = {
  site: (s: Site) => ['site', s.id, s.name, s.timeZone],
  door: (d: Door) => ['door', d.id, d.name, d.place, d.cardAndPin],
  holiday: (h: Holiday) => ['holiday', h.date, h.type, h.name],
  schedule: (s: Schedule) => ['schedule', s.id, s.name, s.intervals.map((i) => [i.days, i.holidayTypes, i.start, i.end])],
  key: (k: Key) => ['key', k.id, k.name, k.mayShare, k.system, k.doors.map((d) => [d.doorId, d.scheduleIds])],
  person: (p: Person) => ['person', p.id, p.name, p.status, p.kind, u(p.hostId), p.extendedUnlock],
  holding: (h: Holding) => ['holding', h.personId, h.keyId, u(h.validFrom), u(h.validUntil)],
  credential: (c: Credential) => [
    'credential', c.id, c.personId, c.kind, c.kind === 'pin' ? null : c.value, c.status,
    u(c.validFrom), u(c.validUntil), u(c.useLimit), c.duress, u(c.label), u(c.publicKey),
  ],
} as const;

/** Lines are buffered and hashed in ~64 kB chunks: one native call per chunk, not per record. */
const CHUNK = 64 * 1024;

export class ContentHasher {
  private readonly hash: Hash = createHash('sha256');
  private buffer = '';

  add(line: readonly unknown[]): void {
    this.buffer += `${JSON.stringify(line)}\n`;
    if (this.buffer.length >= CHUNK) {
      this.hash.update(this.buffer);
      this.buffer = '';
    }
  }

  digest(): string {
    this.hash.update(this.buffer);
    this.buffer = '';
    return this.hash.digest('hex');
  }
}

/**
 * The content hash of a whole state, straight from its source, without compiling an index:
 * the canonical lines in the canonical order (docs/mqtt.md). compileIndex computes the same hash
 * while it reads the same rows; the cloud side (simulator, tests) uses this.
 */
export function hashAccessSource(source: AccessSource): string {
  const hasher = new ContentHasher();
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

/** The hash of the empty state (sha-256 of nothing). */
export const EMPTY_STATE_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The content hash of a compiled state: sha-256 over one canonical line per record, in a fixed
 * entity order, records in id order. Two gateways (or the cloud) holding the same content get
 * the same hash whatever order the changes arrived in.
 *
 * Excluded: PIN digests (they depend on the device secret, so they differ per gateway — a PIN
 * credential is hashed by its id and attributes), use counts and lockdown (runtime state).
 */
import { createHash, type Hash } from 'node:crypto';
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

/**
 * The content hash of an AccessSource without compiling an index: the same canonical lines, in the
 * same order, through the same hasher as compileIndex (src/access/contentHash.ts), so the cloud
 * simulator computes exactly the hash the gateway will acknowledge. Streams: one record at a time.
 */
import type { AccessSource } from '../../access/accessSource.js';
import { canonicalLine, ContentHasher } from '../../access/contentHash.js';

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

/**
 * The cloud's side of a gateway's state, for sync tests: every change is applied to a real store of
 * its own (so the content hash is computed exactly as the gateway does), and the latest upsert of
 * every record is kept so a snapshot of the current version can be cut into chunks.
 */
import type { BatchOp, UpsertOp } from '../../src/access/batchOpSchema.js';
import { ENTITIES } from '../../src/access/batchOpSchema.js';
import { hashAccessSource } from '../../src/access/contentHash.js';
import type { Delta, SnapshotChunk } from '../../src/wire/messages.js';
import { parseBatch } from '../../src/store/batchOp.js';
import { storeFixture } from './storeFixture.js';

function recordKey(op: BatchOp): string {
  if (op.op === 'upsert') {
    const r = op.record as Record<string, unknown>;
    if (op.entity === 'holiday') return `holiday:${String(r.date)}`;
    if (op.entity === 'holding') return `holding:${String(r.personId)}/${String(r.keyId)}`;
    if (op.entity === 'site') return 'site:';
    return `${op.entity}:${String(r.id)}`;
  }
  const d = op as unknown as Record<string, unknown>;
  if (op.entity === 'holiday') return `holiday:${String(d.date)}`;
  if (op.entity === 'holding') return `holding:${String(d.personId)}/${String(d.keyId)}`;
  if (op.entity === 'site') return 'site:';
  return `${op.entity}:${String(d.id)}`;
}

export class CloudState {
  version = 0;
  private readonly records = new Map<string, UpsertOp>();
  private readonly store;

  constructor(t: { teardown(fn: () => void): void }) {
    this.store = storeFixture(t).store;
  }

  hash(): string {
    return this.store.snapshot(hashAccessSource);
  }

  /** Applies `raw` as the next version; returns the delta that carries it. */
  change(raw: unknown[]): Delta {
    const operations = parseBatch(raw);
    const fromVersion = this.version;
    this.store.applyOperations(operations, { source: 'cloud', revision: fromVersion + 1 });
    this.version += 1;
    for (const op of operations) {
      const key = recordKey(op);
      if (op.op === 'upsert') {
        this.records.delete(key); // re-inserted at the end: after what it references
        this.records.set(key, op);
        continue;
      }
      this.records.delete(key);
      const ref = op as unknown as Record<string, unknown>;
      for (const [k, held] of this.records) {
        const r = held.record as Record<string, unknown>;
        if (op.entity === 'person' && (held.entity === 'holding' || held.entity === 'credential') && r.personId === ref.id) this.records.delete(k);
        if (op.entity === 'key' && held.entity === 'holding' && r.keyId === ref.id) this.records.delete(k);
      }
    }
    return { fromVersion, toVersion: this.version, hash: this.hash(), operations };
  }

  /** The current version as snapshot chunks of at most `chunkOps` operations, in dependency order. */
  snapshot(snapshotId: string, chunkOps = 1000): SnapshotChunk[] {
    const ops = [...this.records.values()].sort((a, b) => ENTITIES.indexOf(a.entity) - ENTITIES.indexOf(b.entity));
    const chunkCount = Math.max(1, Math.ceil(ops.length / chunkOps));
    const hash = this.hash();
    return Array.from({ length: chunkCount }, (_, chunkIndex) => ({
      version: this.version,
      snapshotId,
      chunkIndex,
      chunkCount,
      hash,
      operations: ops.slice(chunkIndex * chunkOps, (chunkIndex + 1) * chunkOps),
    }));
  }
}

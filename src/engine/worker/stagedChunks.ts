/**
 * The operations of snapshot chunks handed over as they arrive, by snapshot id, until the
 * snapshot is applied (take) or given up (drop). Used by the rules worker, and by the gateway
 * itself when it applies on the main thread. A chunk written to the scratch file
 * (snapshotStaging.ts) is released: still counted as held, its operations no longer kept, so the
 * worker's heap never holds a whole snapshot as objects (which cost much of the gateway's memory
 * and of the worker's time in GC: bench/README.md, "Measurements behind design choices").
 */
import type { BatchOp } from '../../access/batchOpSchema.js';
import { GatewayError } from '../../kernel/gatewayError.js';

/** what a released chunk holds */
const RELEASED: readonly BatchOp[] = Object.freeze([]);

export class StagedChunks {
  private readonly bySnapshot = new Map<string, Map<number, readonly BatchOp[]>>();

  put(snapshotId: string, chunkIndex: number, operations: readonly BatchOp[]): void {
    let chunks = this.bySnapshot.get(snapshotId);
    if (chunks === undefined) this.bySnapshot.set(snapshotId, (chunks = new Map()));
    chunks.set(chunkIndex, operations);
  }

  /** One chunk's operations, if held. */
  get(snapshotId: string, chunkIndex: number): readonly BatchOp[] | undefined {
    return this.bySnapshot.get(snapshotId)?.get(chunkIndex);
  }

  /** Forgets a held chunk's operations (they are in the scratch file); it still counts as held. */
  release(snapshotId: string, chunkIndex: number): void {
    const chunks = this.bySnapshot.get(snapshotId);
    if (chunks?.has(chunkIndex)) chunks.set(chunkIndex, RELEASED);
  }

  drop(snapshotId: string): void {
    this.bySnapshot.delete(snapshotId);
  }

  /** Every chunk of the snapshot, in chunk order, and forgets them; throws unless all are held. */
  take(snapshotId: string, chunkCount: number): BatchOp[] {
    const chunks = this.requireAll(snapshotId, chunkCount);
    this.bySnapshot.delete(snapshotId);
    const operations: BatchOp[] = [];
    for (let i = 0; i < chunkCount; i++) {
      const chunk = chunks.get(i)!;
      if (chunk === RELEASED) throw new GatewayError('BATCH_INVALID', `chunk ${i} of snapshot ${snapshotId} was released to the scratch file; its operations are gone`, { entity: 'snapshot', id: snapshotId });
      for (const op of chunk) operations.push(op);
    }
    return operations;
  }

  /** The snapshot's chunks; throws unless all `chunkCount` are held. */
  requireAll(snapshotId: string, chunkCount: number): ReadonlyMap<number, readonly BatchOp[]> {
    const chunks = this.bySnapshot.get(snapshotId);
    if (chunks === undefined || chunks.size !== chunkCount) {
      throw new GatewayError('BATCH_INVALID', `not all ${chunkCount} chunks of snapshot ${snapshotId} are held (${chunks?.size ?? 0})`, { entity: 'snapshot', id: snapshotId });
    }
    return chunks;
  }
}

/**
 * The operations of snapshot chunks handed over as they arrive, by snapshot id, until the
 * snapshot is applied (take) or given up (drop). Used by the rules worker, and by the gateway
 * itself when it applies on the main thread.
 */
import type { BatchOp } from '../access/batchOpSchema.js';
import { GatewayError } from '../gatewayError.js';

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

  drop(snapshotId: string): void {
    this.bySnapshot.delete(snapshotId);
  }

  /** Every chunk of the snapshot, in chunk order, and forgets them; throws unless all are held. */
  take(snapshotId: string, chunkCount: number): BatchOp[] {
    const chunks = this.requireAll(snapshotId, chunkCount);
    this.bySnapshot.delete(snapshotId);
    const operations: BatchOp[] = [];
    for (let i = 0; i < chunkCount; i++) for (const op of chunks.get(i)!) operations.push(op);
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

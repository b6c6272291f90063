/**
 * A snapshot written into a scratch SQLite file while its chunks are still arriving, so that the
 * work of turning a million operations into rows (PIN digests, checks, a million inserts) is done
 * before the last chunk, and applying the snapshot is one SQL copy per table
 * (AccessStore.replaceFromStaging). The live database is not touched, and nothing is locked,
 * until then: the doors' journal and use counts go on being written meanwhile.
 *
 * Chunks are loaded in chunk order; one that arrives early waits in StagedChunks, and a chunk's
 * operations are released once they are in the file (the worker's heap holds no whole snapshot). The checks are
 * the same as applying the snapshot directly (the file starts empty, like the live tables after a
 * snapshot clears them), so the first bad operation is found here, named by its position in the
 * whole snapshot — all but two kinds: a credential value given twice, and a holding or credential
 * whose person or key is missing (the file has no unique index on values and no foreign keys).
 * Those are found when the live tables are built from the file, and named by their records, not
 * by a position. One snapshot at a time: another one, arriving meanwhile, is applied the direct way.
 */
import { rmSync } from 'node:fs';
import type { PinHasher } from '../../access/pinDigest.js';
import { GatewayError, isGatewayError } from '../../kernel/gatewayError.js';
import { BatchApplier } from '../../store/batchApply.js';
import { openDatabase, type Db } from '../../store/database.js';
import { dropSecondaryIndexes } from '../../store/secondaryIndexes.js';
import { MODEL_TABLES } from '../../store/accessStore.js';
import type { StagedChunks } from './stagedChunks.js';

export class SnapshotStaging {
  private db: Db | null = null;
  private applier: BatchApplier | null = null;
  private staging: string | null = null;
  private nextChunk = 0;
  private operations = 0;
  private failure: GatewayError | null = null;

  constructor(
    /** the scratch file (beside the live database) */
    readonly path: string,
    private readonly pinHasher: PinHasher,
  ) {}

  /** The snapshot being staged, or null. */
  get snapshotId(): string | null {
    return this.staging;
  }

  /** The operations written so far. */
  get operationCount(): number {
    return this.operations;
  }

  /** Starts staging a snapshot in a new, empty scratch file (a leftover one is deleted). */
  begin(snapshotId: string): void {
    this.discard();
    const db = openDatabase(this.path, { scratch: true });
    dropSecondaryIndexes(db, MODEL_TABLES);
    // the copy into the live tables checks every reference once, at its commit (danglingReference
    // names one that fails); checking them here as well would check every reference twice, a large
    // part of the staging time (bench/README.md, "Measurements behind design choices")
    db.pragma('foreign_keys = OFF');
    this.db = db;
    this.applier = new BatchApplier(db);
    this.staging = snapshotId;
  }

  /** Loads every chunk held that comes next in order; stops at the first bad operation. */
  advance(chunks: StagedChunks): void {
    const { db, applier, staging } = this;
    if (db === null || applier === null || staging === null || this.failure !== null) return;
    for (let ops = chunks.get(staging, this.nextChunk); ops !== undefined; ops = chunks.get(staging, this.nextChunk)) {
      try {
        db.transaction(() => applier.apply(ops!, { source: 'cloud', pinHasher: this.pinHasher, fresh: true }, this.operations))();
      } catch (err) {
        this.failure = isGatewayError(err) ? err : new GatewayError('BATCH_INVALID', `the snapshot was not applied: ${(err as Error).message}`, {}, { cause: err });
        return;
      }
      this.operations += ops.length;
      chunks.release(staging, this.nextChunk);
      this.nextChunk += 1;
    }
  }

  /**
   * After loading what is held: the scratch file's path when all `chunkCount` chunks are in it;
   * throws the first bad operation's error. The file stays until discard().
   */
  complete(chunks: StagedChunks, chunkCount: number): string {
    const snapshotId = this.staging;
    if (snapshotId === null) throw new GatewayError('BATCH_INVALID', 'no snapshot is staged', { entity: 'snapshot' });
    this.advance(chunks);
    if (this.failure !== null) throw this.failure;
    chunks.requireAll(snapshotId, chunkCount);
    // every chunk held and none failed: advance loaded them all
    return this.path;
  }

  /** Closes and deletes the scratch file. */
  discard(): void {
    this.db?.close();
    this.db = null;
    this.applier = null;
    this.staging = null;
    this.nextChunk = 0;
    this.operations = 0;
    this.failure = null;
    rmSync(this.path, { force: true });
  }
}

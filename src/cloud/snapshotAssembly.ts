/**
 * Collects the chunks of one snapshot until every chunk has arrived (each already verified by the
 * caller). Only one snapshot is assembled at a time: a chunk of a newer snapshot (higher version,
 * or the same version under a new snapshotId) replaces an incomplete older one; chunks of an
 * older snapshot are ignored. Nothing is applied from here: the caller applies a complete
 * snapshot in one transaction, so a lost chunk never leaves half a site.
 */
import type { UpsertOp } from '../access/batchOpSchema.js';
import { operationCount, type HeldSnapshotChunk } from '../wire/heldOperations.js';
import type { SnapshotChunk } from '../wire/messages.js';

export interface CompleteSnapshot {
  snapshotId: string;
  version: number;
  hash: string;
  chunkCount: number;
  /** every chunk's operations, in chunk order (empty when the chunks were handed on: `keep` false) */
  operations: UpsertOp[];
  /** jti of the chunk that completed it */
  lastJti: string;
  transaction?: string;
}

export type ChunkResult =
  | { kind: 'incomplete'; received: number; chunkCount: number; replaced?: string }
  | { kind: 'complete'; snapshot: CompleteSnapshot; replaced?: string }
  /** a repeated chunk, or a chunk of a snapshot older than the one in progress */
  | { kind: 'ignored'; detail: string }
  /** the chunk disagrees with the earlier chunks of its snapshotId, or the snapshot is too large: the assembly is dropped */
  | { kind: 'refused'; detail: string; replaced?: string };

interface InProgress {
  snapshotId: string;
  version: number;
  hash: string;
  chunkCount: number;
  chunks: Array<UpsertOp[] | undefined>;
  received: number;
  operations: number;
  transaction?: string;
}

export interface MissingChunks {
  snapshotId: string;
  version: number;
  chunks: number[];
}

export class SnapshotAssembly {
  private current: InProgress | null = null;

  /** `keep` false: only which chunks arrived is kept; the caller hands their operations on */
  constructor(private readonly maxOperations: number, private readonly keep = true) {}

  /** Operations held by another thread (HeldOperations) are counted, never kept: only with `keep` false. */
  add(chunk: SnapshotChunk | HeldSnapshotChunk, jti: string): ChunkResult {
    const count = operationCount(chunk.operations);
    let current = this.current;
    let replaced: string | undefined;
    if (current !== null && current.snapshotId === chunk.snapshotId) {
      if (chunk.version !== current.version || chunk.hash !== current.hash || chunk.chunkCount !== current.chunkCount) {
        this.current = null;
        return {
          kind: 'refused',
          detail: `chunk ${chunk.chunkIndex} of snapshot ${chunk.snapshotId} disagrees with its earlier chunks (version, hash or chunkCount); the snapshot was dropped`,
        };
      }
      if (current.chunks[chunk.chunkIndex] !== undefined) {
        return { kind: 'ignored', detail: `chunk ${chunk.chunkIndex} of snapshot ${chunk.snapshotId} arrived again` };
      }
    } else {
      if (current !== null && chunk.version < current.version) {
        return { kind: 'ignored', detail: `snapshot ${chunk.snapshotId} (version ${chunk.version}) is older than snapshot ${current.snapshotId} (version ${current.version}) in progress` };
      }
      if (current !== null) replaced = current.snapshotId;
      current = {
        snapshotId: chunk.snapshotId,
        version: chunk.version,
        hash: chunk.hash,
        chunkCount: chunk.chunkCount,
        chunks: new Array<UpsertOp[] | undefined>(chunk.chunkCount),
        received: 0,
        operations: 0,
      };
      this.current = current;
    }
    if (current.operations + count > this.maxOperations) {
      this.current = null;
      return {
        kind: 'refused',
        detail: `snapshot ${chunk.snapshotId} has more than ${this.maxOperations} operations (cloud.sync.maxSnapshotOperations); it was dropped`,
        ...(replaced === undefined ? {} : { replaced }),
      };
    }
    if (this.keep && !Array.isArray(chunk.operations)) throw new Error('SnapshotAssembly: a chunk whose operations another thread holds cannot be kept here');
    current.chunks[chunk.chunkIndex] = this.keep ? (chunk.operations as UpsertOp[]) : [];
    current.received += 1;
    current.operations += count;
    if (chunk.transaction !== undefined) current.transaction = chunk.transaction;
    const was = replaced === undefined ? {} : { replaced };
    if (current.received < current.chunkCount) return { kind: 'incomplete', received: current.received, chunkCount: current.chunkCount, ...was };
    this.current = null;
    const operations: UpsertOp[] = [];
    for (const ops of current.chunks) for (const op of ops!) operations.push(op);
    return {
      kind: 'complete',
      snapshot: {
        snapshotId: current.snapshotId,
        version: current.version,
        hash: current.hash,
        chunkCount: current.chunkCount,
        operations,
        lastJti: jti,
        ...(current.transaction === undefined ? {} : { transaction: current.transaction }),
      },
      ...was,
    };
  }

  /** The snapshot in progress and the chunks it still lacks; null when none is in progress. */
  missing(): MissingChunks | null {
    const c = this.current;
    if (c === null) return null;
    const chunks: number[] = [];
    for (let i = 0; i < c.chunkCount && chunks.length < 100_000; i++) if (c.chunks[i] === undefined) chunks.push(i);
    return { snapshotId: c.snapshotId, version: c.version, chunks };
  }

  /** Drops the snapshot in progress (e.g. it became obsolete, or was abandoned). */
  clear(): void {
    this.current = null;
  }
}

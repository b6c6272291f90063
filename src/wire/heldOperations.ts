/**
 * The operations of a snapshot chunk that was verified and validated on another thread (the rules
 * worker) and stay there: the doors' thread sees only how many there are. Whoever decides what to
 * do with the chunk either stages them (they become part of the snapshot being received) or
 * releases them; the first of the two wins and the other does nothing.
 */
import type { SnapshotChunk } from './messages.js';

/** Where held operations live: the thread that decoded them. */
export interface OperationsHolder {
  /** the held operations become chunk `chunkIndex` of snapshot `snapshotId` */
  stageHeld(token: number, snapshotId: string, chunkIndex: number): void;
  /** the held operations are not wanted */
  releaseHeld(token: number): void;
}

export class HeldOperations {
  private settled = false;

  constructor(
    private readonly holder: OperationsHolder,
    readonly token: number,
    readonly count: number,
  ) {}

  stage(snapshotId: string, chunkIndex: number): void {
    if (this.settled) return;
    this.settled = true;
    this.holder.stageHeld(this.token, snapshotId, chunkIndex);
  }

  /** Lets them go unless they were staged. */
  release(): void {
    if (this.settled) return;
    this.settled = true;
    this.holder.releaseHeld(this.token);
  }
}

/** A chunk's operations: decoded here, or held by the thread that decoded them. */
export type ChunkOperations = SnapshotChunk['operations'] | HeldOperations;

/** A snapshot chunk whose operations another thread holds. */
export type HeldSnapshotChunk = Omit<SnapshotChunk, 'operations'> & { operations: HeldOperations };

export function operationCount(operations: ChunkOperations): number {
  return operations instanceof HeldOperations ? operations.count : operations.length;
}

/**
 * Cloud changes applied on the doors' thread: correct, but the doors wait while a large snapshot
 * is applied. Used when the rules worker is not configured or could not start. Snapshot chunks
 * are kept here as they arrive.
 */
import { HeldOperations, type ChunkOperations } from '../wire/heldOperations.js';
import type { RulesChange } from '../wire/rulesChange.js';
import type { AccessStore } from '../store/accessStore.js';
import type { AccessEngine, AppliedState } from './accessEngine.js';
import type { RulesApplier } from './rulesApplier.js';
import { applyRulesChange } from './rulesChange.js';
import { StagedChunks } from './worker/stagedChunks.js';

export class MainThreadRulesApplier implements RulesApplier {
  readonly name = 'rules (on the doors\' thread)';
  private readonly chunks = new StagedChunks();

  constructor(
    private readonly engine: AccessEngine,
    private readonly store: AccessStore,
  ) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /**
   * A delta of people, holdings and credentials is patched into the current index (which patching
   * leaves as it is); anything else is compiled.
   */
  apply(change: RulesChange): AppliedState {
    const { staged, ...rest } = change;
    const operations = staged === undefined ? rest.operations : this.chunks.take(staged.snapshotId, staged.chunkCount);
    this.engine.swap(applyRulesChange(this.store, { ...rest, operations }, { previous: this.engine.index }));
    return this.engine.applied();
  }

  stageChunk(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void {
    // a chunk the worker had decoded before the gateway fell back to this thread stays with it
    if (operations instanceof HeldOperations) operations.stage(snapshotId, chunkIndex);
    else this.chunks.put(snapshotId, chunkIndex, operations);
  }

  dropChunks(snapshotId: string): void {
    this.chunks.drop(snapshotId);
  }

  chunkDecoder(): null {
    return null;
  }
}

/**
 * The rules worker when it starts, the doors' thread when it does not: the gateway still runs
 * without a worker (cloud changes are then applied on the main thread, correct but pausing the
 * doors during a large sync), and says so once, at start.
 */
import type { Logger } from 'pino';
import type { ChunkDecoder } from '../wire/chunkDecoder.js';
import type { ChunkOperations } from '../wire/heldOperations.js';
import type { RulesChange } from '../wire/rulesChange.js';
import type { AppliedState } from './accessEngine.js';
import type { RulesApplier } from './rulesApplier.js';

export class RulesApplierWithFallback implements RulesApplier {
  readonly name = 'rules';
  private active: RulesApplier;

  constructor(
    private readonly preferred: RulesApplier,
    private readonly fallback: RulesApplier,
    private readonly log: Logger,
  ) {
    this.active = preferred;
  }

  async start(): Promise<void> {
    try {
      await this.preferred.start();
      this.active = this.preferred;
    } catch (err) {
      this.log.error({ err }, `the ${this.preferred.name} did not start: cloud changes are applied on the main thread, and a large sync pauses the doors`);
      this.active = this.fallback;
      await this.fallback.start();
    }
  }

  async stop(): Promise<void> {
    // the preferred one too: a worker that failed half way through its start is ended
    await this.preferred.stop();
    if (this.active !== this.preferred) await this.active.stop();
  }

  apply(change: RulesChange): AppliedState | Promise<AppliedState> {
    return this.active.apply(change);
  }

  stageChunk(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void {
    this.active.stageChunk(snapshotId, chunkIndex, operations);
  }

  dropChunks(snapshotId: string): void {
    this.active.dropChunks(snapshotId);
  }

  chunkDecoder(): ChunkDecoder | null {
    return this.active.chunkDecoder();
  }
}

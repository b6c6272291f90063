/**
 * How a change of the rules from the cloud is applied: on the rules worker (off the doors' event
 * loop, workerRulesApplier.ts) or on the doors' thread (mainThreadRulesApplier.ts, when there is
 * no worker). The cloud link sees one RulesApplier and never which strategy runs; the gateway
 * chooses once, when it starts (rulesApplierWithFallback.ts).
 */
import type { ChunkDecoder } from '../wire/chunkDecoder.js';
import type { ChunkOperations } from '../wire/heldOperations.js';
import type { RulesChange } from '../wire/rulesChange.js';
import type { Service } from '../kernel/serviceList.js';
import type { AppliedState } from './accessEngine.js';

export interface RulesApplier extends Service {
  /**
   * One transaction that commits only if the result has the change's content hash; the index
   * built inside it is then swapped in (AccessEngine.swap). Throws or rejects with a
   * GatewayError, and changes nothing, when the change cannot be applied.
   */
  apply(change: RulesChange): AppliedState | Promise<AppliedState>;
  /** A verified snapshot chunk, kept until the snapshot is complete (its change then names it). */
  stageChunk(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void;
  /** The chunks of a snapshot that will not complete. */
  dropChunks(snapshotId: string): void;
  /** Where snapshot chunks are verified and kept (the rules worker); null: on the doors' thread. */
  chunkDecoder(): ChunkDecoder | null;
}

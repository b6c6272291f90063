/**
 * What the state sync (stateSync.ts) works with: the target it applies changes to (the gateway)
 * and what it publishes its acknowledgements and requests through (the MQTT connection).
 */
import type { ChunkOperations } from '../wire/heldOperations.js';
import type { GatewayMessage, GatewayMessageType } from '../wire/messages.js';
import type { RulesChange } from '../wire/rulesChange.js';

export interface AppliedState {
  revision: number;
  hash: string;
}

/** A snapshot (replace) or delta, with the hash the state must have afterwards. */
export type StateChange = RulesChange;

/** What the sync applies to: the gateway. */
export interface SyncTarget {
  applied(): AppliedState;
  /**
   * One transaction; throws (or rejects with) a GatewayError and changes nothing when it cannot
   * apply. May resolve later (the rules worker): nothing else is applied meanwhile.
   */
  apply(change: StateChange): AppliedState | Promise<AppliedState>;
  /**
   * Optional: takes each verified snapshot chunk as it arrives (the rules worker keeps it), so the
   * main thread never holds or copies a whole snapshot; the snapshot's change then names the
   * staged chunks instead of carrying operations.
   */
  stageChunk?(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void;
  dropChunks?(snapshotId: string): void;
}

export interface SyncPublisher {
  publish<T extends GatewayMessageType>(type: T, message: GatewayMessage<T>): Promise<void>;
}

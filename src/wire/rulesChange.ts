/**
 * The change of the rules that the cloud link hands to the engine: a verified snapshot or delta,
 * with the revision and content hash the state must have afterwards. The cloud link builds it
 * (cloud/stateSync.ts); the engine applies it (engine/rulesChange.ts), on the rules worker or on
 * the doors' thread.
 */
import type { BatchOp } from '../access/batchOpSchema.js';

export interface RulesChange {
  operations: readonly BatchOp[];
  /**
   * A snapshot whose chunks were handed to the rules worker as they arrived (then `operations`
   * is empty): the worker applies the chunks it holds under this snapshot id, in chunk order.
   */
  staged?: { snapshotId: string; chunkCount: number };
  /** a snapshot: the operations replace the whole state */
  replace: boolean;
  revision: number;
  /** the content hash the state must have afterwards */
  hash: string;
}

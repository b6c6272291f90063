/**
 * A change of the rules from the cloud (a snapshot or a delta) applied the one way it may be:
 * one transaction that commits only if the result has the content hash the cloud said it would
 * (HASH_MISMATCH otherwise, and nothing changed). Returns the index compiled inside that
 * transaction, so what the doors decide with is exactly what was checked. Used on the main thread
 * and in the rules worker (rulesWorker.ts).
 */
import type { AccessIndex } from '../access/accessIndex.js';
import type { BatchOp } from '../access/batchOpSchema.js';
import { compileIndex } from '../access/compileIndex.js';
import { GatewayError } from '../gatewayError.js';
import type { AccessStore } from './accessStore.js';

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

/** what the result of a change is checked against */
type CheckedChange = Pick<RulesChange, 'replace' | 'revision' | 'hash'>;

export function applyRulesChange(store: AccessStore, change: RulesChange): AccessIndex {
  const check = checkedCompile(store, change);
  store.applyOperations(change.operations, { source: 'cloud', revision: change.revision, replace: change.replace, beforeCommit: check.run });
  return check.compiled();
}

/** The same for a snapshot staged in a scratch file as its chunks arrived (snapshotStaging.ts). */
export function applyStagedSnapshot(store: AccessStore, stagingPath: string, change: CheckedChange): AccessIndex {
  const check = checkedCompile(store, change);
  store.replaceFromStaging(stagingPath, { revision: change.revision, beforeCommit: check.run });
  return check.compiled();
}

/** The check before the commit: compile the result and compare its hash with the cloud's. */
function checkedCompile(store: AccessStore, change: CheckedChange): { run: () => void; compiled: () => AccessIndex } {
  let compiled: AccessIndex | null = null;
  return {
    run: () => {
      const index = store.snapshot(compileIndex);
      if (index.hash !== change.hash) {
        throw new GatewayError('HASH_MISMATCH', `the result has content hash ${index.hash}, the cloud expected ${change.hash}; rolled back`, {
          entity: change.replace ? 'snapshot' : 'delta',
        });
      }
      compiled = index;
    },
    compiled: () => compiled!,
  };
}

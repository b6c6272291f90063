/**
 * A change of the rules from the cloud (a snapshot or a delta) applied the one way it may be:
 * one transaction that commits only if the result has the content hash the cloud said it would
 * (HASH_MISMATCH otherwise, and nothing changed). Returns the index compiled inside that
 * transaction, so what the doors decide with is exactly what was checked. Used on the main thread
 * and in the rules worker (worker/rulesWorkerService.ts).
 */
import type { AccessIndex } from '../access/accessIndex.js';
import { withRuntimeState } from '../access/compileIndex.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { patchable } from '../access/indexPatch.js';
import type { AccessStore, BatchChanges } from '../store/accessStore.js';
import type { IndexCompileThread } from './worker/parallelCompile.js';
import type { RulesChange } from '../wire/rulesChange.js';


/** what the result of a change is checked against */
type CheckedChange = Pick<RulesChange, 'replace' | 'revision' | 'hash'>;

export interface ChangeApplyOptions {
  /**
   * The index of the state before this change, if the caller has it (the rules worker keeps the
   * last one it built): a delta of people, holdings and credentials is patched into it
   * (indexPatch.ts) instead of compiling the whole state. Ignored unless it is the index of the
   * state the change applies to (the same revision and hash).
   */
  previous?: AccessIndex | null;
  /** how the index was built: 'patched', 'compiled', or why a patch was given up */
  onBuilt?: (how: string) => void;
}

export function applyRulesChange(store: AccessStore, change: RulesChange, options: ChangeApplyOptions = {}): AccessIndex {
  const build = indexBuilder(store, change.replace ? null : (options.previous ?? null), options.onBuilt);
  const check = checkedCompile(change, build);
  store.applyOperations(change.operations, { source: 'cloud', revision: change.revision, replace: change.replace, beforeCommit: check.run });
  return check.compiled();
}

/**
 * What builds the index of a batch inside its transaction (`beforeCommit`): `previous` patched
 * with the batch's changes when it can be (indexPatch.ts), a compile otherwise. `previous` is
 * used only if it is the index of the state the batch changed (its revision and hash).
 */
export function indexBuilder(store: AccessStore, previous: AccessIndex | null, onBuilt?: (how: string) => void): (changes: BatchChanges | null) => AccessIndex {
  return (changes) => {
    const ofThatState = previous !== null && changes !== null && previous.revision === changes.before.revision && previous.hash === changes.before.hash;
    if (!ofThatState || !patchable(previous, changes.entities)) {
      onBuilt?.('compiled');
      return store.compile();
    }
    try {
      const index = store.patch(previous, changes.index);
      onBuilt?.('patched');
      return index;
    } catch (err) {
      // the previous index does not hold what the store did: a compile does not depend on it
      onBuilt?.(`compiled, the patch failed: ${(err as Error).message}`);
      return store.compile();
    }
  };
}

export interface StagedApplyOptions {
  /**
   * A thread (not started) that compiles the index from the scratch file while this one copies
   * it (parallelCompile.ts). If it fails, the index is compiled here after the copy, as without it.
   */
  compileThread?: IndexCompileThread;
  /** why the compile thread's index was not used */
  onCompileFallback?: (reason: string) => void;
}

/** The same for a snapshot staged in a scratch file as its chunks arrived (snapshotStaging.ts). */
export function applyStagedSnapshot(store: AccessStore, stagingPath: string, change: CheckedChange, options: StagedApplyOptions = {}): AccessIndex {
  const thread = options.compileThread;
  let started = false;
  try {
    if (thread !== undefined) {
      try {
        thread.start();
        started = true;
      } catch (err) {
        options.onCompileFallback?.((err as Error).message);
      }
    }
    const compile = (): AccessIndex => {
      if (started) {
        try {
          const index = withRuntimeState(thread!.take(), { revision: store.revision(), lockdown: store.lockdown(), uses: () => store.uses() });
          store.rememberContentHash(index.hash);
          return index;
        } catch (err) {
          options.onCompileFallback?.((err as Error).message);
        }
      }
      return store.compile();
    };
    const check = checkedCompile(change, compile);
    store.replaceFromStaging(stagingPath, { revision: change.revision, beforeCommit: check.run });
    return check.compiled();
  } finally {
    thread?.stop();
  }
}

/** The check before the commit: compile the result and compare its hash with the cloud's. */
function checkedCompile(change: CheckedChange, compile: (changes: BatchChanges | null) => AccessIndex): { run: (changes?: BatchChanges | null) => void; compiled: () => AccessIndex } {
  let compiled: AccessIndex | null = null;
  return {
    run: (changes = null) => {
      const index = compile(changes);
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

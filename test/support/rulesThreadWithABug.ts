/**
 * A rules worker thread whose store has a bug of ours in it: applying any change throws a
 * TypeError, as a slip in our own code would (test/engine/worker/rulesWorker.test.ts). Everything
 * else is the real thread (rulesWorkerService.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RulesWorkerData } from '../../src/engine/worker/rulesWorkerProtocol.js';
import { serveRulesWorker } from '../../src/engine/worker/rulesWorkerService.js';
import { AccessStore } from '../../src/store/accessStore.js';

class StoreWithABug extends AccessStore {
  override applyOperations(): never {
    const byEntity = new Map<string, { id: string }>();
    return byEntity.get('person')!.id as never; // TypeError: Cannot read properties of undefined (reading 'id')
  }
}

serveRulesWorker(parentPort!, workerData as RulesWorkerData, (db, pinHasher) => new StoreWithABug(db, pinHasher));

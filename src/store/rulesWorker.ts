/**
 * The rules worker (a worker thread): applies cloud changes with its own SQLite connection and
 * compiles the new index, so a million-credential snapshot never blocks the event loop the doors
 * decide on. Operations arrive in slices ('stage') so that no single postMessage on the main
 * thread has to copy them all; 'apply' applies what was staged (rulesChange.ts) and sends the
 * compiled index back with its buffers transferred (indexTransfer.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchOp } from '../access/batchOpSchema.js';
import { packIndex } from '../access/indexTransfer.js';
import { createPinHasher } from '../access/pinDigest.js';
import { isGatewayError } from '../gatewayError.js';
import { AccessStore } from './accessStore.js';
import { openDatabase } from './database.js';
import { applyRulesChange } from './rulesChange.js';
import { StagedChunks } from './stagedChunks.js';
import { lowerThreadPriority } from './threadPriority.js';
import type { RulesWorkerData, RulesWorkerReply, RulesWorkerRequest } from './rulesWorkerProtocol.js';

/** niceness of the worker thread: a CPU share about a tenth of the main thread's when both are busy */
const WORKER_NICENESS = 10;

const { dbPath, secret } = workerData as RulesWorkerData;
const db = openDatabase(dbPath);
const store = new AccessStore(db, createPinHasher(Buffer.from(secret)));
let staged: BatchOp[] = [];
/** the chunks of the snapshots being received (one, or a complete one waiting and a newer one) */
const chunks = new StagedChunks();
const port = parentPort!;
const reply = (message: RulesWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.on('message', (request: RulesWorkerRequest) => {
  switch (request.type) {
    case 'stage':
      for (const op of request.operations) staged.push(op);
      return;
    case 'discard':
      staged = [];
      return;
    case 'stageChunk':
      chunks.put(request.snapshotId, request.chunkIndex, request.operations);
      return;
    case 'dropChunks':
      chunks.drop(request.snapshotId);
      return;
    case 'apply': {
      const started = performance.now();
      try {
        const operations = request.staged === undefined ? staged : chunks.take(request.staged.snapshotId, request.staged.chunkCount);
        staged = [];
        const index = applyRulesChange(store, { operations, replace: request.replace, revision: request.revision, hash: request.hash });
        const { packed, transfer } = packIndex(index);
        reply({ type: 'applied', id: request.id, packed, ms: performance.now() - started, sentAt: Date.now() }, transfer);
      } catch (err) {
        const e = err as Error;
        reply({
          type: 'failed',
          id: request.id,
          code: isGatewayError(err) ? err.code : 'BATCH_INVALID',
          message: e.message,
          details: isGatewayError(err) ? { ...err.details } : {},
        });
      }
      return;
    }
    case 'close':
      db.close();
      port.close();
  }
});
// background work: the doors' event loop comes first on a small machine
reply({ type: 'ready', priority: lowerThreadPriority(WORKER_NICENESS) });

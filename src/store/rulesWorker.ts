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
import { GatewayError, isGatewayError } from '../gatewayError.js';
import { AccessStore } from './accessStore.js';
import { openDatabase } from './database.js';
import { applyRulesChange } from './rulesChange.js';
import type { RulesWorkerData, RulesWorkerReply, RulesWorkerRequest } from './rulesWorkerProtocol.js';

const { dbPath, secret } = workerData as RulesWorkerData;
const db = openDatabase(dbPath);
const store = new AccessStore(db, createPinHasher(Buffer.from(secret)));
let staged: BatchOp[] = [];
/** the chunks of the snapshots being received (one, or a complete one waiting and a newer one), by snapshot id */
const chunks = new Map<string, Map<number, readonly BatchOp[]>>();

function stagedSnapshot(snapshotId: string, chunkCount: number): BatchOp[] {
  const byIndex = chunks.get(snapshotId);
  if (byIndex === undefined || byIndex.size !== chunkCount) {
    throw new GatewayError('WORKER_FAILED', `the rules worker does not hold all ${chunkCount} chunks of snapshot ${snapshotId}`, { entity: 'snapshot', id: snapshotId });
  }
  const operations: BatchOp[] = [];
  for (let i = 0; i < chunkCount; i++) for (const op of byIndex.get(i) ?? []) operations.push(op);
  return operations;
}
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
    case 'stageChunk': {
      let byIndex = chunks.get(request.snapshotId);
      if (byIndex === undefined) chunks.set(request.snapshotId, (byIndex = new Map()));
      byIndex.set(request.chunkIndex, request.operations);
      return;
    }
    case 'dropChunks':
      chunks.delete(request.snapshotId);
      return;
    case 'apply': {
      const started = performance.now();
      try {
        const operations = request.staged === undefined ? staged : stagedSnapshot(request.staged.snapshotId, request.staged.chunkCount);
        staged = [];
        if (request.staged !== undefined) chunks.delete(request.staged.snapshotId);
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
reply({ type: 'ready' });

/**
 * What the rules worker thread does (rulesWorkerThread.ts starts it): applies cloud changes with
 * its own SQLite connection and compiles the new index, so a million-credential snapshot never
 * blocks the event loop the doors decide on. Operations arrive in slices ('stage') so that no
 * single postMessage on the main thread has to copy them all; 'apply' applies what was staged
 * (rulesChange.ts) and sends the compiled index back with its buffers transferred
 * (indexTransfer.ts). Snapshot chunks are verified and validated here too, and their operations
 * kept (chunkDecoder.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import type { BatchOp } from '../../access/batchOpSchema.js';
import type { AccessIndex } from '../../access/accessIndex.js';
import { copyIndex, packIndex } from '../../access/indexTransfer.js';
import { createPinHasher, type PinHasher } from '../../access/pinDigest.js';
import { HeldChunkDecoding } from '../../wire/chunkDecoder.js';
import { isGatewayError } from '../../kernel/gatewayError.js';
import { AccessStore } from '../../store/accessStore.js';
import { openDatabase, type Db } from '../../store/database.js';
import { applyRulesChange, applyStagedSnapshot } from '../rulesChange.js';
import { IndexCompileThread } from './parallelCompile.js';
import { SnapshotStaging } from './snapshotStaging.js';
import { StagedChunks } from './stagedChunks.js';
import { BACKGROUND_NICENESS, lowerThreadPriority } from './threadPriority.js';
import type { RulesWorkerData, RulesWorkerReply, RulesWorkerRequest } from './rulesWorkerProtocol.js';

/** below this many operations a second thread costs more than the compile it would take over */
const PARALLEL_COMPILE_FROM = 200_000;

/** The store the changes are applied to, over the thread's own connection (a test hands in one with a bug of ours). */
export type OpenRulesStore = (db: Db, pinHasher: PinHasher) => AccessStore;

/** Answers the gateway's requests on `port` until 'close' (rulesWorkerProtocol.ts). */
export function serveRulesWorker(port: MessagePort, data: RulesWorkerData, openStore: OpenRulesStore = (db, pinHasher) => new AccessStore(db, pinHasher)): void {
  const { dbPath, secret, parallelCompileFrom = PARALLEL_COMPILE_FROM } = data;
  const db = openDatabase(dbPath);
  const pinHasher = createPinHasher(Buffer.from(secret));
  const store = openStore(db, pinHasher);
  let staged: BatchOp[] = [];
  /** the chunks of the snapshots being received (one, or a complete one waiting and a newer one) */
  const chunks = new StagedChunks();
  const reply = (message: RulesWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

  /** the snapshot whose chunks are written to a scratch file as they arrive (one at a time) */
  const staging = new SnapshotStaging(`${dbPath}-staging`, pinHasher);
  /** a snapshot for which the scratch file could not be made: applied the direct way */
  let stagingFailedFor: string | null = null;
  /**
   * The index of the last change applied here. The doors get a copy; the next delta is patched
   * into this one (indexPatch.ts). A snapshot replaces everything, so it is let go when one starts
   * arriving: a million-credential site would otherwise be held twice while the next is built.
   */
  let current: AccessIndex | null = null;
  /** snapshot chunks decoded here whose operations wait to be staged or released */
  const decoding = new HeldChunkDecoding();

  function stage(snapshotId: string): void {
    if (staging.snapshotId === null && stagingFailedFor !== snapshotId) {
      try {
        staging.begin(snapshotId);
      } catch {
        // no room or no permission for the scratch file: the snapshot still applies, only later
        staging.discard();
        stagingFailedFor = snapshotId;
        return;
      }
    }
    if (staging.snapshotId === snapshotId) staging.advance(chunks);
  }

  function stageChunk(snapshotId: string, chunkIndex: number, operations: readonly BatchOp[]): void {
    current = null;
    chunks.put(snapshotId, chunkIndex, operations);
    stage(snapshotId);
  }

  port.on('message', (request: RulesWorkerRequest) => {
    switch (request.type) {
      case 'stage':
        for (const op of request.operations) staged.push(op);
        return;
      case 'discard':
        staged = [];
        return;
      case 'stageChunk':
        stageChunk(request.snapshotId, request.chunkIndex, request.operations);
        return;
      case 'decodeContext':
        decoding.setContext(request.context);
        return;
      case 'decodeChunk':
        try {
          reply({ type: 'decoded', token: request.token, result: decoding.decode(request.token, request.topic, request.payload, request.now) });
        } catch (err) {
          reply({ type: 'decoded', token: request.token, error: (err as Error).message });
        }
        return;
      case 'stageHeld': {
        const operations = decoding.take(request.token);
        // none: this thread was restarted since; the snapshot then lacks the chunk and is asked for again
        if (operations !== undefined) stageChunk(request.snapshotId, request.chunkIndex, operations);
        return;
      }
      case 'releaseHeld':
        decoding.release(request.token);
        return;
      case 'dropChunks':
        chunks.drop(request.snapshotId);
        if (staging.snapshotId === request.snapshotId) staging.discard();
        return;
      case 'apply': {
        const started = performance.now();
        try {
          const change = { replace: request.replace, revision: request.revision, hash: request.hash };
          let index;
          let compile = 'here';
          const snapshot = request.staged;
          if (snapshot !== undefined && staging.snapshotId === snapshot.snapshotId) {
            try {
              const path = staging.complete(chunks, snapshot.chunkCount);
              const compileThread = staging.operationCount >= parallelCompileFrom ? new IndexCompileThread(path) : undefined;
              let failed: string | null = null;
              index = applyStagedSnapshot(store, path, change, { compileThread, onCompileFallback: (reason) => (failed = reason) });
              if (failed !== null) compile = `here, the compile thread failed: ${failed}`;
              else if (compileThread !== undefined) compile = `compile thread, waited for ${Math.round(compileThread.waitedMs)} ms after the copy`;
            } finally {
              staging.discard();
              chunks.drop(snapshot.snapshotId);
            }
          } else {
            const operations = snapshot === undefined ? staged : chunks.take(snapshot.snapshotId, snapshot.chunkCount);
            staged = [];
            index = applyRulesChange(store, { ...change, operations }, { previous: current, onBuilt: (how) => (compile = `here, ${how}`) });
          }
          current = index;
          const { packed, transfer } = packIndex(copyIndex(index));
          reply({ type: 'applied', id: request.id, packed, ms: performance.now() - started, sentAt: Date.now(), compile }, transfer);
        } catch (err) {
          reply(failedReply(request.id, err));
        }
        return;
      }
      case 'close':
        staging.discard();
        db.close();
        port.close();
    }
  });
  staging.discard(); // a scratch file left by a crash
  // background work: the doors' event loop comes first on a small machine
  reply({ type: 'ready', priority: lowerThreadPriority(BACKGROUND_NICENESS) });
}

/**
 * A GatewayError says what was wrong with the change (or the worker's state); anything else is a
 * bug of ours (matter.js's InternalError), not the cloud's data: INTERNAL, with the stack, which
 * the gateway's side logs (rulesWorker.ts).
 */
function failedReply(id: number, err: unknown): RulesWorkerReply {
  if (isGatewayError(err)) return { type: 'failed', id, code: err.code, message: err.message, details: { ...err.details } };
  const e = err instanceof Error ? err : new Error(String(err));
  return { type: 'failed', id, code: 'INTERNAL', message: `${e.name}: ${e.message}`, details: {}, ...(e.stack === undefined ? {} : { stack: e.stack }) };
}

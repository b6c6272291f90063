/**
 * The compile thread (parallelCompile.ts): compiles the index of a database file it opens read
 * only — a staged snapshot's scratch file — and posts it, buffers transferred, on the port it was
 * given. It signals through a shared flag, because the thread waiting for it is blocked and cannot
 * take events: STARTED once this module is loaded, POSTED once the reply is on the port. Only a
 * thread runs this module (it reads its workerData when loaded); what others need of it is in
 * indexCompileProtocol.ts.
 */
import { workerData } from 'node:worker_threads';
import { compileIndex } from '../../access/compileIndex.js';
import { packIndex } from '../../access/indexTransfer.js';
import { AccessStore } from '../../store/accessStore.js';
import { openDatabase } from '../../store/database.js';
import { COMPILE_POSTED, COMPILE_STARTED, type IndexCompileData, type IndexCompileReply } from './indexCompileProtocol.js';
import { BACKGROUND_NICENESS, lowerThreadPriority } from './threadPriority.js';

const { path, port, flag: shared } = (workerData ?? {}) as Partial<IndexCompileData>;
if (path === undefined || port === undefined || !(shared instanceof SharedArrayBuffer)) {
  throw new Error('indexCompileWorker.ts runs only as the compile thread (parallelCompile.ts starts it); import indexCompileProtocol.ts instead');
}
const flag = new Int32Array(shared);
const signal = (state: number) => {
  Atomics.store(flag, 0, state);
  Atomics.notify(flag, 0);
};
signal(COMPILE_STARTED);
const readOnly = () => {
  throw new Error('the compile thread only reads');
};
try {
  lowerThreadPriority(BACKGROUND_NICENESS);
  const db = openDatabase(path, { readonly: true });
  let index;
  try {
    index = new AccessStore(db, readOnly).snapshot(compileIndex);
  } finally {
    db.close();
  }
  const { packed, transfer } = packIndex(index);
  port.postMessage({ ok: true, packed } satisfies IndexCompileReply, transfer);
} catch (err) {
  port.postMessage({ ok: false, message: (err as Error).message } satisfies IndexCompileReply);
} finally {
  signal(COMPILE_POSTED);
  port.close();
}

/** A compile thread that starts and then reports a failure (test/engine/worker/parallelCompile.test.ts). */
import { workerData } from 'node:worker_threads';
import { COMPILE_POSTED, COMPILE_STARTED, type IndexCompileData, type IndexCompileReply } from '../../src/engine/worker/indexCompileProtocol.js';

const { port, flag: shared } = workerData as IndexCompileData;
const flag = new Int32Array(shared);
Atomics.store(flag, 0, COMPILE_STARTED);
port.postMessage({ ok: false, message: 'the scratch file is unreadable' } satisfies IndexCompileReply);
Atomics.store(flag, 0, COMPILE_POSTED);
Atomics.notify(flag, 0);
port.close();

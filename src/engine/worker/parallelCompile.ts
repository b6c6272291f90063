/**
 * A staged snapshot's index compiled on a second thread, from the scratch file, while the rules
 * worker copies that file into the live tables: on a large site the two take about as long as each
 * other, so on a two-core gateway the apply takes about half as long (the figures:
 * bench/README.md, "Measurements behind design choices"). The scratch file holds exactly what
 * the live tables will (the copy is column for column), so the content — and the hash — are the
 * same; the live store's runtime state (revision, lockdowns, use counts) is put in afterwards
 * (withRuntimeState).
 *
 * The rules worker waits for the index inside its write transaction, where it cannot await: it
 * blocks on a shared flag (Atomics.wait; a worker thread may block) and reads the reply with
 * receiveMessageOnPort. A thread that never gets going (its module did not load) is given up
 * after `startLimitMs`; one that started always posts a reply, an index or its error.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { AccessIndex } from '../../access/accessIndex.js';
import { unpackIndex } from '../../access/indexTransfer.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { COMPILE_POSTED, COMPILE_STARTED, type IndexCompileData, type IndexCompileReply } from './indexCompileProtocol.js';
import { spawnModuleWorker } from './moduleWorker.js';

export interface CompileWaitLimits {
  /** until the thread has loaded its module */
  startLimitMs: number;
  /** until its reply, in all */
  replyLimitMs: number;
}

const WAIT_LIMITS: CompileWaitLimits = { startLimitMs: 30_000, replyLimitMs: 10 * 60_000 };

export class IndexCompileThread {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private flag: Int32Array | null = null;
  private waited = 0;

  constructor(
    /** the database file to compile (read only) */
    private readonly path: string,
    private readonly limits: CompileWaitLimits = WAIT_LIMITS,
    /** the thread's module (tests start ones that fail) */
    private readonly module = { besideUrl: import.meta.url, name: 'indexCompileWorker' },
  ) {}

  /** Starts the thread; it compiles at once. Throws WORKER_FAILED if no thread can be started. */
  start(): void {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    try {
      const workerData: IndexCompileData = { path: this.path, port: port2, flag };
      this.worker = spawnModuleWorker(this.module.besideUrl, this.module.name, { workerData, transferList: [port2] });
      // a thread that fails to load says so here, once this thread runs events again: take() has given up on it by then
      this.worker.on('error', () => undefined);
    } catch (err) {
      port1.close();
      throw new GatewayError('WORKER_FAILED', `the compile thread did not start: ${(err as Error).message}`, {}, { cause: err });
    }
    this.port = port1;
    this.flag = new Int32Array(flag);
  }

  /** How long take() blocked, in ms: the compile's time beyond the copy's. */
  get waitedMs(): number {
    return this.waited;
  }

  /** Blocks until the index arrives; throws WORKER_FAILED if the thread failed, or did not answer in time. */
  take(): AccessIndex {
    const { port, flag } = this;
    if (port === null || flag === null) throw new GatewayError('WORKER_FAILED', 'the compile thread was not started');
    const started = performance.now();
    for (;;) {
      const state = Atomics.load(flag, 0);
      const received = receiveMessageOnPort(port);
      this.waited = performance.now() - started;
      if (received !== undefined) {
        const reply = received.message as IndexCompileReply;
        if (!reply.ok) throw new GatewayError('WORKER_FAILED', `the compile thread failed: ${reply.message}`);
        return unpackIndex(reply.packed);
      }
      // the flag is raised after the reply is posted: seen raised before the receive, the reply was there
      if (state === COMPILE_POSTED) throw new GatewayError('WORKER_FAILED', 'the compile thread ended without a reply');
      const limit = state === COMPILE_STARTED ? this.limits.replyLimitMs : this.limits.startLimitMs;
      const left = started + limit - performance.now();
      if (left <= 0) {
        throw new GatewayError('WORKER_FAILED', state === COMPILE_STARTED ? `the compile thread gave no index within ${limit} ms` : `the compile thread did not start within ${limit} ms`);
      }
      Atomics.wait(flag, 0, state, Math.min(left, 1000));
    }
  }

  /** Ends the thread (finished or not). */
  stop(): void {
    this.port?.close();
    this.port = null;
    this.flag = null;
    void this.worker?.terminate();
    this.worker = null;
  }
}

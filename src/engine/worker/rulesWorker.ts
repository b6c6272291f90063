/**
 * The gateway's side of the rules worker: starts the worker thread, hands it a change in slices
 * (a turn of the event loop between slices, so the doors keep deciding while a million operations
 * move), and resolves with the index the worker compiled and checked. One change at a time.
 * It is also the link's chunk decoder: snapshot chunks are verified and validated in the worker,
 * which holds their operations until the link stages or releases them (src/wire/chunkDecoder.ts).
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AccessIndex } from '../../access/accessIndex.js';
import { unpackIndex } from '../../access/indexTransfer.js';
import type { ChunkDecodeContext, ChunkDecoder, DecodedHeldChunk } from '../../wire/chunkDecoder.js';
import type { DecodeCloudFailure } from '../../wire/cloudMessageCodec.js';
import { HeldOperations, type OperationsHolder } from '../../wire/heldOperations.js';
import { GatewayError, isGatewayErrorCode } from '../../kernel/gatewayError.js';
import type { RulesChange } from '../../wire/rulesChange.js';
import { spawnModuleWorker } from './moduleWorker.js';
import type { RulesWorkerData, RulesWorkerReply, RulesWorkerRequest } from './rulesWorkerProtocol.js';

/** Operations per postMessage: copying 5,000 operations costs the main thread about 5 ms. */
const SLICE = 5000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RulesWorker implements ChunkDecoder, OperationsHolder {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private pending: { id: number; resolve: (index: AccessIndex) => void; reject: (err: Error) => void } | null = null;
  private ids = 0;
  private tokens = 0;
  private readonly decoding = new Map<number, { resolve: (result: DecodedHeldChunk | DecodeCloudFailure) => void; reject: (err: Error) => void }>();
  /** tokens of decoded chunks whose operations the worker holds, neither staged nor released yet */
  private readonly held = new Set<number>();
  /** the decode context the worker has, by identity */
  private decodeContext: ChunkDecodeContext | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: {
    dbPath: string;
    secret: Uint8Array;
    logger: Logger;
    parallelCompileFrom?: number;
    /** the thread's module, beside `besideUrl` (tests start one with a bug in it) */
    module?: { besideUrl: string; name: string };
  }) {
    this.log = options.logger.child({ module: 'store:rules_worker' });
  }

  /** Hands one verified snapshot chunk to the worker now (about 1 ms per 1,000 operations). */
  stageChunk(snapshotId: string, chunkIndex: number, operations: RulesChange['operations']): void {
    void this.start().catch(() => undefined);
    this.worker?.postMessage({ type: 'stageChunk', snapshotId, chunkIndex, operations } satisfies RulesWorkerRequest);
  }

  dropChunks(snapshotId: string): void {
    this.worker?.postMessage({ type: 'dropChunks', snapshotId } satisfies RulesWorkerRequest);
  }

  /** Verified and validated in the worker, which keeps the operations (chunkDecoder.ts); the payload is copied to it, not moved (the link keeps it in case the worker fails). */
  async decodeSnapshotChunk(topic: string, payload: Uint8Array, now: number, context: ChunkDecodeContext): Promise<DecodedHeldChunk | DecodeCloudFailure> {
    await this.start();
    const worker = this.worker;
    if (worker === null) throw new GatewayError('WORKER_FAILED', 'the rules worker is not running');
    if (this.decodeContext !== context) {
      worker.postMessage({ type: 'decodeContext', context } satisfies RulesWorkerRequest);
      this.decodeContext = context;
    }
    const token = ++this.tokens;
    return new Promise((resolve, reject) => {
      this.decoding.set(token, { resolve, reject });
      worker.postMessage({ type: 'decodeChunk', token, topic, payload, now } satisfies RulesWorkerRequest);
    });
  }

  /** Decoded chunks whose operations the worker holds for a decision (staged or released): none once the link is idle. */
  get heldChunks(): number {
    return this.held.size;
  }

  stageHeld(token: number, snapshotId: string, chunkIndex: number): void {
    this.held.delete(token);
    this.worker?.postMessage({ type: 'stageHeld', token, snapshotId, chunkIndex } satisfies RulesWorkerRequest);
  }

  releaseHeld(token: number): void {
    this.held.delete(token);
    this.worker?.postMessage({ type: 'releaseHeld', token } satisfies RulesWorkerRequest);
  }

  async start(): Promise<void> {
    if (this.ready !== null) return this.ready;
    const module = this.options.module ?? { besideUrl: import.meta.url, name: 'rulesWorkerThread' };
    const worker = spawnModuleWorker(module.besideUrl, module.name, {
      workerData: { dbPath: this.options.dbPath, secret: this.options.secret, parallelCompileFrom: this.options.parallelCompileFrom } satisfies RulesWorkerData,
    });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (m: RulesWorkerReply) => {
        if (m.type !== 'ready') return reject(new Error(`rules worker said ${m.type} first`));
        if ('error' in m.priority) this.log.warn({ reason: m.priority.error }, 'the rules worker runs at the same priority as the doors');
        else this.log.debug({ niceness: m.priority.niceness }, 'the rules worker runs at a lower priority');
        resolve();
      });
      worker.once('error', reject);
    });
    worker.on('message', (m: RulesWorkerReply) => this.onReply(m));
    worker.on('error', (err) => {
      this.log.error({ err }, 'the rules worker failed');
      this.fail(new GatewayError('WORKER_FAILED', `the rules worker failed: ${err.message}`));
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        this.worker = null;
        this.ready = null;
        this.fail(new GatewayError('WORKER_FAILED', `the rules worker exited (${code})`));
      }
    });
    return this.ready;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.ready = null;
    if (worker === null) return;
    await this.queue.catch(() => undefined);
    worker.postMessage({ type: 'close' } satisfies RulesWorkerRequest);
    await worker.terminate();
    this.fail(new GatewayError('WORKER_FAILED', 'the rules worker was stopped'));
  }

  /** Applies one change in the worker; rejects with the worker's GatewayError (nothing changed). */
  apply(change: RulesChange): Promise<AccessIndex> {
    const run = this.queue.catch(() => undefined).then(() => this.applyNow(change));
    this.queue = run;
    return run;
  }

  private async applyNow(change: RulesChange): Promise<AccessIndex> {
    await this.start();
    const worker = this.worker!;
    const post = (request: RulesWorkerRequest) => worker.postMessage(request);
    post({ type: 'discard' });
    for (let i = 0; i < change.operations.length; i += SLICE) {
      post({ type: 'stage', operations: change.operations.slice(i, i + SLICE) });
      if (i + SLICE < change.operations.length) await nextTurn();
    }
    const id = ++this.ids;
    return new Promise<AccessIndex>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      post({ type: 'apply', id, replace: change.replace, revision: change.revision, hash: change.hash, ...(change.staged === undefined ? {} : { staged: change.staged }) });
    });
  }

  private onReply(reply: RulesWorkerReply): void {
    if (reply.type === 'ready') return;
    if (reply.type === 'decoded') return this.onDecoded(reply);
    const pending = this.pending;
    if (pending === null || pending.id !== reply.id) return;
    this.pending = null;
    if (reply.type === 'applied') {
      const started = performance.now();
      const index = unpackIndex(reply.packed);
      const timing = { workerMs: Math.round(reply.ms), transferMs: Date.now() - reply.sentAt, unpackMs: Math.round(performance.now() - started), compile: reply.compile };
      if (reply.compile.includes('failed')) this.log.warn(timing, 'the rules worker applied a change, but compiled the whole index itself (see compile)');
      else this.log.debug(timing, 'the rules worker applied a change');
      // receiving a million-credential index costs this turn milliseconds; the caller swaps it in
      // and acknowledges a full turn of the event loop later (timers and I/O first), so the doors'
      // timers and readers run in between (setImmediate would run before them, in this same turn)
      setTimeout(() => pending.resolve(index), 0);
    } else {
      pending.reject(this.failure(reply));
    }
  }

  /** The worker's refusal as a GatewayError; a code that is not one of ours, or INTERNAL, is our bug: logged with its stack. */
  private failure(reply: Extract<RulesWorkerReply, { type: 'failed' }>): GatewayError {
    if (isGatewayErrorCode(reply.code) && reply.code !== 'INTERNAL') return new GatewayError(reply.code, reply.message, reply.details);
    const cause = Object.assign(new Error(reply.message), reply.stack === undefined ? {} : { stack: reply.stack });
    this.log.error({ err: cause, code: reply.code }, `a bug in the rules worker, not a fault of the change: ${reply.message}`);
    return new GatewayError('INTERNAL', `the rules worker failed on a bug of its own: ${reply.message}`, reply.details, { cause });
  }

  private onDecoded(reply: Extract<RulesWorkerReply, { type: 'decoded' }>): void {
    const waiting = this.decoding.get(reply.token);
    if (waiting === undefined) return;
    this.decoding.delete(reply.token);
    if ('error' in reply) return waiting.reject(new GatewayError('WORKER_FAILED', `the rules worker could not decode a snapshot chunk: ${reply.error}`));
    const result = reply.result;
    if (!result.ok) return waiting.resolve(result);
    const operations = new HeldOperations(this, reply.token, result.operationCount);
    this.held.add(reply.token);
    waiting.resolve({ ok: true, type: 'snapshot', message: { ...result.chunk, operations }, claims: result.claims, header: result.header });
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(err);
    const decoding = [...this.decoding.values()];
    this.decoding.clear();
    this.decodeContext = null; // a restarted worker has none
    this.held.clear(); // nor the operations it held
    for (const waiting of decoding) waiting.reject(err);
  }
}

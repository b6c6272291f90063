/**
 * Cloud changes applied off the event loop: the rules worker applies the change with its own
 * database connection and builds the index while the doors go on deciding with the current one.
 * Meanwhile the doors' thread writes nothing to the database (RuntimeWrites defers use counts,
 * lockdowns and keypad lockouts, the journal holds its buffer, busy_timeout is 0 so nothing can
 * wait on the lock); afterwards the deferred writes land and are carried into the new index
 * before it is swapped in. Snapshot chunks are verified and kept by the worker.
 */
import type { Logger } from 'pino';
import { noteUse, withLockdown } from '../access/accessIndex.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { Journal } from '../journal/journal.js';
import type { Db } from '../store/database.js';
import type { AccessStore } from '../store/accessStore.js';
import { HeldOperations, type ChunkOperations } from '../wire/heldOperations.js';
import type { RulesChange } from '../wire/rulesChange.js';
import type { AccessEngine, AppliedState } from './accessEngine.js';
import type { RulesApplier } from './rulesApplier.js';
import type { RuntimeWrites } from './runtimeWrites.js';
import type { RulesWorker } from './worker/rulesWorker.js';

export interface WorkerRulesApplierOptions {
  engine: AccessEngine;
  store: AccessStore;
  db: Db;
  journal: Journal;
  writes: RuntimeWrites;
  worker: RulesWorker;
  logger: Logger;
}

export class WorkerRulesApplier implements RulesApplier {
  readonly name = 'rules worker';
  private running = false;
  private readonly log: Logger;

  constructor(private readonly options: WorkerRulesApplierOptions) {
    this.log = options.logger.child({ module: 'engine:rules-worker' });
  }

  async start(): Promise<void> {
    await this.options.worker.start();
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.options.worker.stop();
  }

  async apply(change: RulesChange): Promise<AppliedState> {
    const { engine, store, db, journal, writes, worker } = this.options;
    const started = performance.now();
    writes.defer();
    journal.hold();
    const busyTimeout = Number(db.pragma('busy_timeout', { simple: true }));
    db.pragma('busy_timeout = 0');
    let uses: string[];
    let built;
    try {
      built = await worker.apply(change);
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`);
      uses = writes.writeWaiting();
      journal.release();
      // how long the doors' writes waited in memory: the window a power cut would lose (docs/durability.md)
      this.log.debug({ ms: Math.round(performance.now() - started), uses: uses.length, revision: change.revision }, 'the doors\' writes waited for the rules worker');
    }
    if (!this.running) throw new GatewayError('NOT_STARTED', 'the gateway stopped while the change was applied');
    const next = withLockdown(built, store.lockdown());
    for (const id of uses) noteUse(next, id);
    engine.swap(next);
    return engine.applied();
  }

  stageChunk(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void {
    if (operations instanceof HeldOperations) operations.stage(snapshotId, chunkIndex); // the worker decoded it and has it
    else this.options.worker.stageChunk(snapshotId, chunkIndex, operations);
  }

  dropChunks(snapshotId: string): void {
    this.options.worker.dropChunks(snapshotId);
  }

  chunkDecoder(): RulesWorker {
    return this.options.worker;
  }
}

/**
 * Cloud → gateway state sync (docs/mqtt.md, "Versions, snapshots and deltas"). Receives verified
 * snapshot chunks and deltas and decides what to do with each against the applied revision A:
 *
 * - a delta from A is applied (one transaction, hash checked before the commit), then the
 *   deltas buffered behind it; a delta up to A or earlier is a duplicate (acknowledged
 *   `duplicate: true`, ignored) when its content is what was applied, and otherwise a conflict:
 *   not applied, acknowledged `conflict: true` and rejected (security event `conflicting_delta`;
 *   appliedHistory.ts);
 *   a delta that starts after A (a gap) or overlaps A is buffered and the gateway asks for what
 *   it is missing (sync_request with a transaction id);
 * - snapshot chunks are assembled (snapshotAssembly.ts) and the snapshot is applied only when
 *   complete; a snapshot older than A is a rollback and is refused; a silent snapshot gets a
 *   request for its missing chunks.
 *
 * Applying belongs to the target (the gateway: transaction, hash check, index swap); this class
 * owns only ordering, buffering and requests. Runs on the injected clock.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { isGatewayError, type GatewayErrorCode } from '../kernel/gatewayError.js';
import type { CloudConfig } from './cloudConfig.js';
import type { HeldSnapshotChunk } from '../wire/heldOperations.js';
import type { AppliedState, StateChange, SyncPublisher, SyncTarget } from './syncTarget.js';
import type { ApplyAck, Delta, GatewayMessage, GatewayMessageType, SecurityEventReason, SnapshotChunk, SyncRequest } from '../wire/messages.js';
import { AppliedHistory, type AppliedHistoryPersistence } from './appliedHistory.js';
import { DeltaQueue, type QueuedDelta } from './deltaQueue.js';
import type { CompleteSnapshot } from './snapshotAssembly.js';
import { SnapshotReception } from './snapshotReception.js';
import { SyncRequests } from './syncRequests.js';


export interface StateSyncOptions {
  target: SyncTarget;
  publisher: SyncPublisher;
  clock: Clock;
  logger: Logger;
  config: CloudConfig['sync'];
  /** where what was applied per revision is kept across restarts; default: in memory only */
  history?: AppliedHistoryPersistence;
  /** runs the apply of waiting deltas on a later turn of the event loop; default setImmediate */
  defer?: (run: () => void) => void;
}

export type StateSyncEvents = {
  applied: [ApplyAck];
  requested: [SyncRequest];
  /** a message that must not be applied for a security reason (the link records it) */
  rejected: [{ reason: SecurityEventReason; type: 'snapshot' | 'delta'; detail: string; jti?: string }];
  /** a change that could not be applied (bad references, duplicate PIN, ...; INTERNAL: a bug of ours) */
  failed: [{ detail: string; code: GatewayErrorCode }];
};

type Want = SyncRequest['want'];
type Reason = SyncRequest['reason'];

/** the message a change came in (the last one of it), for the reply */
interface AppliedFrom {
  inReplyTo: string;
  snapshotId?: string;
}

export class StateSync extends EventEmitter<StateSyncEvents> {
  private readonly log: Logger;
  private readonly snapshots: SnapshotReception;
  /** deltas ahead of a gap, or waiting for the next turn */
  private readonly buffered: DeltaQueue;
  private readonly requests: SyncRequests;
  /** what was applied per revision, to tell a duplicate delta from a conflicting one */
  private readonly history: AppliedHistory;
  private retryTimer: TimerHandle | null = null;
  private connected = false;
  private requestedOnce = false;
  private duplicateSnapshotId: string | null = null;
  private drainScheduled = false;
  /** the change being applied asynchronously (by the rules worker) */
  private inFlight: { revision: number } | null = null;
  /** a snapshot completed while a change was in flight */
  private waitingSnapshot: CompleteSnapshot | null = null;
  /** after a run failed: deltas up to this revision are applied one at a time */
  private singleStepUntil = 0;
  private stopped = false;
  /**
   * After a change failed on a bug of ours (INTERNAL): the gateway does not ask for it again on its
   * own (heartbeat behind, stale) until a change applies or a snapshot is asked for (resync)
   */
  private heldByBug = false;

  constructor(private readonly options: StateSyncOptions) {
    super();
    this.log = options.logger.child({ module: 'cloud:sync' });
    const { clock, config, target } = options;
    this.history = new AppliedHistory(options.history === undefined ? undefined : { ...options.history, log: this.log });
    this.snapshots = new SnapshotReception({
      clock, log: this.log, maxOperations: config.maxSnapshotOperations, chunkTimeoutMs: config.chunkTimeoutMs, target,
      request: (want, detail) => this.request('incomplete_snapshot', want, true, detail),
    });
    this.buffered = new DeltaQueue(config.maxBufferedDeltas);
    this.requests = new SyncRequests({ clock, retryMs: config.requestRetryMs, applied: () => target.applied() });
  }

  async start(): Promise<void> {
    this.history.load();
  }

  async stop(): Promise<void> {
    this.connected = false;
    this.stopped = true;
    this.snapshots.stop();
    this.cancelRetry();
  }

  /** The link is up: on the first connection, say what the gateway has and ask for what is new. */
  onConnected(): void {
    this.connected = true;
    if (!this.requestedOnce) {
      this.requestedOnce = true;
      const { revision } = this.options.target.applied();
      this.request('startup', revision === 0 ? { kind: 'snapshot' } : { kind: 'delta', fromVersion: revision });
    }
  }

  onDisconnected(): void {
    this.connected = false;
  }

  /** The cloud has `revision` (a heartbeat): ask for it when the gateway is behind and not already catching up. */
  onCloudRevision(revision: number, reason: Reason = 'gap'): void {
    const applied = this.options.target.applied().revision;
    if (revision <= applied || this.catchingUp() || this.heldByBug) return;
    this.request(reason, applied === 0 ? { kind: 'snapshot' } : { kind: 'delta', fromVersion: applied, toVersion: revision });
  }

  /**
   * Asks for whatever is newer than the applied revision (e.g. the heartbeat went stale); `force`:
   * even when the same request went out less than requestRetryMs ago (the caller bounds the cadence).
   */
  requestLatest(reason: Reason, force = false): void {
    if (this.catchingUp() || this.heldByBug) return;
    const { revision } = this.options.target.applied();
    this.request(reason, revision === 0 ? { kind: 'snapshot' } : { kind: 'delta', fromVersion: revision }, force);
  }

  /** Something is on its way to being applied: a change in flight, a complete or an incomplete snapshot. */
  private catchingUp(): boolean {
    return this.inFlight !== null || this.waitingSnapshot !== null || this.snapshots.missing() !== null;
  }

  /** A full snapshot is wanted (resync command, stale state): returns the request's transaction id. */
  requestSnapshot(reason: Reason): string {
    this.heldByBug = false;
    return this.request(reason, { kind: 'snapshot' }, true);
  }

  onDelta(delta: Delta, jti: string): void {
    const applied = this.options.target.applied();
    if (delta.toVersion <= applied.revision) {
      const verdict = this.history.judge(delta, applied);
      if (verdict.duplicate) {
        this.ack({ ...applied, duplicate: true, inReplyTo: jti });
        return;
      }
      this.log.warn({ fromVersion: delta.fromVersion, toVersion: delta.toVersion, applied: applied.revision, jti }, verdict.detail);
      this.emit('rejected', { reason: 'conflicting_delta', type: 'delta', detail: verdict.detail, jti });
      this.ack({ ...applied, duplicate: false, conflict: true, inReplyTo: jti });
      return;
    }
    // deltas continue from where the change in flight and the deltas already waiting end
    const base = this.buffered.chainEnd(this.inFlight?.revision ?? applied.revision);
    if (delta.toVersion <= base) return; // in flight or waiting already
    if (delta.fromVersion !== base) {
      // a gap: keep it for later and ask for up to the first buffered delta; an overlap: ask past it
      if (delta.fromVersion > base) this.buffered.add(delta, jti);
      const toVersion = delta.fromVersion > base ? this.buffered.firstBeyond(base, delta.fromVersion) : delta.toVersion;
      this.request('gap', base === 0 ? { kind: 'snapshot' } : { kind: 'delta', fromVersion: base, toVersion });
      return;
    }
    // it fits: applied on the next turn of the event loop, together with any deltas that arrived
    // meanwhile (one transaction and one index rebuild for a burst, acknowledged at its end)
    this.buffered.add(delta, jti);
    this.scheduleDrain();
  }

  /** Operations held by another thread (HeldOperations) need a target with stageChunk; unless staged, the caller releases them. */
  onSnapshotChunk(chunk: SnapshotChunk | HeldSnapshotChunk, jti: string): void {
    const applied = this.options.target.applied();
    if (chunk.version < applied.revision) {
      this.emit('rejected', { reason: 'rollback', type: 'snapshot', detail: `snapshot ${chunk.snapshotId} is version ${chunk.version}, older than the applied revision ${applied.revision}`, jti });
      return;
    }
    if (chunk.version === applied.revision && chunk.hash === applied.hash) {
      if (this.duplicateSnapshotId !== chunk.snapshotId) {
        this.duplicateSnapshotId = chunk.snapshotId;
        this.ack({ ...applied, duplicate: true, inReplyTo: jti, snapshotId: chunk.snapshotId });
      }
      return;
    }
    const snapshot = this.snapshots.add(chunk, jti);
    if (snapshot === null) return;
    if (this.inFlight !== null) this.waitingSnapshot = snapshot; // applied when the change in flight is done
    else this.applySnapshot(snapshot);
  }

  status(): { bufferedDeltas: number; snapshotInProgress: { snapshotId: string; version: number; missing: number } | null } {
    const missing = this.snapshots.missing();
    return {
      bufferedDeltas: this.buffered.size,
      snapshotInProgress: missing === null ? null : { snapshotId: missing.snapshotId, version: missing.version, missing: missing.chunks.length },
    };
  }

  // ── applying ──────────────────────────────────────────────────────────────────────────────

  /** Applies a run of consecutive deltas as one change; acknowledges its last revision. */
  private applyDeltas(run: QueuedDelta[]): void {
    const first = run[0]!.delta;
    const last = run[run.length - 1]!;
    const operations = run.length === 1 ? first.operations : run.flatMap((b) => b.delta.operations);
    const what = run.length === 1 ? `delta ${first.fromVersion}→${first.toVersion}` : `${run.length} deltas ${first.fromVersion}→${last.delta.toVersion}`;
    this.applyChange({ operations, replace: false, revision: last.delta.toVersion, hash: last.delta.hash }, { inReplyTo: last.jti }, what, run.length === 1, (done) => {
      if (done === 'retry') {
        // one of them cannot be applied: one at a time, so the good ones before it still land
        this.buffered.putBack(run);
        this.singleStepUntil = last.delta.toVersion;
        return;
      }
      if (done === null) return;
      this.history.deltas(run.map((queued) => queued.delta));
      this.ack({ ...done, duplicate: false, inReplyTo: last.jti });
    });
  }

  private applySnapshot(snapshot: CompleteSnapshot): void {
    const what = `snapshot ${snapshot.snapshotId} (version ${snapshot.version})`;
    const staged = this.options.target.stageChunk === undefined ? {} : { staged: { snapshotId: snapshot.snapshotId, chunkCount: snapshot.chunkCount } };
    this.applyChange({ operations: snapshot.operations, replace: true, revision: snapshot.version, hash: snapshot.hash, ...staged }, { inReplyTo: snapshot.lastJti, snapshotId: snapshot.snapshotId }, what, true, (done) => {
      if (done === null || done === 'retry') return;
      this.history.snapshot(done);
      this.ack({ ...done, duplicate: false, inReplyTo: snapshot.lastJti, snapshotId: snapshot.snapshotId });
    });
  }

  /**
   * Applies through the target (at once, or asynchronously: then nothing else is applied until it
   * is done), then calls `done` and looks for what can be applied next. On failure says so and
   * asks for what would repair it; with `report` false a failure other than a hash mismatch gives
   * 'retry' without a word.
   */
  private applyChange(change: StateChange, from: AppliedFrom, what: string, report: boolean, done: (result: AppliedState | null | 'retry') => void): void {
    const started = performance.now();
    // a staged snapshot's operations are in the worker's chunks, not in `operations` (which is empty)
    const size = change.staged ? { chunks: change.staged.chunkCount, operations: 'in staged chunks' } : { operations: change.operations.length };
    this.log.info({ revision: change.revision, ...size }, `applying ${what}`);
    const succeeded = (result: AppliedState) => {
      this.heldByBug = false;
      this.log.info({ revision: result.revision, hash: result.hash, ...size, ms: Math.round(performance.now() - started) }, `applied ${what}`);
      done(result);
    };
    const failed = (err: unknown) => done(this.failure(err, change, from, what, report));
    let result: AppliedState | Promise<AppliedState>;
    try {
      result = this.options.target.apply(change);
    } catch (err) {
      failed(err);
      this.afterApply();
      return;
    }
    if (!(result instanceof Promise)) {
      succeeded(result);
      this.afterApply();
      return;
    }
    this.inFlight = { revision: change.revision };
    result.then(succeeded, failed).finally(() => {
      this.inFlight = null;
      this.afterApply();
    });
  }

  private failure(err: unknown, change: StateChange, from: AppliedFrom, what: string, report: boolean): null | 'retry' {
    const jti = from.inReplyTo;
    const code = isGatewayError(err) ? err.code : 'INTERNAL';
    const detail = `${what} was not applied: ${(err as Error).message}`;
    if (code !== 'HASH_MISMATCH' && !report) return 'retry';
    if (code === 'HASH_MISMATCH') {
      this.emit('rejected', { reason: 'hash_mismatch', type: change.replace ? 'snapshot' : 'delta', detail, jti });
      this.request('hash_mismatch', { kind: 'snapshot' }, true, detail);
      return null;
    }
    // the same change would fail again, and what waits behind it needs it
    this.emit('failed', { detail, code });
    this.buffered.clear();
    this.cancelRetry();
    if (code === 'INTERNAL') {
      // our bug, not the cloud's data: a snapshot would fail the same way, and asking for it again
      // would loop; the gateway keeps its state and says so (docs/mqtt.md, apply_failed)
      this.log.error({ code, err }, `${detail} (a bug of the gateway, not the cloud's data)`);
      this.heldByBug = true;
      const applied = this.options.target.applied();
      this.send('apply_failed', { revision: applied.revision, hash: applied.hash, code, detail: detail.slice(0, 1000), ...from });
    } else {
      this.log.error({ code }, detail);
      // ask for a snapshot (docs/mqtt.md: answer apply_failed with fixed data, not the same delta)
      this.request('apply_failed', { kind: 'snapshot' }, true, detail);
    }
    return null;
  }

  /** What waited for the change just applied: a complete snapshot, then deltas that now fit. */
  private afterApply(): void {
    if (this.stopped) return;
    const snapshot = this.waitingSnapshot;
    this.waitingSnapshot = null;
    if (snapshot !== null && snapshot.version >= this.options.target.applied().revision) {
      this.applySnapshot(snapshot);
      return;
    }
    if (snapshot !== null) this.options.target.dropChunks?.(snapshot.snapshotId);
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.stopped) return;
    this.drainScheduled = true;
    (this.options.defer ?? setImmediate)(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Applies the next run of buffered deltas that fits (the next run follows from afterApply). */
  private drain(): void {
    if (this.inFlight !== null || this.stopped) return;
    const { revision } = this.options.target.applied();
    const run = this.buffered.takeRun(revision, revision < this.singleStepUntil);
    if (run.length === 0) {
      if (this.buffered.size === 0) this.cancelRetry();
      return;
    }
    this.applyDeltas(run);
  }

  // ── messages out ──────────────────────────────────────────────────────────────────────────

  private ack(ack: ApplyAck): void {
    this.emit('applied', ack);
    this.send('apply_ack', ack);
  }

  /**
   * Sends a sync_request unless the same one went out less than requestRetryMs ago (`force`
   * skips that check); arms a retry while the gateway is still missing something.
   */
  private request(reason: Reason, want: Want, force = false, detail?: string): string {
    if (this.stopped) return '';
    const message = this.requests.next(reason, want, force, detail);
    if (message === null) return '';
    this.log.info({ transaction: message.transaction, reason, want, revision: message.revision }, 'asking the cloud for what is missing');
    this.emit('requested', message);
    this.send('sync_request', message);
    this.armRetry();
    return message.transaction;
  }

  private send<T extends GatewayMessageType>(type: T, message: GatewayMessage<T>): void {
    if (!this.connected) return; // the startup request and the heartbeat cover what was missed
    this.options.publisher.publish(type, message).catch((err: unknown) => {
      this.log.warn({ err, type }, `could not publish ${type}`);
    });
  }

  // ── timers ────────────────────────────────────────────────────────────────────────────────

  /** While deltas wait behind a gap, re-ask every requestRetryMs. */
  private armRetry(): void {
    if (this.retryTimer !== null || this.stopped) return;
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = null;
      if (this.buffered.size === 0) return;
      if (this.catchingUp()) {
        this.armRetry();
        return;
      }
      const base = this.buffered.chainEnd(this.options.target.applied().revision);
      const first = this.buffered.firstBeyond(base, Number.POSITIVE_INFINITY);
      if (first === Number.POSITIVE_INFINITY) return;
      this.request('gap', { kind: 'delta', fromVersion: base, toVersion: first }, true);
    }, this.options.config.requestRetryMs);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

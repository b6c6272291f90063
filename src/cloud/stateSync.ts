/**
 * Cloud → gateway state sync (docs/mqtt.md, "Versions, snapshots and deltas"). Receives verified
 * snapshot chunks and deltas and decides what to do with each against the applied revision A:
 *
 * - a delta from A is applied (one transaction, hash checked before the commit), then the
 *   deltas buffered behind it; a delta up to A or earlier is a duplicate: acknowledged, ignored;
 *   a delta that starts after A (a gap) or overlaps A is buffered and the gateway asks for what
 *   it is missing (sync_request with a transaction id);
 * - snapshot chunks are assembled (snapshotAssembly.ts) and the snapshot is applied only when
 *   complete; a snapshot older than A is a rollback and is refused; a silent snapshot gets a
 *   request for its missing chunks.
 *
 * Applying belongs to the target (the gateway: transaction, hash check, index swap); this class
 * owns only ordering, buffering and requests. Runs on the injected clock.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RulesChange } from '../wire/rulesChange.js';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { isGatewayError, type GatewayErrorCode } from '../kernel/gatewayError.js';
import type { CloudConfig } from './cloudConfig.js';
import type { ChunkOperations, HeldSnapshotChunk } from '../wire/heldOperations.js';
import type { ApplyAck, Delta, GatewayMessage, GatewayMessageType, SecurityEventReason, SnapshotChunk, SyncRequest } from '../wire/messages.js';
import { SnapshotAssembly, type CompleteSnapshot } from './snapshotAssembly.js';

export interface AppliedState {
  revision: number;
  hash: string;
}

/** A snapshot (replace) or delta, with the hash the state must have afterwards. */
export type StateChange = RulesChange;

/** What the sync applies to: the gateway. */
export interface SyncTarget {
  applied(): AppliedState;
  /**
   * One transaction; throws (or rejects with) a GatewayError and changes nothing when it cannot
   * apply. May resolve later (the rules worker): nothing else is applied meanwhile.
   */
  apply(change: StateChange): AppliedState | Promise<AppliedState>;
  /**
   * Optional: takes each verified snapshot chunk as it arrives (the rules worker keeps it), so the
   * main thread never holds or copies a whole snapshot; the snapshot's change then names the
   * staged chunks instead of carrying operations.
   */
  stageChunk?(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void;
  dropChunks?(snapshotId: string): void;
}

export interface SyncPublisher {
  publish<T extends GatewayMessageType>(type: T, message: GatewayMessage<T>): Promise<void>;
}

export interface StateSyncOptions {
  target: SyncTarget;
  publisher: SyncPublisher;
  clock: Clock;
  logger: Logger;
  config: CloudConfig['sync'];
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

interface Buffered {
  delta: Delta;
  jti: string;
}

/** The most operations applied as one change when consecutive deltas are waiting. */
const MAX_RUN_OPERATIONS = 200_000;

/** Chunk requests before a silent snapshot is given up and a whole new one asked for. */
const CHUNK_RETRIES = 3;

export class StateSync extends EventEmitter<StateSyncEvents> {
  private readonly log: Logger;
  private readonly assembly: SnapshotAssembly;
  /** deltas ahead of a gap, by fromVersion */
  private readonly buffered = new Map<number, Buffered>();
  private lastRequest: { key: string; at: number } | null = null;
  private chunkTimer: TimerHandle | null = null;
  private chunkRetries = 0;
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
  /** the last snapshots assembled: their chunks may be redelivered (QoS 1) and are ignored */
  private readonly completedSnapshotIds: string[] = [];
  private transactions = 0;

  constructor(private readonly options: StateSyncOptions) {
    super();
    this.log = options.logger.child({ module: 'cloud:sync' });
    this.assembly = new SnapshotAssembly(options.config.maxSnapshotOperations, options.target.stageChunk === undefined);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.connected = false;
    this.stopped = true;
    this.clearTimers();
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

  /** Asks for whatever is newer than the applied revision (e.g. the heartbeat went stale). */
  requestLatest(reason: Reason): void {
    if (this.catchingUp() || this.heldByBug) return;
    const { revision } = this.options.target.applied();
    this.request(reason, revision === 0 ? { kind: 'snapshot' } : { kind: 'delta', fromVersion: revision });
  }

  /** Something is on its way to being applied: a change in flight, a complete or an incomplete snapshot. */
  private catchingUp(): boolean {
    return this.inFlight !== null || this.waitingSnapshot !== null || this.assembly.missing() !== null;
  }

  /** The end of the chain of waiting deltas that starts at `from`. */
  private chainEnd(from: number): number {
    let end = from;
    for (let next = this.buffered.get(end); next !== undefined; next = this.buffered.get(end)) end = next.delta.toVersion;
    return end;
  }

  /** The first waiting delta past `from` (the far side of a gap), or `fallback`. */
  private firstBeyond(from: number, fallback: number): number {
    let first = fallback;
    for (const key of this.buffered.keys()) if (key > from && key < first) first = key;
    return first;
  }

  /** A full snapshot is wanted (resync command, stale state): returns the request's transaction id. */
  requestSnapshot(reason: Reason): string {
    this.heldByBug = false;
    return this.request(reason, { kind: 'snapshot' }, true);
  }

  onDelta(delta: Delta, jti: string): void {
    const applied = this.options.target.applied();
    if (delta.toVersion <= applied.revision) {
      this.ack({ ...applied, duplicate: true, inReplyTo: jti });
      return;
    }
    // deltas continue from where the change in flight and the deltas already waiting end
    const base = this.chainEnd(this.inFlight?.revision ?? applied.revision);
    if (delta.toVersion <= base) return; // in flight or waiting already
    if (delta.fromVersion !== base) {
      // a gap: keep it for later and ask for up to the first buffered delta; an overlap: ask past it
      if (delta.fromVersion > base) this.buffer(delta, jti);
      const toVersion = delta.fromVersion > base ? this.firstBeyond(base, delta.fromVersion) : delta.toVersion;
      this.request('gap', base === 0 ? { kind: 'snapshot' } : { kind: 'delta', fromVersion: base, toVersion });
      return;
    }
    // it fits: applied on the next turn of the event loop, together with any deltas that arrived
    // meanwhile (one transaction and one index rebuild for a burst, acknowledged at its end)
    this.buffer(delta, jti);
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
    if (this.completedSnapshotIds.includes(chunk.snapshotId)) return; // a redelivered chunk of a snapshot already assembled
    const result = this.assembly.add(chunk, jti);
    const { target } = this.options;
    if (result.kind === 'incomplete' || result.kind === 'complete') {
      if (result.replaced !== undefined) target.dropChunks?.(result.replaced);
      target.stageChunk?.(chunk.snapshotId, chunk.chunkIndex, chunk.operations);
    } else if (result.kind === 'refused') {
      target.dropChunks?.(chunk.snapshotId);
      if (result.replaced !== undefined) target.dropChunks?.(result.replaced);
    }
    if (result.kind === 'complete') {
      this.completedSnapshotIds.push(chunk.snapshotId);
      if (this.completedSnapshotIds.length > 8) this.completedSnapshotIds.shift();
    }
    switch (result.kind) {
      case 'ignored':
        this.log.debug({ snapshotId: chunk.snapshotId, chunk: chunk.chunkIndex }, result.detail);
        return;
      case 'refused':
        this.log.warn({ snapshotId: chunk.snapshotId }, result.detail);
        this.cancelChunkTimer();
        this.request('incomplete_snapshot', { kind: 'snapshot' }, true, result.detail);
        return;
      case 'incomplete':
        this.chunkRetries = 0;
        this.armChunkTimer();
        return;
      case 'complete':
        this.cancelChunkTimer();
        if (this.inFlight !== null) this.waitingSnapshot = result.snapshot; // applied when the change in flight is done
        else this.applySnapshot(result.snapshot);
        return;
    }
  }

  status(): { bufferedDeltas: number; snapshotInProgress: { snapshotId: string; version: number; missing: number } | null } {
    const missing = this.assembly.missing();
    return {
      bufferedDeltas: this.buffered.size,
      snapshotInProgress: missing === null ? null : { snapshotId: missing.snapshotId, version: missing.version, missing: missing.chunks.length },
    };
  }

  // ── applying ──────────────────────────────────────────────────────────────────────────────

  /** Applies a run of consecutive deltas as one change; acknowledges its last revision. */
  private applyDeltas(run: Buffered[]): void {
    const first = run[0]!.delta;
    const last = run[run.length - 1]!;
    const operations = run.length === 1 ? first.operations : run.flatMap((b) => b.delta.operations);
    const what = run.length === 1 ? `delta ${first.fromVersion}→${first.toVersion}` : `${run.length} deltas ${first.fromVersion}→${last.delta.toVersion}`;
    this.applyChange({ operations, replace: false, revision: last.delta.toVersion, hash: last.delta.hash }, { inReplyTo: last.jti }, what, run.length === 1, (done) => {
      if (done === 'retry') {
        // one of them cannot be applied: one at a time, so the good ones before it still land
        for (const b of run) this.buffered.set(b.delta.fromVersion, b);
        this.singleStepUntil = last.delta.toVersion;
        return;
      }
      if (done !== null) this.ack({ ...done, duplicate: false, inReplyTo: last.jti });
    });
  }

  private applySnapshot(snapshot: CompleteSnapshot): void {
    const what = `snapshot ${snapshot.snapshotId} (version ${snapshot.version})`;
    const staged = this.options.target.stageChunk === undefined ? {} : { staged: { snapshotId: snapshot.snapshotId, chunkCount: snapshot.chunkCount } };
    this.applyChange({ operations: snapshot.operations, replace: true, revision: snapshot.version, hash: snapshot.hash, ...staged }, { inReplyTo: snapshot.lastJti, snapshotId: snapshot.snapshotId }, what, true, (done) => {
      if (done !== null && done !== 'retry') this.ack({ ...done, duplicate: false, inReplyTo: snapshot.lastJti, snapshotId: snapshot.snapshotId });
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
    this.log.info({ revision: change.revision, operations: change.operations.length }, `applying ${what}`);
    const succeeded = (result: AppliedState) => {
      this.heldByBug = false;
      this.log.info({ revision: result.revision, hash: result.hash, operations: change.operations.length, ms: Math.round(performance.now() - started) }, `applied ${what}`);
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
    } else if (code === 'INTERNAL') {
      // our bug, not the cloud's data: a snapshot would fail the same way, and asking for it again
      // would loop; the gateway keeps its state and says so (docs/mqtt.md, apply_failed)
      this.log.error({ code, err }, `${detail} (a bug of the gateway, not the cloud's data)`);
      this.emit('failed', { detail, code });
      this.buffered.clear();
      this.cancelRetry();
      this.heldByBug = true;
      const applied = this.options.target.applied();
      this.send('apply_failed', { revision: applied.revision, hash: applied.hash, code, detail: detail.slice(0, 1000), ...from });
    } else {
      this.log.error({ code, err: isGatewayError(err) ? undefined : err }, detail);
      this.emit('failed', { detail, code });
      // the same change would fail again, and what waits behind it needs it: ask for a snapshot
      // (docs/mqtt.md: answer apply_failed with fixed data, not the same delta)
      this.buffered.clear();
      this.cancelRetry();
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
    for (const [from, b] of this.buffered) if (b.delta.toVersion <= revision) this.buffered.delete(from);
    const run: Buffered[] = [];
    let operations = 0;
    for (let next = this.buffered.get(revision); next !== undefined; next = this.buffered.get(next.delta.toVersion)) {
      if (run.length > 0 && (revision < this.singleStepUntil || operations + next.delta.operations.length > MAX_RUN_OPERATIONS)) break;
      run.push(next);
      operations += next.delta.operations.length;
    }
    if (run.length === 0) {
      if (this.buffered.size === 0) this.cancelRetry();
      return;
    }
    for (const b of run) this.buffered.delete(b.delta.fromVersion);
    this.applyDeltas(run);
  }

  private buffer(delta: Delta, jti: string): void {
    if (this.buffered.has(delta.fromVersion)) {
      const held = this.buffered.get(delta.fromVersion)!;
      if (held.delta.toVersion >= delta.toVersion) return;
    } else if (this.buffered.size >= this.options.config.maxBufferedDeltas) {
      // keep the ones closest to the applied revision: they are the next to fit
      const furthest = Math.max(...this.buffered.keys());
      if (furthest < delta.fromVersion) return;
      this.buffered.delete(furthest);
    }
    this.buffered.set(delta.fromVersion, { delta, jti });
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
    const now = this.options.clock.now();
    const key = JSON.stringify(want);
    const retryMs = this.options.config.requestRetryMs;
    if (!force && this.lastRequest !== null && this.lastRequest.key === key && now - this.lastRequest.at < retryMs) return '';
    this.lastRequest = { key, at: now };
    const applied = this.options.target.applied();
    this.transactions += 1;
    const transaction = `sync-${this.transactions}-${randomBytes(4).toString('hex')}`;
    const message: SyncRequest = {
      transaction,
      revision: applied.revision,
      hash: applied.hash,
      reason,
      want,
      ...(detail === undefined ? {} : { detail: detail.slice(0, 1000) }),
    };
    this.log.info({ transaction, reason, want, revision: applied.revision }, 'asking the cloud for what is missing');
    this.emit('requested', message);
    this.send('sync_request', message);
    this.armRetry();
    return transaction;
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
      const base = this.chainEnd(this.options.target.applied().revision);
      const first = this.firstBeyond(base, Number.POSITIVE_INFINITY);
      if (first === Number.POSITIVE_INFINITY) return;
      this.request('gap', { kind: 'delta', fromVersion: base, toVersion: first }, true);
    }, this.options.config.requestRetryMs);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private armChunkTimer(): void {
    this.cancelChunkTimer();
    this.chunkTimer = this.options.clock.setTimeout(() => this.onChunkTimeout(), this.options.config.chunkTimeoutMs);
  }

  private cancelChunkTimer(): void {
    if (this.chunkTimer !== null) this.options.clock.clearTimeout(this.chunkTimer);
    this.chunkTimer = null;
  }

  private onChunkTimeout(): void {
    this.chunkTimer = null;
    const missing = this.assembly.missing();
    if (missing === null) return;
    this.chunkRetries += 1;
    if (this.chunkRetries > CHUNK_RETRIES) {
      this.assembly.clear();
      // the chunks handed over so far (rules worker: in memory and in its scratch file) go too
      this.options.target.dropChunks?.(missing.snapshotId);
      this.request('incomplete_snapshot', { kind: 'snapshot' }, true, `snapshot ${missing.snapshotId} still lacks ${missing.chunks.length} chunk(s) after ${CHUNK_RETRIES} requests`);
      return;
    }
    this.request('incomplete_snapshot', { kind: 'chunks', ...missing }, true);
    this.armChunkTimer();
  }

  private clearTimers(): void {
    this.cancelChunkTimer();
    this.cancelRetry();
  }
}

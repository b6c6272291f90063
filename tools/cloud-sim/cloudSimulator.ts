/**
 * The cloud, simulated, for one gateway (installers, demos and tests): it holds a signing key and
 * a versioned state (simState.ts), and speaks the MQTT contract of docs/mqtt.md from the cloud's
 * side:
 *
 * - publishes the state as a chunked snapshot (publishSnapshot) or a change as a delta
 *   (publishDelta: applied to its own state first, then sent fromVersion → toVersion with the
 *   hash), or a whole site as whichever fits (publishSite);
 * - answers sync requests (syncAnswer.ts), with the request's transaction echoed;
 * - sends commands and resolves each with the command_response of its correlationId;
 * - acknowledges every event batch up to its last seq, and publishes a signed heartbeat every
 *   heartbeatIntervalMs on the injected clock (and on every connect);
 * - emits a typed event for every gateway message (CloudSimulatorEvents). A listener that throws
 *   is logged and does not stop the simulator.
 *
 * Work that reads or changes the state (publishing, answering) runs one at a time, in order.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { TimerHandle } from '../../src/kernel/clock.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';
import { decodeGatewayMessage } from '../../src/wire/cloudMessageCodec.js';
import type { CloudMessageInput, CommandResponse, SyncRequest } from '../../src/wire/messages.js';
import { DEFAULT_TOPIC_PREFIX, GatewayTopics, parseTopic, TOPIC_SPECS } from '../../src/wire/topics.js';
import type {
  CloudSimulatorEvents, CloudSimulatorOptions, CommandRequest, PublishedDelta, PublishedSnapshot, PublishSiteResult, SnapshotOptions, SyncAnswered,
} from './cloudSimulatorTypes.js';
import { SimConnection } from './simConnection.js';
import { SimPublisher } from './simPublisher.js';
import { DEFAULT_CHUNK_LIMITS, operationsBudget, type ChunkLimits } from './snapshotChunks.js';
import { diffState } from '../../src/app/site/stateDiff.js';
import { clearPins, type SiteRecords } from '../../src/access/site/siteRecords.js';
import { planSyncAnswer } from './syncAnswer.js';

export type * from './cloudSimulatorTypes.js';

const DAY_MS = 86_400_000;

interface PendingCommand {
  resolve(response: CommandResponse): void;
  reject(err: Error): void;
  timer: TimerHandle;
}

export class CloudSimulator extends EventEmitter<CloudSimulatorEvents> {
  private readonly log: Logger;
  private connection: SimConnection | null = null;
  private publisher: SimPublisher | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private heartbeatTimer: TimerHandle | null = null;
  private readonly pending = new Map<string, PendingCommand>();
  /** versions whose apply already failed on the gateway once (syncAnswer.ts) */
  private readonly failedAt = new Set<number>();
  private stopping = false;
  private lastHeartbeatTime = 0;

  constructor(private readonly options: CloudSimulatorOptions) {
    super();
    this.log = options.logger.child({ module: 'cloud:sim', gatewayId: options.gatewayId });
  }

  /** Connects and subscribes to the gateway's up/#. DEVICE_OFFLINE if the broker is unreachable. */
  async start(): Promise<void> {
    if (this.connection !== null) return;
    const { options } = this;
    const topics = new GatewayTopics(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX, options.gatewayId);
    const connection = new SimConnection({
      url: options.url,
      clientId: options.clientId ?? `lockgw-cloud-sim-${options.gatewayId}-${randomBytes(3).toString('hex')}`,
      persistentSession: options.persistentSession ?? false,
      protocolVersion: options.protocolVersion ?? 5,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      clock: options.clock,
      logger: options.logger,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
    });
    connection.on('message', ({ topic, payload }) => this.onMessage(topics.prefix, topic, payload));
    connection.on('connected', () => {
      this.notify('connected');
      if (this.heartbeatMs() > 0) this.background('heartbeat', () => this.sendHeartbeat());
    });
    connection.on('disconnected', (d) => {
      if (!this.stopping) this.notify('disconnected', d);
    });
    this.publisher = new SimPublisher({
      connection, topics, key: options.key, issuer: options.issuer, gatewayId: options.gatewayId, state: options.state,
      clock: options.clock, logger: options.logger, chunkLimits: this.limits(), syncTtlMs: this.syncTtl(), compress: options.compress ?? true,
      onPublished: (p) => this.notify('published', p),
      stopping: () => this.stopping,
    });
    this.connection = connection;
    this.stopping = false;
    try {
      await connection.start(`${topics.base}/up/#`);
    } catch (err) {
      this.connection = null;
      this.publisher = null;
      throw err;
    }
    this.armHeartbeat();
  }

  /** Stops heartbeats, fails pending commands (NOT_STARTED), lets running work end, disconnects. */
  async stop(): Promise<void> {
    const connection = this.connection;
    if (connection === null) return;
    this.stopping = true;
    this.options.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    for (const [id, p] of this.pending) {
      this.options.clock.clearTimeout(p.timer);
      p.reject(new GatewayError('NOT_STARTED', `the simulator stopped before command ${id} was answered`));
    }
    this.pending.clear();
    await this.queue;
    this.connection = null;
    this.publisher = null;
    await connection.stop();
  }

  // ── publishing ────────────────────────────────────────────────────────────────────────────

  /** Publishes the newest version as a snapshot. INPUT_INVALID before anything was issued. */
  publishSnapshot(options: SnapshotOptions = {}): Promise<PublishedSnapshot> {
    return this.serial(() => this.started().snapshot(options));
  }

  /**
   * Applies `operations` to the simulator's state as the next version (validated like a gateway
   * would: errors name operation, record and field; nothing changes on error), then publishes
   * the delta with the resulting hash.
   */
  publishDelta(operations: readonly unknown[], options: { transaction?: string } = {}): Promise<PublishedDelta> {
    return this.serial(async () => {
      const publisher = this.started();
      const bytes = Buffer.byteLength(JSON.stringify(operations));
      const budget = operationsBudget(TOPIC_SPECS.delta.maxBytes);
      if (bytes > budget) {
        throw new GatewayError('INPUT_INVALID', `a delta of ${mb(bytes)} MB is over the ${mb(budget)} MB a message may carry`, { field: 'operations', hint: 'publish a snapshot instead' });
      }
      const change = this.options.state.apply(operations, { history: true });
      return publisher.delta(change, options.transaction);
    });
  }

  /**
   * Brings the gateway to `site` (consistent on its own: siteCheck.ts): the difference from the
   * simulator's state becomes the next version, published as a delta, or as a snapshot when it is
   * the first version, bigger than a chunk, or `forceSnapshot`. Nothing is published when nothing
   * changed (unless forced). `expectHash`: the site's own hash; a different result is rolled back
   * (STORE_CORRUPT).
   */
  publishSite(site: SiteRecords, options: SnapshotOptions & { forceSnapshot?: boolean; expectHash?: string } = {}): Promise<PublishSiteResult> {
    return this.serial(async () => {
      const publisher = this.started();
      const { state } = this.options;
      const diff = diffState(state.store, site, clearPins);
      if (diff.length === 0 && !options.forceSnapshot) return { kind: 'unchanged', version: state.version(), hash: state.hash() };
      const limits = options.chunkLimits ?? this.limits();
      const asSnapshot = options.forceSnapshot === true || state.version() === 0 || Buffer.byteLength(JSON.stringify(diff)) > operationsBudget(limits.maxBytes);
      if (diff.length > 0) {
        const change = state.applyValidated(diff, { history: !asSnapshot, ...(options.expectHash === undefined ? {} : { expectHash: options.expectHash }) });
        if (!asSnapshot) return publisher.delta(change);
      }
      return publisher.snapshot(options);
    });
  }

  /**
   * Sends a command and resolves with its command_response (matched by correlationId).
   * DEVICE_TIMEOUT when none arrives within timeoutMs (default 30 s) on the clock.
   */
  async sendCommand(command: CommandRequest, options: { timeoutMs?: number } = {}): Promise<CommandResponse> {
    const publisher = this.started();
    const correlationId = command.correlationId ?? `cmd-${randomUUID()}`;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const body = { ...command, correlationId } as CloudMessageInput<'command'>;
    const answered = new Promise<CommandResponse>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new GatewayError('DEVICE_TIMEOUT', `no command_response for ${command.name} (${correlationId}) from gateway ${this.options.gatewayId} within ${Math.round(timeoutMs / 1000)} s`, {
          hint: "is the gateway connected, and configured with this simulator's key?",
        }));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
    });
    try {
      await publisher.send('command', body, this.options.commandTtlMs ?? 60_000);
    } catch (err) {
      this.options.clock.clearTimeout(this.pending.get(correlationId)?.timer);
      this.pending.delete(correlationId);
      throw err;
    }
    return answered;
  }

  /**
   * A signed heartbeat with the newest version, its hash and the clock's time — always later than
   * the previous heartbeat's (a gateway takes a time that is not newer for a replay).
   */
  async sendHeartbeat(): Promise<void> {
    const { state, clock } = this.options;
    const time = Math.max(clock.now(), this.lastHeartbeatTime + 1);
    this.lastHeartbeatTime = time;
    await this.started().send('heartbeat', { revision: state.version(), hash: state.hash(), time }, Math.max(60_000, 2 * this.heartbeatMs()));
  }

  /** Clears the retained door_status of a door removed from the gateway (an empty retained payload). */
  async clearDoorStatus(doorId: string): Promise<void> {
    await this.started().clearDoorStatus(doorId);
  }

  /** Acknowledges events up to and including `uptoSeq` of a journal. */
  async ackEvents(journalId: string, uptoSeq: number): Promise<void> {
    await this.started().send('events_ack', { journalId, uptoSeq }, this.syncTtl());
  }

  // ── what the gateway sends ────────────────────────────────────────────────────────────────

  private onMessage(prefix: string, topic: string, payload: Buffer): void {
    const parsed = parseTopic(prefix, topic);
    if (parsed?.type === 'door_status' && payload.length === 0 && parsed.doorId !== undefined) {
      this.notify('door_removed', { doorId: parsed.doorId });
      return;
    }
    const decoded = decodeGatewayMessage(prefix, topic, payload);
    if (!decoded.ok) {
      this.log.warn({ topic, reason: decoded.reason, detail: decoded.detail }, 'the gateway published an invalid message');
      this.notify('invalid', { topic, reason: decoded.reason, detail: decoded.detail });
      return;
    }
    if (decoded.gatewayId !== this.options.gatewayId) return;
    switch (decoded.type) {
      case 'state':
        return this.notify('state', decoded.message);
      case 'apply_ack':
        return this.notify('apply_ack', decoded.message);
      case 'door_status':
        return this.notify('door_status', decoded.message);
      case 'security_event':
        return this.notify('security_event', decoded.message);
      case 'command_response': {
        const response = decoded.message;
        const pending = response.correlationId === null ? undefined : this.pending.get(response.correlationId);
        if (pending !== undefined) {
          this.pending.delete(response.correlationId!);
          this.options.clock.clearTimeout(pending.timer);
          pending.resolve(response);
        }
        return this.notify('command_response', response);
      }
      case 'events': {
        const batch = decoded.message;
        this.notify('events', batch);
        if (this.options.autoAckEvents ?? true) this.background('events_ack', () => this.ackEvents(batch.journalId, batch.events[batch.events.length - 1]!.seq));
        return;
      }
      case 'sync_request': {
        const request = decoded.message;
        this.notify('sync_request', request);
        if (this.options.answerSyncRequests ?? true) this.background('sync answer', () => this.serial(() => this.answer(request)));
        return;
      }
    }
  }

  private async answer(request: SyncRequest): Promise<void> {
    const publisher = this.started();
    const { state } = this.options;
    const plan = planSyncAnswer(request, state, this.failedAt);
    const { transaction } = request;
    const done = (answer: SyncAnswered['answer'], detail: string) => this.notify('sync_answered', { request, answer, detail });
    if (plan.kind === 'none') {
      this.log.info({ transaction, why: plan.why }, 'sync request needs no answer');
      return done('none', plan.why);
    }
    if (plan.kind === 'deltas') {
      for (const delta of plan.deltas) await publisher.delta(delta, transaction);
      const first = plan.deltas[0]!;
      const last = plan.deltas[plan.deltas.length - 1]!;
      return done('deltas', `${plan.deltas.length} delta${plan.deltas.length === 1 ? '' : 's'} ${first.fromVersion} → ${last.toVersion}`);
    }
    if (plan.kind === 'chunks' && (await publisher.resendChunks(plan.snapshotId, plan.chunks, transaction))) {
      return done('chunks', `chunks ${plan.chunks.join(', ')} of ${plan.snapshotId}`);
    }
    const why = plan.kind === 'snapshot' ? plan.why : `snapshot ${plan.snapshotId} changed meanwhile`;
    if (plan.kind === 'snapshot' && plan.advanceTo !== undefined) {
      this.log.warn({ gatewayRevision: request.revision, advanceTo: plan.advanceTo }, why);
      state.advanceTo(plan.advanceTo);
    }
    if (request.reason === 'apply_failed') this.failedAt.add(state.version());
    const sent = await publisher.snapshot({ transaction });
    return done('snapshot', `snapshot ${sent.snapshotId} of version ${sent.version} in ${sent.chunkCount} chunk${sent.chunkCount === 1 ? '' : 's'} (${why})`);
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────

  private started(): SimPublisher {
    if (this.publisher === null) throw new GatewayError('NOT_STARTED', 'the simulator is not started');
    return this.publisher;
  }

  private armHeartbeat(): void {
    const interval = this.heartbeatMs();
    if (interval <= 0 || this.stopping) return;
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      this.heartbeatTimer = null;
      if (this.connection?.connected) this.background('heartbeat', () => this.sendHeartbeat());
      this.armHeartbeat();
    }, interval);
  }

  private heartbeatMs(): number {
    return this.options.heartbeatIntervalMs ?? 0;
  }

  private syncTtl(): number {
    return this.options.syncTtlMs ?? 30 * DAY_MS;
  }

  private limits(): ChunkLimits {
    return this.options.chunkLimits ?? DEFAULT_CHUNK_LIMITS;
  }

  /** Runs `work` after the work queued before it; the queue goes on when it fails. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Work nobody awaits: a failure is logged and emitted as `failed`. */
  private background(what: string, work: () => Promise<unknown>): void {
    work().catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      this.log.warn({ err: error.message }, `${what} failed`);
      this.notify('failed', { what, error });
    });
  }

  /** Emits to listeners; one that throws is logged with the event and does not break the caller. */
  private notify<E extends keyof CloudSimulatorEvents>(event: E, ...args: CloudSimulatorEvents[E]): void {
    try {
      this.emit(event, ...(args as never[]) as never);
    } catch (err) {
      this.log.error({ err, event }, 'a listener of the cloud simulator threw');
    }
  }
}

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

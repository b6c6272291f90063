/**
 * The cloud link: the MQTT connection plus what runs over it — the event upload, the state sync
 * (snapshots and deltas), the heartbeat watch, remote commands, door status and security events.
 * Every cloud → gateway message is verified (decodeCloudMessage) before it is routed: here, or for
 * snapshot chunks in the chunk decoder's thread when there is one (chunkDecoder.ts). A message
 * that fails verification changes nothing and becomes a security event (counter, log, journal,
 * up/security_event).
 *
 * Never blocks: start() returns without waiting for the broker; the gateway runs offline.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { DoorStatusReport } from './doorStatusMessage.js';
import type { Journal } from '../journal/journal.js';
import type { CloudConfig } from './cloudConfig.js';
import type { ChunkDecodeContext, ChunkDecoder, DecodedHeldChunk } from '../wire/chunkDecoder.js';
import { decodeCloudMessage, peekUnverified, type DecodeCloudFailure, type DecodedCloudMessage } from '../wire/cloudMessageCodec.js';
import { CommandHandler, type CommandTarget } from './commandHandler.js';
import { DoorStatusPublisher } from './doorStatusPublisher.js';
import { EventUploader, type UploaderEvents, type UploaderStatus } from './eventUploader.js';
import { HeartbeatMonitor, type HeartbeatStatus } from './heartbeatMonitor.js';
import { loadCloudKeys, type CloudKeySet } from '../wire/keys.js';
import { MessageInbox } from './messageInbox.js';
import { readOversizeCorrelationId, tooLargeResponse } from './oversizeCommand.js';
import type { ApplyAck, CommandResponse, SyncRequest } from '../wire/messages.js';
import { MqttConnection, type ConnectionEvents, type ConnectionStatus, type OnlineStateExtras } from './mqttConnection.js';
import { SecurityEvents, type Rejection, type SecurityCounters } from './securityEvents.js';
import type { ReplayLedger } from './replayLedger.js';
import type { AppliedHistoryPersistence } from './appliedHistory.js';
import { StateSync } from './stateSync.js';
import type { SyncTarget } from './syncTarget.js';
import type { VerifiedContact } from './verifiedContact.js';
import { GatewayTopics, TOPIC_SPECS } from '../wire/topics.js';

export type { SecurityCounters };

/** What remote commands and door status act on (the gateway). */
export interface GatewayControl extends Omit<CommandTarget, 'requestResync'> {
  doorStatuses(): DoorStatusReport[];
}

export interface CloudLinkOptions {
  config: CloudConfig;
  gatewayId: string;
  journal: Journal;
  clock: Clock;
  logger: Logger;
  stateExtras?: () => OnlineStateExtras;
  /** what snapshots and deltas apply to (the gateway); without it they are not accepted */
  sync?: SyncTarget;
  /** what commands act on and whose doors' status is published; without it commands are answered `unavailable` */
  control?: GatewayControl;
  /** for tests: the reconnect jitter */
  random?: () => number;
  /** where snapshot chunks are verified and validated instead of here (the rules worker); null: here */
  chunkDecoder?: () => ChunkDecoder | null;
  /** where handled commands are written down, so that a replay after a restart is recognised; without it, memory only */
  replayLedger?: ReplayLedger;
  /** where the sync keeps what it applied per revision across restarts (appliedHistory.ts) */
  appliedHistory?: AppliedHistoryPersistence;
  /** told of every accepted heartbeat and applied change (offline leases, clock trust) */
  contact?: VerifiedContact;
}

/** A received message; `offloaded`: its decoding by the chunk decoder, null when decoded here. */
interface Inbound {
  topic: string;
  payload: Buffer;
  retain: boolean;
  offloaded: DecodedHeldChunk | DecodeCloudFailure | null;
}

export interface CloudLinkStatus {
  enabled: boolean;
  connection: ConnectionStatus | null;
  upload: UploaderStatus | null;
  security: SecurityCounters;
  sync: ReturnType<StateSync['status']> | null;
  heartbeat: HeartbeatStatus | null;
  /** commands over their size limit whose correlationId could not be read: not answered */
  unansweredCommands: number;
}

interface Running {
  connection: MqttConnection;
  uploader: EventUploader;
  security: SecurityEvents;
  sync: StateSync | null;
  heartbeat: HeartbeatMonitor;
  commands: CommandHandler | null;
  doorStatus: DoorStatusPublisher | null;
  doorPoll: TimerHandle | null;
}

/** Health and progress, for the gateway's status and for tests. */
export type CloudLinkEvents = UploaderEvents & Pick<ConnectionEvents, 'connected' | 'disconnected'> & {
  security: [Rejection];
  applied: [ApplyAck];
  requested: [SyncRequest];
  command: [CommandResponse];
};

export class CloudLink extends EventEmitter<CloudLinkEvents> {
  private readonly options: CloudLinkOptions;
  private readonly log: Logger;
  private running: Running | null = null;
  private keys: CloudKeySet | null = null;
  private topics: GatewayTopics | null = null;
  private readonly inbox = new MessageInbox<Inbound>({
    handle: (inbound) => this.onMessage(inbound),
    // a bug in handling one message must not take the doors down with the process
    onError: (err, inbound) => this.log.error({ err, topic: inbound.topic }, 'a cloud message could not be handled'),
  });
  /** what the chunk decoder needs to verify as this link does; null before start() */
  private decodeContext: ChunkDecodeContext | null = null;
  private unansweredCommands = 0;

  constructor(options: CloudLinkOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ module: 'cloud:link' });
  }

  /** Validates keys and topics (CONFIG_INVALID), then connects in the background. No-op when disabled. */
  async start(): Promise<void> {
    if (this.running !== null) return;
    const { config, gatewayId, journal, clock, logger, control } = this.options;
    if (!config.enabled) {
      this.log.info('cloud link disabled');
      return;
    }
    this.keys = loadCloudKeys(config.keys);
    this.topics = new GatewayTopics(config.topicPrefix, gatewayId);
    const keys = this.keys;
    this.decodeContext = {
      topicPrefix: config.topicPrefix, gatewayId, keys: keys.kids().map((kid) => ({ kid, publicKey: keys.get(kid)! })), maxSkewMs: config.maxSkewMs,
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    };
    const connection = new MqttConnection({
      config, topics: this.topics, clock, logger,
      ...(this.options.stateExtras === undefined ? {} : { stateExtras: this.options.stateExtras }),
      ...(this.options.random === undefined ? {} : { random: this.options.random }),
    });
    const uploader = new EventUploader({ upload: config.upload, journal, channel: connection, clock, logger });
    const security = new SecurityEvents({ journal, clock, logger, publish: (e) => connection.publish('security_event', e) });
    const target = this.options.sync;
    // deltas are applied once the messages already received are read, so a burst is one change
    const sync = target === undefined ? null : new StateSync({ target, publisher: connection, clock, logger, config: config.sync, defer: (run) => this.inbox.whenEmpty(run),
      ...(this.options.appliedHistory === undefined ? {} : { history: this.options.appliedHistory }),
    });
    const heartbeat = new HeartbeatMonitor({
      clock, logger, staleAfterMs: config.sync.staleAfterMs, staleRepeatMs: config.sync.requestRetryMs, maxClockSkewMs: config.sync.maxClockSkewMs,
    });
    const commands = control === undefined ? null : new CommandHandler({
      target: { ...bindControl(control), requestResync: () => sync?.requestSnapshot('resync_command') ?? '' },
      clock, logger,
      ...(this.options.replayLedger === undefined ? {} : { ledger: this.options.replayLedger }),
    });
    const doorStatus = control === undefined ? null : new DoorStatusPublisher({
      clock, logger, read: () => control.doorStatuses(), publish: (m) => connection.publish('door_status', m),
      minIntervalMs: config.doorStatus.minIntervalMs, refreshMs: config.doorStatus.refreshMs,
    });
    const running: Running = { connection, uploader, security, sync, heartbeat, commands, doorStatus, doorPoll: null };
    connection.on('connected', (e) => {
      uploader.onConnected();
      sync?.onConnected();
      doorStatus?.onConnected();
      this.emit('connected', e);
    });
    connection.on('disconnected', (e) => {
      uploader.onDisconnected();
      sync?.onDisconnected();
      this.emit('disconnected', e);
    });
    uploader.on('sent', (e) => this.emit('sent', e));
    uploader.on('acked', (e) => this.emit('acked', e));
    // a change is done (applied, failed or refused): the database is free for acknowledged rows that wait to be deleted
    sync?.on('applied', (ack) => {
      uploader.retryDelete();
      heartbeat.onApplied(ack.revision);
      if (!ack.duplicate) {
        this.options.contact?.applied();
        // the retained state says what the gateway runs now, not what it ran when it connected
        connection.publishOnlineState();
      }
      this.emit('applied', ack);
    });
    sync?.on('requested', (request) => this.emit('requested', request));
    // a bug of ours: journaled for the installer and the cloud (the data was not at fault)
    sync?.on('failed', ({ code, detail }) => {
      uploader.retryDelete();
      if (code === 'INTERNAL') this.alarm('apply_failed_internal', { code, detail });
    });
    sync?.on('rejected', (r) => {
      uploader.retryDelete();
      this.reject({ reason: r.reason, topic: this.topics!.topic(r.type), detail: r.detail, ...(r.jti === undefined ? {} : { jti: r.jti }) });
    });
    this.watchHeartbeat(heartbeat, sync);
    connection.on('message', (m) => this.receive(m));
    this.running = running;
    await uploader.start();
    await sync?.start();
    await heartbeat.start();
    await commands?.start();
    await doorStatus?.start();
    this.pollDoors();
    await connection.start();
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (running === null) return;
    this.running = null;
    if (running.doorPoll !== null) this.options.clock.clearTimeout(running.doorPoll);
    running.security.flush();
    await running.doorStatus?.stop();
    await running.commands?.stop();
    await running.heartbeat.stop();
    await running.sync?.stop();
    await running.uploader.stop();
    await running.connection.stop();
  }

  status(): CloudLinkStatus {
    return {
      enabled: this.options.config.enabled,
      connection: this.running?.connection.status() ?? null,
      upload: this.running?.uploader.status() ?? null,
      security: this.running?.security.counters() ?? { total: 0, byReason: {} },
      sync: this.running?.sync?.status() ?? null,
      heartbeat: this.running?.heartbeat.status() ?? null,
      unansweredCommands: this.unansweredCommands,
    };
  }

  /** The uploader's events (sent/acked), for tests and diagnostics; null before start(). */
  get uploader(): EventUploader | null {
    return this.running?.uploader ?? null;
  }

  /** The connection (for tests and diagnostics); null before start(). */
  get connection(): MqttConnection | null {
    return this.running?.connection ?? null;
  }

  /** A rejected cloud message: counted, logged, journaled, published. */
  private reject(rejection: Rejection): void {
    this.running?.security.report(rejection);
    this.emit('security', rejection);
  }

  /** Stale heartbeats and a cloud ahead of the gateway become alarms and sync requests (one alarm per stale episode; the request repeats). */
  private watchHeartbeat(heartbeat: HeartbeatMonitor, sync: StateSync | null): void {
    const alarm = (reason: string, data: Record<string, unknown>) => this.alarm(reason, data);
    heartbeat.on('stale', ({ sinceMs }) => {
      this.log.warn({ sinceMs }, 'sync_stale: no valid heartbeat from the cloud; the rules may be out of date');
      alarm('sync_stale', { sinceMs });
      // forced: the startup request may have asked for the same thing moments ago; once per episode
      sync?.requestLatest('stale', true);
    });
    // asked again while the episode lasts (every requestRetryMs): a request lost or sent while disconnected is not the last
    heartbeat.on('stillStale', () => sync?.requestLatest('stale', true));
    heartbeat.on('fresh', () => alarm('sync_stale_cleared', {}));
    heartbeat.on('behind', ({ cloudRevision }) => sync?.onCloudRevision(cloudRevision));
    // a clock the heartbeat disagrees with is the offline trust's alarm (clock_untrusted), not a second one here
  }

  private alarm(reason: string, data: Record<string, unknown>): void {
    try {
      this.options.journal.append({ type: 'alarm', at: this.options.clock.now(), reason, data });
    } catch (err) {
      this.log.error({ err, reason }, 'could not journal a sync alarm');
    }
  }

  /** Door status is looked at every doorStatus.pollMs; only changes are published. */
  private pollDoors(): void {
    const running = this.running;
    if (running === null || running.doorStatus === null) return;
    running.doorStatus.poke();
    running.doorPoll = this.options.clock.setTimeout(() => this.pollDoors(), this.options.config.doorStatus.pollMs);
  }

  /**
   * Received messages are handled one per turn of the event loop (messageInbox.ts). A snapshot
   * chunk goes to the chunk decoder (the rules worker) at once, so chunks are verified there while
   * the doors decide here; it is handled in its turn once decoded.
   */
  private receive(message: { topic: string; payload: Buffer; retain: boolean }): void {
    const inbound: Inbound = { ...message, offloaded: null };
    const type = this.topics?.cloudTypeOf(message.topic) ?? null;
    if (type !== 'snapshot' && type !== 'delta') return this.inbox.push(inbound);
    const decoder = type === 'snapshot' ? this.options.chunkDecoder?.() ?? null : null;
    if (decoder === null || this.decodeContext === null) return this.inbox.pushOrdered(inbound);
    const decoding = decoder.decodeSnapshotChunk(message.topic, message.payload, this.options.clock.now(), this.decodeContext).then(
      (decoded) => {
        inbound.offloaded = decoded;
      },
      (err: unknown) => {
        // the worker is gone: decoded here in its turn instead
        this.log.warn({ err }, 'the rules worker could not decode a snapshot chunk; decoding it on the main thread');
      },
    );
    this.inbox.pushOrdered(inbound, decoding);
  }

  private onMessage(inbound: Inbound): void {
    const { topic, payload, retain, offloaded } = inbound;
    const running = this.running;
    const held = offloaded?.ok === true ? offloaded.message.operations : null;
    try {
      if (running === null || this.keys === null || this.topics === null) return;
      const { config, clock } = this.options;
      const decoded = offloaded ?? decodeCloudMessage(topic, payload, {
        topics: this.topics,
        keys: this.keys,
        now: clock.now(),
        maxSkewMs: config.maxSkewMs,
        ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
      });
      if (!decoded.ok) {
        const { kid, jti, correlationId } = peekUnverified(payload);
        const rejection: Rejection = { reason: decoded.reason, topic, detail: decoded.detail, ...(kid === undefined ? {} : { kid }), ...(jti === undefined ? {} : { jti }) };
        if (decoded.type === 'command' && decoded.reason === 'too_large') return this.tooLarge(payload, rejection);
        this.reject(rejection);
        if (decoded.type === 'command') {
          const response = running.commands?.rejected(decoded.reason, decoded.detail, correlationId ?? null, decoded.path)
            ?? { correlationId: correlationId ?? null, result: 'unauthorized' as const, message: decoded.detail.slice(0, 1000) };
          this.respond(response);
        }
        return;
      }
      if (decoded.type === 'snapshot') running.sync?.onSnapshotChunk(decoded.message, decoded.claims.jti);
      else this.route(running, decoded, retain);
    } finally {
      held?.release(); // not staged: ignored, refused, or the link stopped
    }
  }

  private route(running: Running, decoded: Exclude<DecodedCloudMessage, { type: 'snapshot' }>, retained: boolean): void {
    const { jti } = decoded.claims;
    switch (decoded.type) {
      case 'events_ack':
        running.uploader.onAck(decoded.message, jti);
        return;
      case 'delta':
        running.sync?.onDelta(decoded.message, jti);
        return;
      case 'heartbeat': {
        const applied = this.options.sync?.applied().revision ?? 0;
        const verdict = running.heartbeat.onHeartbeat(decoded.message, applied);
        if (!verdict.accepted) {
          this.reject({ reason: 'replay', topic: this.topics!.topic('heartbeat'), detail: 'a heartbeat no newer than the last accepted one', jti });
        } else {
          this.options.contact?.heartbeat(decoded.message.time, decoded.message.revision <= applied);
        }
        return;
      }
      case 'command': {
        const response = running.commands?.handle(decoded.message, decoded.claims, { retained })
          ?? { correlationId: decoded.message.correlationId, result: 'unavailable' as const, message: 'this gateway runs no doors and takes no commands' };
        this.respond(response);
        return;
      }
    }
  }

  /**
   * An oversize command is answered once (`too_large`) if its correlationId can be read from its
   * start; else it is not answered and counted. Both are a too_large security event, whose detail
   * says which.
   */
  private tooLarge(payload: Buffer, rejection: Rejection): void {
    const correlationId = readOversizeCorrelationId(payload);
    const maxBytes = TOPIC_SPECS.command.maxBytes;
    if (correlationId === null) {
      this.unansweredCommands += 1;
      this.reject({ ...rejection, detail: `${rejection.detail}; no correlationId could be read from its start: not answered` });
      this.log.warn({ bytes: payload.length, maxBytes, unanswered: this.unansweredCommands }, 'an oversize command without a readable correlationId was dropped unanswered');
      return;
    }
    this.reject({ ...rejection, detail: `${rejection.detail}; answered too_large for the unverified correlationId ${correlationId}` });
    this.log.warn({ correlationId, bytes: payload.length, maxBytes }, 'command rejected: too large');
    this.respond(tooLargeResponse(correlationId, payload.length, maxBytes));
  }

  private respond(response: CommandResponse): void {
    this.emit('command', response);
    this.running?.connection.publish('command_response', response).catch((err: unknown) => {
      this.log.warn({ err, correlationId: response.correlationId }, 'could not publish a command response');
    });
  }
}

function bindControl(control: GatewayControl): Omit<CommandTarget, 'requestResync'> {
  return {
    hasDoor: (doorId) => control.hasDoor(doorId),
    unlockDoor: (doorId, ms, correlationId) => control.unlockDoor(doorId, ms, correlationId),
    setLockdown: (doorId, on) => control.setLockdown(doorId, on),
    status: () => control.status(),
  };
}

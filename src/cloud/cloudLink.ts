/**
 * The cloud link: the MQTT connection plus what runs over it — the event upload, the state sync
 * (snapshots and deltas) and security events. Every cloud → gateway message is verified here
 * (decodeCloudMessage) before it is routed; a message that fails verification changes nothing
 * and becomes a security event (counter, log, journal, up/security_event).
 *
 * Never blocks: start() returns without waiting for the broker; the gateway runs offline.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Journal } from '../store/journal.js';
import type { CloudConfig } from './cloudConfig.js';
import { decodeCloudMessage, peekUnverified } from './cloudMessage.js';
import { EventUploader, type UploaderEvents, type UploaderStatus } from './eventUploader.js';
import { loadCloudKeys, type CloudKeySet } from './keys.js';
import type { ApplyAck, SyncRequest } from './messages.js';
import { MqttConnection, type ConnectionEvents, type ConnectionStatus, type OnlineStateExtras } from './mqttConnection.js';
import { SecurityEvents, type Rejection, type SecurityCounters } from './securityEvents.js';
import { StateSync, type SyncTarget } from './stateSync.js';
import { GatewayTopics } from './topics.js';

export type { SecurityCounters };

export interface CloudLinkOptions {
  config: CloudConfig;
  gatewayId: string;
  journal: Journal;
  clock: Clock;
  logger: Logger;
  stateExtras?: () => OnlineStateExtras;
  /** what snapshots and deltas apply to (the gateway); without it they are not accepted */
  sync?: SyncTarget;
  /** for tests: the reconnect jitter */
  random?: () => number;
}

export interface CloudLinkStatus {
  enabled: boolean;
  connection: ConnectionStatus | null;
  upload: UploaderStatus | null;
  security: SecurityCounters;
  sync: ReturnType<StateSync['status']> | null;
}

interface Running {
  connection: MqttConnection;
  uploader: EventUploader;
  security: SecurityEvents;
  sync: StateSync | null;
}

/** Health and progress, for the gateway's status and for tests. */
export type CloudLinkEvents = UploaderEvents & Pick<ConnectionEvents, 'connected' | 'disconnected'> & {
  security: [Rejection];
  applied: [ApplyAck];
  requested: [SyncRequest];
};

export class CloudLink extends EventEmitter<CloudLinkEvents> {
  private readonly options: CloudLinkOptions;
  private readonly log: Logger;
  private running: Running | null = null;
  private keys: CloudKeySet | null = null;
  private topics: GatewayTopics | null = null;

  constructor(options: CloudLinkOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ module: 'cloud:link' });
  }

  /** Validates keys and topics (CONFIG_INVALID), then connects in the background. No-op when disabled. */
  async start(): Promise<void> {
    if (this.running !== null) return;
    const { config, gatewayId, journal, clock, logger } = this.options;
    if (!config.enabled) {
      this.log.info('cloud link disabled');
      return;
    }
    this.keys = loadCloudKeys(config.keys);
    this.topics = new GatewayTopics(config.topicPrefix, gatewayId);
    const connection = new MqttConnection({
      config, topics: this.topics, clock, logger,
      ...(this.options.stateExtras === undefined ? {} : { stateExtras: this.options.stateExtras }),
      ...(this.options.random === undefined ? {} : { random: this.options.random }),
    });
    const uploader = new EventUploader({ upload: config.upload, journal, channel: connection, clock, logger });
    const security = new SecurityEvents({ journal, clock, logger, publish: (e) => connection.publish('security_event', e) });
    const target = this.options.sync;
    const sync = target === undefined ? null : new StateSync({ target, publisher: connection, clock, logger, config: config.sync });
    connection.on('connected', (e) => {
      uploader.onConnected();
      sync?.onConnected();
      this.emit('connected', e);
    });
    connection.on('disconnected', (e) => {
      uploader.onDisconnected();
      sync?.onDisconnected();
      this.emit('disconnected', e);
    });
    uploader.on('sent', (e) => this.emit('sent', e));
    uploader.on('acked', (e) => this.emit('acked', e));
    sync?.on('applied', (ack) => this.emit('applied', ack));
    sync?.on('requested', (request) => this.emit('requested', request));
    sync?.on('rejected', (r) => this.reject({ reason: r.reason, topic: this.topics!.topic(r.reason === 'rollback' ? 'snapshot' : 'delta'), detail: r.detail, ...(r.jti === undefined ? {} : { jti: r.jti }) }));
    connection.on('message', (m) => this.onMessage(m.topic, m.payload));
    this.running = { connection, uploader, security, sync };
    await uploader.start();
    await sync?.start();
    await connection.start();
  }

  /** A rejected cloud message: counted, logged, journaled, published. */
  private reject(rejection: Rejection): void {
    this.running?.security.report(rejection);
    this.emit('security', rejection);
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (running === null) return;
    this.running = null;
    running.security.flush();
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

  private onMessage(topic: string, payload: Buffer): void {
    const running = this.running;
    if (running === null || this.keys === null || this.topics === null) return;
    const { config, clock } = this.options;
    const decoded = decodeCloudMessage(topic, payload, {
      topics: this.topics,
      keys: this.keys,
      now: clock.now(),
      maxSkewMs: config.maxSkewMs,
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    });
    if (!decoded.ok) {
      const { kid, jti } = peekUnverified(payload);
      this.reject({ reason: decoded.reason, topic, detail: decoded.detail, ...(kid === undefined ? {} : { kid }), ...(jti === undefined ? {} : { jti }) });
      return;
    }
    switch (decoded.type) {
      case 'events_ack':
        running.uploader.onAck(decoded.message, decoded.claims.jti);
        return;
      case 'snapshot':
        if (running.sync !== null) running.sync.onSnapshotChunk(decoded.message, decoded.claims.jti);
        return;
      case 'delta':
        if (running.sync !== null) running.sync.onDelta(decoded.message, decoded.claims.jti);
        return;
      default:
        this.log.debug({ type: decoded.type, jti: decoded.claims.jti }, 'cloud message type not handled yet');
    }
  }
}

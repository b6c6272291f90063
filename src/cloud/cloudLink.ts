/**
 * The cloud link: the MQTT connection plus what runs over it. This slice: the event upload.
 * Every cloud → gateway message is verified here (decodeCloudMessage) before it is routed; a
 * message that fails verification changes nothing and is counted as a security event (counter
 * + log line; journaling and publishing it are a later slice).
 *
 * Never blocks: start() returns without waiting for the broker; the gateway runs offline.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Journal } from '../store/journal.js';
import type { CloudConfig } from './cloudConfig.js';
import { decodeCloudMessage, peekUnverified, type DecodeFailureReason } from './cloudMessage.js';
import { EventUploader, type UploaderEvents, type UploaderStatus } from './eventUploader.js';
import { loadCloudKeys, type CloudKeySet } from './keys.js';
import { MqttConnection, type ConnectionEvents, type ConnectionStatus, type OnlineStateExtras } from './mqttConnection.js';
import { GatewayTopics } from './topics.js';

export interface CloudLinkOptions {
  config: CloudConfig;
  gatewayId: string;
  journal: Journal;
  clock: Clock;
  logger: Logger;
  stateExtras?: () => OnlineStateExtras;
  /** for tests: the reconnect jitter */
  random?: () => number;
}

export interface SecurityCounters {
  total: number;
  byReason: Partial<Record<DecodeFailureReason, number>>;
}

export interface CloudLinkStatus {
  enabled: boolean;
  connection: ConnectionStatus | null;
  upload: UploaderStatus | null;
  security: SecurityCounters;
}

interface Running {
  connection: MqttConnection;
  uploader: EventUploader;
}

/** Health and progress, for the gateway's status and for tests. */
export type CloudLinkEvents = UploaderEvents & Pick<ConnectionEvents, 'connected' | 'disconnected'> & {
  security: [{ reason: DecodeFailureReason; topic: string }];
};

export class CloudLink extends EventEmitter<CloudLinkEvents> {
  private readonly options: CloudLinkOptions;
  private readonly log: Logger;
  private running: Running | null = null;
  private keys: CloudKeySet | null = null;
  private topics: GatewayTopics | null = null;
  private security: SecurityCounters = { total: 0, byReason: {} };

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
    connection.on('connected', (e) => {
      uploader.onConnected();
      this.emit('connected', e);
    });
    connection.on('disconnected', (e) => {
      uploader.onDisconnected();
      this.emit('disconnected', e);
    });
    uploader.on('sent', (e) => this.emit('sent', e));
    uploader.on('acked', (e) => this.emit('acked', e));
    connection.on('message', (m) => this.onMessage(m.topic, m.payload));
    this.running = { connection, uploader };
    await uploader.start();
    await connection.start();
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (running === null) return;
    this.running = null;
    await running.uploader.stop();
    await running.connection.stop();
  }

  status(): CloudLinkStatus {
    return {
      enabled: this.options.config.enabled,
      connection: this.running?.connection.status() ?? null,
      upload: this.running?.uploader.status() ?? null,
      security: { total: this.security.total, byReason: { ...this.security.byReason } },
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
      this.security.total += 1;
      this.security.byReason[decoded.reason] = (this.security.byReason[decoded.reason] ?? 0) + 1;
      const { kid, jti } = peekUnverified(payload);
      this.log.warn({ securityEvent: true, reason: decoded.reason, detail: decoded.detail, topic, kid, jti }, 'cloud message rejected');
      this.emit('security', { reason: decoded.reason, topic });
      return;
    }
    switch (decoded.type) {
      case 'events_ack':
        running.uploader.onAck(decoded.message, decoded.claims.jti);
        return;
      default:
        this.log.debug({ type: decoded.type, jti: decoded.claims.jti }, 'cloud message type not handled yet');
    }
  }
}

/**
 * The MQTT connection to the cloud's broker — the only module that imports `mqtt`.
 *
 * - MQTT 5 by default (3.1.1 selectable), client id = gateway id, persistent session (clean
 *   start off; MQTT 5 session expiry from config), TLS client certificate and/or
 *   username/password.
 * - The retained `up/state` is `online` after every connect; the last will (registered at
 *   connect) is the retained `offline/connection_lost`; a clean stop publishes
 *   `offline/shutdown` first.
 * - Reconnects forever. mqtt.js's own reconnect has a fixed period, so it is switched off
 *   (`reconnectPeriod: 0`) and this class reconnects itself on the injected Clock's timers:
 *   attempt n waits `random() × min(maxMs, minMs × 2^n)` ("full jitter"), n resets after a
 *   successful connect.
 * - Never blocks the caller: start() only reads the TLS files and returns; the connection comes
 *   up (or not) in the background. Publishing while disconnected is refused (never queued in
 *   mqtt.js's unbounded offline queue): durability lives in the SQLite journal.
 * - An `error` listener is always attached; errors are logged and reported in status().
 * - Packet size (packetLimit.ts): MQTT 5 asks the broker for at most MAX_PACKET_BYTES per packet
 *   (CONNECT `maximumPacketSize`). Under both versions every socket mqtt.js opens is watched: a
 *   packet whose fixed header announces more than that closes the connection before its body is
 *   read (status().oversizePackets counts them). A broker that honours the property never sends
 *   one; over 3.1.1 only the broker's own `max_packet_size` keeps one from coming back on every
 *   reconnect of a persistent session (docs/mqtt.md).
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { CloudConfig } from './cloudConfig.js';
import { MAX_PACKET_BYTES, PacketSizeGuard } from './packetLimit.js';
import { encodeGatewayMessage } from '../wire/cloudMessageCodec.js';
import type { GatewayMessage, GatewayMessageType } from '../wire/messages.js';
import type { GatewayTopics } from '../wire/topics.js';

export type ConnectionState = 'stopped' | 'connecting' | 'connected' | 'disconnected';

export interface ConnectionStatus {
  state: ConnectionState;
  /** clock time of the last state change */
  since: number;
  /** why the link is not connected (the last error or close), null while connected */
  reason: string | null;
  connects: number;
  disconnects: number;
  /** reconnect attempts since the last successful connect */
  attempt: number;
  /** the pending reconnect's delay, if one is scheduled */
  nextReconnectInMs: number | null;
  /** connections closed because the broker started a packet over MAX_PACKET_BYTES */
  oversizePackets: number;
}

export interface ConnectionEvents {
  connected: [{ sessionPresent: boolean }];
  disconnected: [{ reason: string }];
  message: [{ topic: string; payload: Buffer; retain: boolean }];
  /** the broker started a packet of `bytes` (over `maxBytes`); the connection is being closed */
  oversize: [{ bytes: number; maxBytes: number }];
  /** a reconnect is scheduled after delayMs (attempt counts from 1 since the last connect) */
  reconnecting: [{ delayMs: number; attempt: number }];
}

/** What the retained online state carries besides status/reason/at. */
export type OnlineStateExtras = Pick<GatewayMessage<'state'>, 'revision' | 'hash' | 'software' | 'maxRevocationStalenessMs'>;

export interface MqttConnectionOptions {
  config: CloudConfig;
  topics: GatewayTopics;
  clock: Clock;
  logger: Logger;
  /** revision/hash/software for the online state; default none */
  stateExtras?: () => OnlineStateExtras;
  /** for tests; default Math.random */
  random?: () => number;
  /**
   * A probe (`lockgw provision`) rather than the gateway: its own client id (so a running gateway
   * keeps its session), a clean session, no last will, no online state, and only these topics.
   */
  probe?: { clientId: string; subscribe: readonly string[] };
}

export class MqttConnection extends EventEmitter<ConnectionEvents> {
  private readonly options: MqttConnectionOptions;
  private readonly log: Logger;
  private client: MqttClient | null = null;
  private state: ConnectionState = 'stopped';
  private since = 0;
  private reason: string | null = 'not started';
  private connects = 0;
  private disconnects = 0;
  private attempt = 0;
  private reconnectTimer: TimerHandle | null = null;
  private nextDelay: number | null = null;
  private oversizePackets = 0;

  constructor(options: MqttConnectionOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ module: 'cloud:mqtt' });
  }

  /** Reads TLS files (CONFIG_INVALID if unreadable) and starts connecting in the background. */
  async start(): Promise<void> {
    if (this.client !== null) return;
    const clientOptions = await this.clientOptions();
    const client = mqtt.connect(this.options.config.url, { ...clientOptions, manualConnect: true });
    this.guardPacketSize(client);
    this.client = client;
    this.setState('connecting', 'connecting');
    client.on('error', (err) => this.onError(err));
    client.on('connect', (connack) => this.onConnect(client, connack.sessionPresent));
    client.on('close', () => this.onClose(client));
    client.on('message', (topic, payload, packet) => {
      this.emit('message', { topic, payload, retain: packet.retain === true });
    });
    client.connect();
  }

  /** Publishes the retained offline/shutdown state if connected, then disconnects cleanly (no last will). */
  async stop(): Promise<void> {
    const client = this.client;
    if (client === null) return;
    this.client = null;
    this.clearReconnect();
    const wasConnected = this.state === 'connected';
    this.setState('stopped', 'stopped');
    if (wasConnected && client.connected && this.options.probe === undefined) {
      const payload: GatewayMessage<'state'> = { status: 'offline', reason: 'shutdown', at: this.options.clock.now(), ...this.extras() };
      const pub = encodeGatewayMessage(this.options.topics, 'state', payload);
      try {
        await withTimeout(client.publishAsync(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain }), 2000);
      } catch (err) {
        this.log.warn({ err }, 'could not publish the offline state on stop');
      }
    }
    try {
      await withTimeout(client.endAsync(!client.connected), 2000);
    } catch {
      await client.endAsync(true).catch(() => undefined);
    }
    client.removeAllListeners();
    client.on('error', () => undefined);
    this.log.info('cloud link stopped');
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  status(): ConnectionStatus {
    return {
      state: this.state,
      since: this.since,
      reason: this.state === 'connected' ? null : this.reason,
      connects: this.connects,
      disconnects: this.disconnects,
      attempt: this.attempt,
      nextReconnectInMs: this.nextDelay,
      oversizePackets: this.oversizePackets,
    };
  }

  /**
   * Publishes a gateway message on its topic with its QoS and retain flag; resolves when the
   * broker acknowledged it (QoS 1). Refuses (DEVICE_OFFLINE) while not connected, so nothing piles
   * up in mqtt.js's unbounded offline queue.
   */
  async publish<T extends GatewayMessageType>(type: T, message: GatewayMessage<T>): Promise<void> {
    const client = this.client;
    if (client === null || this.state !== 'connected') {
      throw new GatewayError('DEVICE_OFFLINE', `cannot publish ${type}: the cloud link is not connected`, { entity: 'cloud' });
    }
    const pub = encodeGatewayMessage(this.options.topics, type, message);
    await client.publishAsync(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain });
  }

  /** Closes the socket without a DISCONNECT packet (the broker publishes the last will). For tests and diagnostics. */
  dropConnection(): void {
    this.client?.stream?.destroy();
  }

  private async clientOptions(): Promise<IClientOptions> {
    const { config, topics } = this.options;
    const will = topics.lastWill();
    const probe = this.options.probe;
    const options: IClientOptions = {
      clientId: probe?.clientId ?? topics.gatewayId,
      protocolVersion: config.protocolVersion,
      clean: probe !== undefined,
      keepalive: config.keepaliveSeconds,
      connectTimeout: config.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      ...(probe ? {} : { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain } }),
    };
    if (config.protocolVersion === 5) options.properties = { ...(probe ? {} : { sessionExpiryInterval: config.sessionExpirySeconds }), maximumPacketSize: MAX_PACKET_BYTES };
    if (config.username !== undefined) options.username = config.username;
    if (config.password !== undefined) options.password = config.password;
    if (config.tls !== undefined) {
      const tls = config.tls;
      const read = async (path: string | undefined, field: string): Promise<Buffer | undefined> => {
        if (path === undefined) return undefined;
        try {
          return await readFile(path);
        } catch (err) {
          throw new GatewayError('CONFIG_INVALID', `cannot read ${field} ${path}: ${(err as Error).message}`, { field: `cloud.tls.${field}` }, { cause: err });
        }
      };
      const [ca, cert, key] = await Promise.all([read(tls.ca, 'ca'), read(tls.cert, 'cert'), read(tls.key, 'key')]);
      if (ca !== undefined) options.ca = ca;
      if (cert !== undefined) options.cert = cert;
      if (key !== undefined) options.key = key;
      options.rejectUnauthorized = tls.rejectUnauthorized;
    }
    return options;
  }

  /**
   * Every stream mqtt.js builds (the first connect and each reconnect) gets a PacketSizeGuard on
   * its incoming bytes. mqtt.js keeps its stream builder in a private field; without one this
   * version of mqtt.js cannot be guarded, which is a bug to fix here, not a runtime condition.
   */
  private guardPacketSize(client: MqttClient): void {
    const internals = client as unknown as { streamBuilder?: unknown };
    const build = internals.streamBuilder;
    if (typeof build !== 'function') {
      throw new GatewayError('INTERNAL', 'mqtt.js has no streamBuilder to guard the packet size with', { entity: 'cloud' });
    }
    internals.streamBuilder = (c: MqttClient) => {
      const stream = (build as (c: MqttClient) => NodeJS.ReadWriteStream & { destroy(err?: Error): void })(c);
      const guard = new PacketSizeGuard(MAX_PACKET_BYTES);
      const watch = (chunk: Buffer) => {
        const bytes = guard.push(chunk);
        if (bytes === null) return;
        stream.off('data', watch);
        this.oversizePackets += 1;
        this.log.warn({ bytes, maxBytes: MAX_PACKET_BYTES }, 'the broker sent a packet over the maximum packet size; closing the connection before its body is read');
        this.emit('oversize', { bytes, maxBytes: MAX_PACKET_BYTES });
        stream.destroy(Object.assign(new Error(`packet of ${bytes} bytes is over the maximum packet size of ${MAX_PACKET_BYTES}`), { code: 'PACKET_TOO_LARGE' }));
      };
      stream.on('data', watch);
      return stream;
    };
  }

  private onConnect(client: MqttClient, sessionPresent: boolean): void {
    if (client !== this.client) return;
    this.clearReconnect();
    this.attempt = 0;
    this.connects += 1;
    this.setState('connected', null);
    this.log.info({ url: this.options.config.url, sessionPresent, connects: this.connects }, 'connected to the cloud broker');
    const { topics, probe } = this.options;
    if (probe) {
      client.subscribe([...probe.subscribe], { qos: 1 }, (err) => {
        if (err) this.log.warn({ err }, 'subscribing to the probe topics failed');
      });
      this.emit('connected', { sessionPresent });
      return;
    }
    this.publishOnlineState();
    // MQTT 5 "retain as published": a command published with the retain flag arrives flagged even
    // live, so the gateway can refuse every retained command (3.1.1 flags only stored ones)
    const rap = this.options.config.protocolVersion === 5 ? { rap: true } : {};
    const subscriptions = Object.fromEntries(topics.subscriptions().map((s) => [s.topic, { qos: s.qos, ...rap }]));
    client.subscribe(subscriptions, (err) => {
      if (err) this.log.warn({ err }, 'subscribing to the cloud topics failed');
    });
    this.emit('connected', { sessionPresent });
  }

  /** Publishes the retained online state again (after an apply: the new revision and hash). */
  publishOnlineState(): void {
    const client = this.client;
    if (client === null || this.state !== 'connected' || this.options.probe) return;
    const online: GatewayMessage<'state'> = { status: 'online', reason: 'connected', at: this.options.clock.now(), ...this.extras() };
    const pub = encodeGatewayMessage(this.options.topics, 'state', online);
    client.publish(pub.topic, pub.payload, { qos: pub.qos, retain: pub.retain }, (err) => {
      if (err) this.log.warn({ err }, 'could not publish the online state');
    });
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    const wasConnected = this.state === 'connected';
    const reason = wasConnected ? (this.reason ?? 'connection closed') : (this.reason ?? 'connect failed');
    if (wasConnected) {
      this.disconnects += 1;
      this.setState('disconnected', reason === null ? 'connection closed' : reason);
      this.log.warn({ reason: this.reason }, 'disconnected from the cloud broker');
      this.emit('disconnected', { reason: this.reason ?? 'connection closed' });
    } else if (this.state !== 'disconnected') {
      this.setState('disconnected', reason);
    }
    this.scheduleReconnect();
  }

  private onError(err: Error & { code?: unknown }): void {
    const code = typeof err.code === 'string' || typeof err.code === 'number' ? String(err.code) : err.name;
    this.reason = `${code}: ${err.message}`;
    this.log.warn({ code, message: err.message, attempt: this.attempt }, 'cloud link error');
  }

  private scheduleReconnect(): void {
    if (this.client === null || this.reconnectTimer !== null) return;
    const { minMs, maxMs } = this.options.config.reconnect;
    const cap = Math.min(maxMs, minMs * 2 ** Math.min(this.attempt, 30));
    const delay = Math.round((this.options.random ?? Math.random)() * cap);
    this.attempt += 1;
    this.nextDelay = delay;
    this.log.debug({ delay, attempt: this.attempt }, 'reconnecting later');
    const attempt = this.attempt;
    this.reconnectTimer = this.options.clock.setTimeout(() => {
      this.reconnectTimer = null;
      this.nextDelay = null;
      const client = this.client;
      if (client === null || client.connected) return;
      this.state = 'connecting';
      client.reconnect();
    }, delay);
    this.emit('reconnecting', { delayMs: delay, attempt });
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) this.options.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.nextDelay = null;
  }

  private setState(state: ConnectionState, reason: string | null): void {
    this.state = state;
    this.reason = reason;
    this.since = this.options.clock.now();
  }

  private extras(): OnlineStateExtras {
    return this.options.stateExtras?.() ?? {};
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

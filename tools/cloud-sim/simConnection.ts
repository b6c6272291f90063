/**
 * The simulator's MQTT client (the cloud's side of the broker): connects, subscribes to one
 * gateway's `up/#`, publishes signed messages with retain off. Unlike the gateway's connection it
 * lets start() wait for the broker — a simulator that cannot reach it has nothing to do — and
 * keeps mqtt.js's own reconnect afterwards.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../../src/kernel/clock.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';

export interface SimConnectionOptions {
  /** mqtt://host:port or mqtts://host:port */
  url: string;
  clientId: string;
  /** a persistent session: gateway messages published while the simulator is away wait for it */
  persistentSession: boolean;
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
  connectTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

export type SimConnectionEvents = {
  connected: [{ sessionPresent: boolean }];
  disconnected: [{ reason: string }];
  message: [{ topic: string; payload: Buffer; retain: boolean }];
};

export class SimConnection extends EventEmitter<SimConnectionEvents> {
  private client: MqttClient | null = null;
  private lastError: string | null = null;
  private readonly log: Logger;

  constructor(private readonly options: SimConnectionOptions) {
    super();
    this.log = options.logger.child({ module: 'cloud:sim:mqtt' });
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /**
   * Connects and subscribes to `subscription` at QoS 1. Rejects with DEVICE_OFFLINE when the
   * broker does not accept the connection within connectTimeoutMs (on the clock), naming why.
   */
  async start(subscription: string): Promise<void> {
    if (this.client !== null) return;
    const { url, clientId, persistentSession, protocolVersion, connectTimeoutMs, clock } = this.options;
    const options: IClientOptions = {
      clientId,
      clean: !persistentSession,
      protocolVersion,
      reconnectPeriod: 1000,
      connectTimeout: connectTimeoutMs,
      ...(this.options.username === undefined ? {} : { username: this.options.username }),
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      ...(persistentSession && protocolVersion === 5 ? { properties: { sessionExpiryInterval: 24 * 3600 } } : {}),
    };
    const client = mqtt.connect(url, options);
    this.client = client;
    client.on('error', (err) => {
      this.lastError = err.message;
      this.log.debug({ err: err.message }, 'mqtt error');
    });
    client.on('close', () => this.emit('disconnected', { reason: this.lastError ?? 'closed' }));
    client.on('message', (topic, payload, packet) => this.emit('message', { topic, payload, retain: packet.retain === true }));
    let subscribed = false;
    client.on('connect', (connack) => {
      this.lastError = null;
      if (subscribed) this.emit('connected', { sessionPresent: connack.sessionPresent });
    });
    await new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        client.off('connect', onConnect);
        reject(new GatewayError('DEVICE_OFFLINE', `cannot connect to the broker at ${url} within ${Math.round(connectTimeoutMs / 1000)} s: ${this.lastError ?? 'no answer'}`, {
          field: 'url', hint: 'check the broker address and that it is running',
        }));
      }, connectTimeoutMs);
      const onConnect = () => {
        clock.clearTimeout(timer);
        resolve();
      };
      client.once('connect', onConnect);
    }).catch(async (err: unknown) => {
      this.client = null;
      await client.endAsync(true);
      throw err;
    });
    const granted = await client.subscribeAsync(subscription, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) {
      throw new GatewayError('DEVICE_ERROR', `the broker refused the subscription to ${subscription}`, { hint: "check the broker's ACL for the cloud's user" });
    }
    subscribed = true;
    this.emit('connected', { sessionPresent: false });
  }

  /**
   * Publishes; retain stays off for every cloud message (only clearing a retained gateway topic
   * sets it). DEVICE_OFFLINE while disconnected (nothing is queued).
   */
  async publish(topic: string, payload: string | Buffer, qos: 0 | 1, retain = false): Promise<void> {
    const client = this.client;
    if (client === null || !client.connected) {
      throw new GatewayError('DEVICE_OFFLINE', `not connected to the broker at ${this.options.url}${this.lastError ? `: ${this.lastError}` : ''}`);
    }
    await client.publishAsync(topic, payload, { qos, retain });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client !== null) await client.endAsync(!client.connected);
  }
}

/**
 * A gateway side (real SQLite journal + CloudLink) and a fake cloud (an MQTT client that reads
 * up/events and answers with signed events_ack) around a real Mosquitto, for the cloud tests.
 * Waiting is event-driven: `until(emitter, event, predicate)`; nothing sleeps on the wall clock.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import type { Test } from 'tap';
import { ManualClock, SystemClock, type Clock } from '../../src/kernel/clock.js';
import { CloudConfigSchema, type CloudConfigInput } from '../../src/cloud/cloudConfig.js';
import { CloudLink } from '../../src/cloud/cloudLink.js';
import { decodeGatewayMessage, signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/wire/keys.js';
import { GATEWAY_MESSAGE_TYPES, type CloudMessageInput, type CloudMessageType, type EventBatch, type GatewayMessage, type GatewayMessageType, type GatewayState, type SyncRequest } from '../../src/wire/messages.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { Journal } from '../../src/journal/journal.js';
import { startTestBroker, type TestBroker, type TestBrokerOptions } from './mosquitto.js';
import { gatewayFixture } from './gatewayFixture.js';

export const GW = 'gw-test';
export const ISSUER = 'cloud.test';

export async function broker(t: Test, options: TestBrokerOptions = {}): Promise<TestBroker> {
  const started = await startTestBroker(t, options);
  if (!started.available) throw new Error(started.reason);
  return started.broker;
}

/** Resolves with the first emitted value that satisfies the predicate. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyListener = (...args: any[]) => void;
type Listenable = { on(event: never, listener: AnyListener): unknown; off(event: never, listener: AnyListener): unknown };

export function until<T>(emitter: Listenable, event: string, predicate: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: unknown) => {
      if (!predicate(value as T)) return;
      emitter.off(event as never, listener);
      resolve(value as T);
    };
    emitter.on(event as never, listener);
  });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export interface GatewaySide {
  db: Db;
  journal: Journal;
  link: CloudLink;
  clock: Clock;
  append(n: number): void;
}

export async function gatewaySide(
  t: Test,
  b: TestBroker,
  key: SigningKeyPair,
  options: { clock?: Clock; cloud?: Partial<CloudConfigInput>; maxEvents?: number; dbPath?: string; logger?: Logger; random?: () => number } = {},
): Promise<GatewaySide> {
  const clock = options.clock ?? new SystemClock();
  const logger = options.logger ?? silentLogger();
  const db = openDatabase(options.dbPath ?? join(t.testdir(), 'gateway.db'));
  const journal = new Journal(db, { maxEvents: options.maxEvents ?? 10_000, clock, logger, durableIntervalMs: 0 });
  await journal.start();
  const config = CloudConfigSchema.parse({
    enabled: true,
    url: b.url,
    keys: [{ kid: key.kid, pem: key.publicPem }],
    issuer: ISSUER,
    reconnect: { minMs: 20, maxMs: 200 },
    ...options.cloud,
  });
  const link = new CloudLink({ config, gatewayId: GW, journal, clock, logger, ...(options.random === undefined ? {} : { random: options.random }) });
  t.teardown(async () => {
    await link.stop();
    await journal.stop();
    if (db.open) db.close();
  });
  let n = 0;
  return {
    db, journal, link, clock,
    append(count: number) {
      for (let i = 0; i < count; i++, n++) {
        journal.append({ type: 'access', at: clock.now(), doorId: 'lobby', grant: n % 2 === 0, reason: n % 2 === 0 ? 'granted' : 'outside_schedule', personId: `p-${n}` });
      }
    },
  };
}

export interface FakeCloud {
  client: MqttClient;
  /** every events batch received, in arrival order */
  batches: EventBatch[];
  states: GatewayState[];
  /** 'auto': ack every batch up to its last seq at once */
  mode: 'auto' | 'manual';
  ack(journalId: string, uptoSeq: number, signer?: SigningKeyPair): Promise<void>;
  publishRaw(topic: string, payload: string): Promise<void>;
  /** signs a cloud message (validity 1 h from the clock unless ttlMs says otherwise) and publishes it on its topic; `gzip`: gzip-compressed (compressedPayload.ts) */
  send<T extends CloudMessageType>(type: T, body: CloudMessageInput<T>, options?: { signer?: SigningKeyPair; ttlMs?: number; now?: number; jti?: string; gzip?: boolean }): Promise<void>;
  /** every gateway message received, by type, in arrival order */
  received: { [T in GatewayMessageType]: Array<GatewayMessage<T>> };
  /** emits each gateway message under its type ('apply_ack', 'sync_request', ...), plus 'batch' for events */
  emitter: EventEmitter;
}

export async function fakeCloud(t: Test, b: TestBroker, key: SigningKeyPair, clock: Clock, mode: 'auto' | 'manual' = 'manual'): Promise<FakeCloud> {
  const client = mqtt.connect(b.url, { protocolVersion: 5, clientId: `cloud-${randomUUID()}`, clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 50 });
  client.on('error', () => {});
  t.teardown(() => client.endAsync(true));
  await until(client as unknown as Listenable, 'connect');
  const emitter = new EventEmitter();
  await client.subscribeAsync(`lockgw/${GW}/up/#`, { qos: 1 });
  const cloud: FakeCloud = {
    client,
    batches: [],
    states: [],
    mode,
    emitter,
    async ack(journalId, uptoSeq, signer = key) {
      const token = signCloudMessage('events_ack', { journalId, uptoSeq }, { kid: signer.kid, privateKey: signer.privateKey, issuer: ISSUER, audience: GW, now: clock.now(), ttlMs: 3_600_000 });
      await client.publishAsync(`lockgw/${GW}/down/events_ack`, token, { qos: 1 });
    },
    async publishRaw(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    async send(type, body, options = {}) {
      const signer = options.signer ?? key;
      const token = signCloudMessage(type, body, {
        kid: signer.kid, privateKey: signer.privateKey, issuer: ISSUER, audience: GW,
        now: options.now ?? clock.now(), ttlMs: options.ttlMs ?? 3_600_000, ...(options.jti === undefined ? {} : { jti: options.jti }),
      });
      await client.publishAsync(`lockgw/${GW}/down/${type}`, options.gzip === true ? gzipSync(token) : token, { qos: 1 });
    },
    received: Object.fromEntries(GATEWAY_MESSAGE_TYPES.map((type) => [type, []])) as unknown as FakeCloud['received'],
  };
  client.on('message', (topic, payload) => {
    if (payload.length === 0) return; // a cleared retained message
    const decoded = decodeGatewayMessage('lockgw', topic, payload);
    if (!decoded.ok) throw new Error(`the gateway published an invalid message on ${topic}: ${decoded.detail}`);
    (cloud.received[decoded.type] as unknown[]).push(decoded.message);
    emitter.emit(decoded.type, decoded.message);
    if (decoded.type === 'state') cloud.states.push(decoded.message);
    if (decoded.type === 'events') {
      const batch = decoded.message;
      cloud.batches.push(batch);
      emitter.emit('batch', batch);
      if (cloud.mode === 'auto') void cloud.ack(batch.journalId, batch.events[batch.events.length - 1]!.seq);
    }
  });
  return cloud;
}

export const testKey = () => generateSigningKeyPair('test-cloud');
export const seqsOf = (batches: EventBatch[]) => batches.flatMap((b) => b.events.map((e) => e.seq));
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The start of a gateway fixture's ManualClock (gatewayFixture's default). */
export const GATEWAY_START = '2026-11-23T09:00:00Z';

/**
 * A real gateway (gatewayFixture) with the cloud link on, and a fake cloud that listens before the
 * gateway connects (it must see the startup sync request). The cloud signs on its own clock,
 * started at the gateway's; it acknowledges event batches itself unless `mode` is 'manual'.
 * `startup` resolves with that first sync request.
 */
export async function cloudGateway(t: Test, cloudConfig: Partial<CloudConfigInput> = {}, mode: FakeCloud['mode'] = 'auto') {
  const b = await broker(t);
  const key = testKey();
  const clock = new ManualClock(GATEWAY_START);
  const cloud = await fakeCloud(t, b, key, clock, mode);
  const startup = until<SyncRequest>(cloud.emitter, 'sync_request');
  const f = await gatewayFixture(t, {
    gateway: { id: GW },
    cloud: { enabled: true, url: b.url, keys: [{ kid: key.kid, pem: key.publicPem }], issuer: ISSUER, ...cloudConfig },
  }, GATEWAY_START);
  return { b, key, f, cloud, clock, link: f.gateway.cloud!, startup };
}

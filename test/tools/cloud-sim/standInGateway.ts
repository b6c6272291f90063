/**
 * A minimal gateway for the simulator's tests: an MQTT client on `lockgw/<gw>/down/#` that
 * verifies every message as a gateway does (decodeCloudMessage with the simulator's public key),
 * applies complete snapshots and fitting deltas to its own AccessStore (a real PIN hasher, so
 * PIN digests differ from the simulator's clear PINs), computes the hash the gateway's way
 * (compileIndex) and answers with apply_ack; it publishes whatever else a test tells it to.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Test } from 'tap';
import { compileIndex } from '../../../src/access/compileIndex.js';
import { createPinHasher } from '../../../src/access/pinDigest.js';
import { decodeCloudMessage, encodeGatewayMessage, type DecodeCloudFailure, type DecodedCloudMessage } from '../../../src/wire/cloudMessageCodec.js';
import { isGzip } from '../../../src/wire/compressedPayload.js';
import { loadCloudKeys } from '../../../src/wire/keys.js';
import type { Delta, GatewayMessage, GatewayMessageType, SnapshotChunk } from '../../../src/wire/messages.js';
import { GatewayTopics } from '../../../src/wire/topics.js';
import { AccessStore } from '../../../src/store/accessStore.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { EMPTY_STATE_HASH } from '../../../src/access/contentHash.js';

/** `gzip`: whether it arrived compressed (compressedPayload.ts) */
export type Verified = DecodedCloudMessage & { topic: string; gzip: boolean };

export interface StandInOptions {
  gatewayId: string;
  publicPem: string;
  kid: string;
  /** the gateway's clock for verification (iat/exp); default Date.now */
  now?: () => number;
  /** apply snapshots and deltas and acknowledge them; default true (see `applying`) */
  apply?: boolean;
}

export class StandInGateway extends EventEmitter<{ verified: [Verified]; rejected: [DecodeCloudFailure & { topic: string }]; applied: [GatewayMessage<'apply_ack'>] }> {
  readonly topics: GatewayTopics;
  readonly verified: Verified[] = [];
  readonly rejected: DecodeCloudFailure[] = [];
  /** whether snapshots and deltas are applied and acknowledged */
  applying: boolean;
  revision = 0;
  hash = EMPTY_STATE_HASH;
  store: AccessStore;
  private db: Db;
  private chunks = new Map<string, Map<number, { chunk: SnapshotChunk; jti: string }>>();
  private readonly keys;
  private client!: MqttClient;

  constructor(private readonly options: StandInOptions) {
    super();
    this.topics = new GatewayTopics('lockgw', options.gatewayId);
    this.applying = options.apply ?? true;
    this.keys = loadCloudKeys([{ kid: options.kid, pem: options.publicPem }]);
    this.db = openDatabase(':memory:');
    this.store = new AccessStore(this.db, createPinHasher(Buffer.alloc(32, 9)));
  }

  async start(t: Test, url: string): Promise<void> {
    this.client = mqtt.connect(url, { clientId: this.options.gatewayId, protocolVersion: 5, reconnectPeriod: 50 });
    this.client.on('error', () => {});
    t.teardown(async () => {
      await this.client.endAsync(true);
      this.db.close();
    });
    await new Promise<void>((resolve) => this.client.once('connect', () => resolve()));
    await this.client.subscribeAsync(`${this.topics.base}/down/#`, { qos: 1 });
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  async publish<T extends GatewayMessageType>(type: T, message: GatewayMessage<T>): Promise<void> {
    const p = encodeGatewayMessage(this.topics, type, message);
    await this.client.publishAsync(p.topic, p.payload, { qos: p.qos, retain: p.retain });
  }

  /** Publishes raw bytes on one of its up/ topics (e.g. an empty retained door_status). */
  async publishRaw(topic: string, payload: string, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async syncRequest(want: GatewayMessage<'sync_request'>['want'], reason: GatewayMessage<'sync_request'>['reason'] = 'gap', overrides: Partial<GatewayMessage<'sync_request'>> = {}): Promise<string> {
    const transaction = `tx-${randomUUID()}`;
    await this.publish('sync_request', { transaction, revision: this.revision, hash: this.hash, reason, want, ...overrides });
    return transaction;
  }

  of<T extends Verified['type']>(type: T): Array<Extract<Verified, { type: T }>> {
    return this.verified.filter((v): v is Extract<Verified, { type: T }> => v.type === type);
  }

  /** Resolves once `count` verified messages of `type` have arrived (in all). */
  async received<T extends Verified['type']>(type: T, count: number): Promise<Array<Extract<Verified, { type: T }>>> {
    while (this.of(type).length < count) await new Promise((resolve) => this.once('verified', resolve));
    return this.of(type);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const decoded = decodeCloudMessage(topic, payload, { topics: this.topics, keys: this.keys, now: (this.options.now ?? Date.now)() });
    if (!decoded.ok) {
      this.rejected.push(decoded);
      this.emit('rejected', { ...decoded, topic });
      return;
    }
    const verified = { ...decoded, topic, gzip: isGzip(payload) } as Verified;
    this.verified.push(verified);
    if (this.applying) {
      if (verified.type === 'snapshot') this.onChunk(verified.message, verified.claims.jti);
      if (verified.type === 'delta') this.onDelta(verified.message, verified.claims.jti);
    }
    this.emit('verified', verified);
  }

  private onChunk(chunk: SnapshotChunk, jti: string): void {
    const got = this.chunks.get(chunk.snapshotId) ?? new Map();
    this.chunks.set(chunk.snapshotId, got);
    got.set(chunk.chunkIndex, { chunk, jti });
    if (got.size < chunk.chunkCount) return;
    const operations = [...got.values()].sort((a, b) => a.chunk.chunkIndex - b.chunk.chunkIndex).flatMap((c) => c.chunk.operations);
    this.db.close();
    this.db = openDatabase(':memory:');
    this.store = new AccessStore(this.db, createPinHasher(Buffer.alloc(32, 9)));
    this.store.applyBatch(operations, { source: 'cloud', revision: chunk.version });
    this.applied(chunk.version, jti, chunk.snapshotId);
  }

  private onDelta(delta: Delta, jti: string): void {
    if (delta.fromVersion !== this.revision) return;
    this.store.applyBatch(delta.operations, { source: 'cloud', revision: delta.toVersion });
    this.applied(delta.toVersion, jti);
  }

  private applied(revision: number, jti: string, snapshotId?: string): void {
    this.revision = revision;
    this.hash = this.store.snapshot(compileIndex).hash;
    const ack = { revision, hash: this.hash, duplicate: false, inReplyTo: jti, ...(snapshotId === undefined ? {} : { snapshotId }) };
    this.emit('applied', ack);
    void this.publish('apply_ack', ack);
  }
}

/**
 * The cloud of a fleet: one MQTT client for every gateway (subscribed to `lockgw/+/up/+`, as
 * docs/mqtt.md tells a cloud to), one versioned state (every gateway holds the same site), and
 * per gateway the cloud simulator's publisher (tools/cloud-sim/simPublisher.ts: its signing, with
 * `aud` = that gateway, and its delta). There is no broadcast topic in the contract, so a change
 * for the whole fleet is one signed message per gateway (docs/fleet.md, "A fan-out topic").
 *
 * Event batches are acknowledged as docs/mqtt.md asks: deduplicated by (gatewayId, journalId, seq),
 * cumulatively up to the highest seq below which nothing is missing. They are kept in memory
 * only: a real cloud writes them to its database before it acknowledges, a cost of the cloud's,
 * not the gateway's.
 */
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../src/kernel/clock.js';
import { decodeGatewayMessage } from '../../src/wire/cloudMessageCodec.js';
import type { ApplyAck, EventBatch, SyncRequest } from '../../src/wire/messages.js';
import { DEFAULT_TOPIC_PREFIX, GatewayTopics } from '../../src/wire/topics.js';
import { SimConnection } from '../../tools/cloud-sim/simConnection.js';
import { SimPublisher } from '../../tools/cloud-sim/simPublisher.js';
import { SimState, type AppliedChange } from '../../tools/cloud-sim/simState.js';
import { DEFAULT_CHUNK_LIMITS } from '../../tools/cloud-sim/snapshotChunks.js';
import { fleetSite } from './fleetSite.js';

const DAY_MS = 86_400_000;

export interface FleetCloudOptions {
  url: string;
  issuer: string;
  key: { kid: string; privateKey: KeyObject };
  gatewayIds: readonly string[];
  /** where the cloud's state file lives */
  stateDir: string;
  clock: Clock;
  logger: Logger;
}

export type FleetCloudEvents = {
  apply_ack: [{ gatewayId: string; ack: ApplyAck }];
  /** a batch received (also a redelivered one) */
  events: [{ gatewayId: string; batch: EventBatch; bytes: number }];
  /** the ack of a batch was published (and taken by the broker) */
  events_acked: [{ gatewayId: string; uptoSeq: number }];
  sync_request: [{ gatewayId: string; request: SyncRequest }];
  /** a gateway message that breaks the contract, or an ack that could not be sent */
  problem: [{ gatewayId: string | null; detail: string }];
};

interface Upload {
  journalId: string;
  /** every seq up to this one is stored */
  storedUpto: number;
  /** stored seqs above storedUpto (a batch after a hole) */
  ahead: Set<number>;
}

export class FleetCloud extends EventEmitter<FleetCloudEvents> {
  private state: SimState | null = null;
  private connection: SimConnection | null = null;
  private readonly publishers = new Map<string, SimPublisher>();
  private readonly uploads = new Map<string, Upload>();
  private stopping = false;

  constructor(private readonly options: FleetCloudOptions) {
    super();
  }

  /** Opens the state with the fleet site as version 1, connects and subscribes. */
  async start(): Promise<void> {
    const { options } = this;
    const state = new SimState({ dir: options.stateDir, clock: options.clock, logger: options.logger });
    await state.start();
    if (state.version() === 0) state.apply(fleetSite(), { history: false });
    this.state = state;
    const connection = new SimConnection({
      url: options.url, clientId: `fleet-cloud-${process.pid}`, persistentSession: false, protocolVersion: 5,
      connectTimeoutMs: 10_000, clock: options.clock, logger: options.logger,
    });
    connection.on('message', ({ topic, payload }) => this.onMessage(topic, payload));
    for (const gatewayId of options.gatewayIds) {
      this.publishers.set(gatewayId, new SimPublisher({
        connection, topics: new GatewayTopics(DEFAULT_TOPIC_PREFIX, gatewayId), key: options.key, issuer: options.issuer, gatewayId, state,
        clock: options.clock, logger: options.logger, chunkLimits: DEFAULT_CHUNK_LIMITS, syncTtlMs: 30 * DAY_MS, compress: true,
        onPublished: () => undefined, stopping: () => this.stopping,
      }));
    }
    this.connection = connection;
    await connection.start(`${DEFAULT_TOPIC_PREFIX}/+/up/+`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.connection?.stop();
    await this.state?.stop();
    this.connection = null;
    this.state = null;
  }

  /** The version every gateway was seeded with, and its hash. */
  current(): { version: number; hash: string } {
    return { version: this.started().state.version(), hash: this.started().state.hash() };
  }

  /** Applies operations to the cloud's state as its next version (the delta every gateway will need). */
  change(operations: readonly unknown[]): AppliedChange {
    return this.started().state.apply(operations, { history: true });
  }

  /**
   * Publishes the delta of `change` to each of `gatewayIds` (signed for each), all at once as a
   * cloud's publisher would: every message is signed and handed to the client before the first
   * broker acknowledgement is awaited. Resolves when the broker took them all.
   */
  async publishDelta(change: AppliedChange, gatewayIds: readonly string[]): Promise<void> {
    await Promise.all(gatewayIds.map((id) => this.publisher(id).delta(change)));
  }

  /** Every gateway's upload as this cloud has stored it: the seq up to which nothing is missing. */
  storedUpto(gatewayId: string): number {
    return this.uploads.get(gatewayId)?.storedUpto ?? 0;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (payload.length === 0) return; // a cleared retained message
    const decoded = decodeGatewayMessage(DEFAULT_TOPIC_PREFIX, topic, payload);
    if (!decoded.ok) {
      this.emit('problem', { gatewayId: null, detail: `${topic}: ${decoded.reason}: ${decoded.detail}` });
      return;
    }
    const { gatewayId } = decoded;
    if (!this.publishers.has(gatewayId)) return;
    if (decoded.type === 'apply_ack') this.emit('apply_ack', { gatewayId, ack: decoded.message });
    else if (decoded.type === 'sync_request') this.emit('sync_request', { gatewayId, request: decoded.message });
    else if (decoded.type === 'events') this.onEvents(gatewayId, decoded.message, payload.length);
  }

  private onEvents(gatewayId: string, batch: EventBatch, bytes: number): void {
    let upload = this.uploads.get(gatewayId);
    if (upload === undefined || upload.journalId !== batch.journalId) {
      // a new journal (or the first seen): what it skipped or evicted before this batch is not coming
      upload = { journalId: batch.journalId, storedUpto: batch.events[0]!.seq - 1, ahead: new Set() };
      this.uploads.set(gatewayId, upload);
    }
    if (batch.skipped !== undefined && batch.skipped.fromSeq <= upload.storedUpto + 1) upload.storedUpto = Math.max(upload.storedUpto, batch.skipped.toSeq);
    for (const event of batch.events) if (event.seq > upload.storedUpto) upload.ahead.add(event.seq);
    while (upload.ahead.delete(upload.storedUpto + 1)) upload.storedUpto += 1;
    const uptoSeq = upload.storedUpto;
    this.emit('events', { gatewayId, batch, bytes });
    if (uptoSeq === 0) return;
    this.publisher(gatewayId).send('events_ack', { journalId: batch.journalId, uptoSeq }, 30 * DAY_MS).then(
      () => this.emit('events_acked', { gatewayId, uptoSeq }),
      (err: unknown) => this.emit('problem', { gatewayId, detail: `events_ack not sent: ${(err as Error).message}` }),
    );
  }

  private publisher(gatewayId: string): SimPublisher {
    const publisher = this.publishers.get(gatewayId);
    if (publisher === undefined) throw new Error(`gateway ${gatewayId} is not in this fleet`);
    return publisher;
  }

  private started(): { state: SimState } {
    if (this.state === null) throw new Error('the fleet cloud is not started');
    return { state: this.state };
  }
}

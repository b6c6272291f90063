/**
 * How the simulator's messages go out: each one signed for the gateway (a fresh jti, the type's
 * lifetime) and published on its topic with its QoS, retain off. On top of that: a snapshot of
 * the newest version, streamed in chunks (planned in one pass over a consistent view of the
 * state, sent in a second: never the whole state as JSON in memory), chunks of a remembered
 * snapshot again, and a delta.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BatchOp } from '../../src/access/batchOpSchema.js';
import type { Clock } from '../../src/kernel/clock.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';
import { signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { cloudPayload } from '../../src/wire/compressedPayload.js';
import type { CloudMessageInput, CloudMessageType } from '../../src/wire/messages.js';
import { TOPIC_SPECS, type GatewayTopics } from '../../src/wire/topics.js';
import type { Published, PublishedDelta, PublishedSnapshot, SnapshotOptions } from './cloudSimulatorTypes.js';
import type { SimConnection } from './simConnection.js';
import type { SimSigningKey } from './simSigningKey.js';
import type { SimState, SnapshotView } from './simState.js';
import { operationBytes, operationSizes, planChunks, splitByPlan, type ChunkLimits, type ChunkPlan } from './snapshotChunks.js';

export interface SimPublisherOptions {
  connection: SimConnection;
  topics: GatewayTopics;
  key: Pick<SimSigningKey, 'kid' | 'privateKey'>;
  issuer: string;
  gatewayId: string;
  state: SimState;
  clock: Clock;
  logger: Logger;
  chunkLimits: ChunkLimits;
  /** exp of snapshots and deltas */
  syncTtlMs: number;
  /** gzip snapshot chunks and deltas (compressedPayload.ts) */
  compress: boolean;
  /** told of every message published */
  onPublished(published: Published): void;
  /** true once the simulator is stopping: a long snapshot ends between two chunks */
  stopping(): boolean;
}

export class SimPublisher {
  private readonly log: Logger;

  constructor(private readonly options: SimPublisherOptions) {
    this.log = options.logger.child({ module: 'cloud:sim:publish' });
  }

  /** Signs and publishes one message; resolves with its jti once the broker has it (QoS 1). */
  async send<T extends CloudMessageType>(type: T, body: CloudMessageInput<T>, ttlMs: number): Promise<string> {
    const { key, issuer, gatewayId, clock, connection, topics } = this.options;
    const jti = randomUUID();
    const token = signCloudMessage(type, body, { kid: key.kid, privateKey: key.privateKey, issuer, audience: gatewayId, now: clock.now(), ttlMs, jti });
    const payload = this.options.compress ? cloudPayload(type, token) : token;
    await connection.publish(topics.topic(type), payload, TOPIC_SPECS[type].qos);
    this.options.onPublished({ type, jti, bytes: payload.length });
    return jti;
  }

  /**
   * Clears the retained door_status of a door the gateway no longer has (docs/mqtt.md: the cloud
   * does it): an empty retained payload on its topic.
   */
  async clearDoorStatus(doorId: string): Promise<void> {
    await this.options.connection.publish(this.options.topics.topic('door_status', doorId), '', 1, true);
  }

  /** The newest version as a snapshot. INPUT_INVALID before anything was issued. */
  async snapshot(options: SnapshotOptions): Promise<PublishedSnapshot> {
    const { state } = this.options;
    const view = state.openView();
    try {
      if (view.version === 0) throw new GatewayError('INPUT_INVALID', 'nothing to publish yet: the simulator has no version (publish a site first)');
      const plan = planChunks(operationSizes(view.operations()), options.chunkLimits ?? this.options.chunkLimits);
      const snapshotId = `snap-v${view.version}-${randomBytes(4).toString('hex')}`;
      state.rememberSnapshot({ snapshotId, version: view.version, hash: view.hash, plan });
      const lastJti = await this.chunks(view, snapshotId, plan, options);
      this.log.info({ snapshotId, version: view.version, chunks: plan.counts.length, operations: plan.operations }, 'snapshot published');
      return { kind: 'snapshot', snapshotId, version: view.version, hash: view.hash, chunkCount: plan.counts.length, operations: plan.operations, bytes: plan.bytes, lastJti };
    } finally {
      view.close();
    }
  }

  /**
   * Chunks of a remembered snapshot again, identical but for the transaction. False (and nothing
   * sent) when that snapshot is not the newest version any more.
   */
  async resendChunks(snapshotId: string, chunks: readonly number[], transaction: string): Promise<boolean> {
    const { state } = this.options;
    const record = state.snapshotRecord(snapshotId);
    const view = state.openView();
    try {
      if (record === undefined || record.version !== view.version || record.hash !== view.hash) return false;
      await this.chunks(view, snapshotId, record.plan, { transaction, only: new Set(chunks) });
      return true;
    } finally {
      view.close();
    }
  }

  async delta(change: { fromVersion: number; toVersion: number; hash: string; operations: BatchOp[] }, transaction?: string): Promise<PublishedDelta> {
    const body = {
      fromVersion: change.fromVersion, toVersion: change.toVersion, hash: change.hash, operations: change.operations,
      ...(transaction === undefined ? {} : { transaction }),
    } as CloudMessageInput<'delta'>;
    const jti = await this.send('delta', body, this.options.syncTtlMs);
    return { kind: 'delta', fromVersion: change.fromVersion, toVersion: change.toVersion, hash: change.hash, operations: change.operations.length, jti };
  }

  /** Publishes the chunks of `plan` (only those in `only`, when given); returns the last jti. */
  private async chunks(view: SnapshotView, snapshotId: string, plan: ChunkPlan, options: SnapshotOptions & { only?: ReadonlySet<number> }): Promise<string> {
    let operationsSent = 0;
    let bytesSent = 0;
    let lastJti = '';
    let chunkIndex = 0;
    for (const operations of splitByPlan(view.operations(), plan)) {
      const index = chunkIndex++;
      if (options.only !== undefined && !options.only.has(index)) continue;
      if (this.options.stopping()) throw new GatewayError('NOT_STARTED', `the simulator stopped while publishing snapshot ${snapshotId}`);
      const body = {
        version: view.version, snapshotId, chunkIndex: index, chunkCount: plan.counts.length, hash: view.hash, operations,
        ...(options.transaction === undefined ? {} : { transaction: options.transaction }),
      } as CloudMessageInput<'snapshot'>;
      lastJti = await this.send('snapshot', body, this.options.syncTtlMs);
      operationsSent += operations.length;
      bytesSent += operations.reduce((sum, op) => sum + operationBytes(op), 0);
      options.onProgress?.({ snapshotId, version: view.version, chunkIndex: index, chunkCount: plan.counts.length, operationsSent, operations: plan.operations, bytesSent, bytes: plan.bytes });
    }
    return lastJti;
  }
}

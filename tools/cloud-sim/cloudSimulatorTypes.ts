/**
 * The cloud simulator's contract (cloudSimulator.ts): its options, what its publishing methods
 * return, and the typed events it emits for every gateway message.
 */
import type { Clock } from '../../src/kernel/clock.js';
import type { Logger } from 'pino';
import type {
  ApplyAck, CloudMessageInput, CloudMessageType, CommandResponse, DoorStatusMessage, EventBatch, GatewayState, SecurityEvent, SyncRequest,
} from '../../src/wire/messages.js';
import type { SimState } from './simState.js';
import type { SimSigningKey } from './simSigningKey.js';
import type { ChunkLimits } from './snapshotChunks.js';

export interface CloudSimulatorOptions {
  /** mqtt://host:port or mqtts://host:port */
  url: string;
  gatewayId: string;
  /** default "lockgw" */
  topicPrefix?: string;
  /** the iss claim (the gateway may require it: cloud.issuer) */
  issuer: string;
  key: Pick<SimSigningKey, 'kid' | 'privateKey'>;
  /** started by the caller */
  state: SimState;
  clock: Clock;
  logger: Logger;
  /** default `lockgw-cloud-sim-<gatewayId>-<random>` */
  clientId?: string;
  /** keep the broker session (and what the gateway publishes meanwhile) across runs; default false */
  persistentSession?: boolean;
  protocolVersion?: 4 | 5;
  username?: string;
  password?: string;
  /** 0 or absent: no heartbeats */
  heartbeatIntervalMs?: number;
  /** default true */
  autoAckEvents?: boolean;
  /** default true */
  answerSyncRequests?: boolean;
  /** default 5,000 operations and 1 MiB per chunk */
  chunkLimits?: ChunkLimits;
  /** exp of snapshots, deltas and events acks; default 30 days */
  syncTtlMs?: number;
  /** gzip snapshot chunks and deltas (docs/mqtt.md, Compression); default true */
  compress?: boolean;
  /** exp of commands; default 60 s */
  commandTtlMs?: number;
  /** default 10 s */
  connectTimeoutMs?: number;
}

export interface SnapshotProgress {
  snapshotId: string;
  version: number;
  chunkIndex: number;
  chunkCount: number;
  operationsSent: number;
  operations: number;
  /** operations JSON sent so far / in all, bytes */
  bytesSent: number;
  bytes: number;
}

export interface SnapshotOptions {
  /** the sync request this answers */
  transaction?: string;
  chunkLimits?: ChunkLimits;
  /** called after every chunk is published (and acknowledged by the broker) */
  onProgress?: (progress: SnapshotProgress) => void;
}

export interface PublishedSnapshot {
  kind: 'snapshot';
  snapshotId: string;
  version: number;
  hash: string;
  chunkCount: number;
  operations: number;
  bytes: number;
  /** jti of the last chunk: what the gateway's apply_ack quotes in inReplyTo */
  lastJti: string;
}

export interface PublishedDelta {
  kind: 'delta';
  fromVersion: number;
  toVersion: number;
  hash: string;
  operations: number;
  jti: string;
}

export type PublishSiteResult = PublishedSnapshot | PublishedDelta | { kind: 'unchanged'; version: number; hash: string };

/** A command as the caller writes it; the simulator adds the correlationId unless given. */
export type CommandRequest = CloudMessageInput<'command'> extends infer C ? (C extends { correlationId: string | null } ? Omit<C, 'correlationId'> & { correlationId?: string } : never) : never;

export interface SyncAnswered {
  request: SyncRequest;
  answer: 'deltas' | 'snapshot' | 'chunks' | 'none';
  /** what was sent, for a human */
  detail: string;
}

export interface Published {
  type: CloudMessageType;
  jti: string;
  bytes: number;
}

export type CloudSimulatorEvents = {
  connected: [];
  disconnected: [{ reason: string }];
  state: [GatewayState];
  apply_ack: [ApplyAck];
  sync_request: [SyncRequest];
  sync_answered: [SyncAnswered];
  events: [EventBatch];
  command_response: [CommandResponse];
  door_status: [DoorStatusMessage];
  /** an empty retained door_status: the door was removed from the gateway */
  door_removed: [{ doorId: string }];
  security_event: [SecurityEvent];
  /** every message the simulator published */
  published: [Published];
  /** a gateway message that does not follow the contract */
  invalid: [{ topic: string; reason: string; detail: string }];
  /** background work (answering a sync request, a heartbeat) failed */
  failed: [{ what: string; error: Error }];
};

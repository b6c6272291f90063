/**
 * Snapshot chunks verified and validated off the doors' thread. A chunk is the largest message
 * (its size: docs/mqtt.md, "Snapshots"); checking its signature, parsing it and validating every
 * operation held up the doors' event loop for each chunk, and its garbage made the collector
 * pause that loop too (the figures: bench/README.md, "Measurements behind design choices"). The rules worker decodes chunks instead, with the same function as
 * everything else (decodeCloudMessage), and keeps the operations: the doors' thread gets back
 * what it needs to decide (version, snapshot id, chunk index and count, hash, claims) and an
 * operation count, then stages or releases them (heldOperations.ts).
 *
 * Main side: `ChunkDecoder` (implemented by the rules worker's client). Worker side:
 * `HeldChunkDecoding`.
 */
import type { KeyObject } from 'node:crypto';
import type { UpsertOp } from '../access/batchOpSchema.js';
import { decodeCloudMessage, type DecodeCloudFailure } from './cloudMessageCodec.js';
import type { HeldSnapshotChunk } from './heldOperations.js';
import { CloudKeySet } from './keys.js';
import type { SnapshotChunk } from './messages.js';
import type { EnvelopeClaims, EnvelopeHeader } from './signedEnvelope.js';
import { GatewayTopics } from './topics.js';

/** Everything decodeCloudMessage needs besides the message and the time, in a form that crosses threads. */
export interface ChunkDecodeContext {
  topicPrefix: string;
  gatewayId: string;
  keys: ReadonlyArray<{ kid: string; publicKey: KeyObject }>;
  issuer?: string;
  maxSkewMs?: number;
}

export type DecodedHeldChunk = { ok: true; type: 'snapshot'; message: HeldSnapshotChunk; claims: Omit<EnvelopeClaims, 'msg'>; header: EnvelopeHeader };

export interface ChunkDecoder {
  /**
   * Verifies and validates a message that arrived on the snapshot topic, on another thread, as
   * decodeCloudMessage would here (with `now` as the time it arrived). Resolves with the chunk,
   * whose operations that thread holds until they are staged or released, or with why it was
   * refused. Rejects when that thread is gone or failed: the caller then decodes the message itself.
   */
  decodeSnapshotChunk(topic: string, payload: Uint8Array, now: number, context: ChunkDecodeContext): Promise<DecodedHeldChunk | DecodeCloudFailure>;
}

/** What crosses back from the decoding thread. */
export type HeldChunkReply =
  | { ok: true; chunk: Omit<SnapshotChunk, 'operations'>; operationCount: number; claims: Omit<EnvelopeClaims, 'msg'>; header: EnvelopeHeader }
  | DecodeCloudFailure;

/** The decoding thread's side: decodes chunks and holds their operations by token. */
export class HeldChunkDecoding {
  private context: { topics: GatewayTopics; keys: CloudKeySet; issuer?: string; maxSkewMs?: number } | null = null;
  private readonly held = new Map<number, UpsertOp[]>();

  /** Throws GatewayError('CONFIG_INVALID') for a context the link itself would have refused. */
  setContext(context: ChunkDecodeContext): void {
    this.context = {
      topics: new GatewayTopics(context.topicPrefix, context.gatewayId),
      keys: new CloudKeySet(context.keys),
      ...(context.issuer === undefined ? {} : { issuer: context.issuer }),
      ...(context.maxSkewMs === undefined ? {} : { maxSkewMs: context.maxSkewMs }),
    };
  }

  /** Decodes a message of the snapshot topic; on success holds its operations under `token`. */
  decode(token: number, topic: string, payload: Uint8Array, now: number): HeldChunkReply {
    const context = this.context;
    if (context === null) throw new Error('HeldChunkDecoding.decode before setContext');
    const decoded = decodeCloudMessage(topic, payload, { ...context, now });
    if (!decoded.ok) return decoded;
    if (decoded.type !== 'snapshot') return { ok: false, reason: 'unknown_topic', detail: `${topic} is not the snapshot topic`, type: decoded.type };
    const { operations, ...chunk } = decoded.message;
    this.held.set(token, operations);
    return { ok: true, chunk, operationCount: operations.length, claims: decoded.claims, header: decoded.header };
  }

  /** The held operations, no longer held; undefined if there are none under `token`. */
  take(token: number): UpsertOp[] | undefined {
    const operations = this.held.get(token);
    this.held.delete(token);
    return operations;
  }

  release(token: number): void {
    this.held.delete(token);
  }

  /** how many chunks are held (tests: nothing is left behind) */
  get size(): number {
    return this.held.size;
  }
}

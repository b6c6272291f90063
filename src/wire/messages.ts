/**
 * The MQTT contract's message bodies: one zod schema per message type, the single source of truth
 * for the TypeScript types (z.infer), runtime validation, and the JSON Schemas in docs/schemas/
 * (scripts/gen-mqtt-schemas.ts). Topics are in topics.ts; the signing envelope that carries every
 * cloud → gateway body is in signedEnvelope.ts. docs/mqtt.md explains the rules around them.
 *
 * Records reuse the entity schemas of src/access/model.ts; batch operations are the one schema of
 * src/access/batchOpSchema.ts, which the store's parser uses too.
 *
 * Times are epoch milliseconds (integers) unless a record's own schema says otherwise (model
 * instants also accept ISO 8601). Revisions (versions) are non-negative safe integers.
 */
import { z } from 'zod';
import { IdSchema } from '../access/model.js';
import { BatchOpSchema, DeleteOpSchema, UpsertOpSchema } from '../access/batchOpSchema.js';
import type { JournalEntry } from '../journal/journal.js';

// ── building blocks ──────────────────────────────────────────────────────────────────────────

export const VersionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const ContentHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha-256 hex digest (64 lowercase hex digits)');
export const EpochMsSchema = z.number().int().min(0).max(8.64e15);
/** A request's transaction id or a command's correlation id: echoed unchanged in the reply. */
export const CorrelationIdSchema = IdSchema;

// ── batch operations (the unit of a delta; a snapshot is upserts only) ─────────────────────

export { BatchOpSchema, DeleteOpSchema, UpsertOpSchema };


/** A generous bound; the byte limit of the topic (topics.ts) is the real one. */
const MAX_OPERATIONS = 1_000_000;

// ── cloud → gateway (each body travels signed, see signedEnvelope.ts) ─────────────────────

export const SnapshotChunkSchema = z
  .strictObject({
    /** the revision the gateway holds once every chunk is applied */
    version: VersionSchema.min(1),
    /** the same in every chunk of one snapshot; a new snapshot of the same version gets a new id */
    snapshotId: IdSchema,
    chunkIndex: z.number().int().min(0),
    chunkCount: z.number().int().min(1).max(100_000),
    /** content hash of the whole state at `version` (src/access/contentHash.ts) */
    hash: ContentHashSchema,
    /** upserts only: the snapshot replaces the whole state, anything not in it is deleted */
    operations: z.array(UpsertOpSchema).max(MAX_OPERATIONS),
    /** echo of the sync request this answers, if any */
    transaction: CorrelationIdSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.chunkIndex >= s.chunkCount) {
      ctx.addIssue({ code: 'custom', path: ['chunkIndex'], message: `must be less than chunkCount (${s.chunkCount})` });
    }
  })
  .meta({ title: 'snapshot', description: 'One chunk of a full state snapshot (cloud → gateway, signed).' });

export const DeltaSchema = z
  .strictObject({
    /** must equal the gateway's applied revision, or the delta is not applied */
    fromVersion: VersionSchema,
    toVersion: VersionSchema,
    /** content hash of the state after the operations are applied */
    hash: ContentHashSchema,
    operations: z.array(BatchOpSchema).max(MAX_OPERATIONS),
    transaction: CorrelationIdSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.toVersion <= d.fromVersion) ctx.addIssue({ code: 'custom', path: ['toVersion'], message: 'must be greater than fromVersion' });
  })
  .meta({ title: 'delta', description: 'Changes from one revision to a later one (cloud → gateway, signed).' });

export const HeartbeatSchema = z
  .strictObject({
    /** the newest revision the cloud has for this gateway */
    revision: VersionSchema,
    /** its content hash, when the cloud has it at hand */
    hash: ContentHashSchema.optional(),
    /** the cloud's clock, epoch ms */
    time: EpochMsSchema,
  })
  .meta({ title: 'heartbeat', description: "The cloud's current revision and time (cloud → gateway, signed)." });

const command = <N extends string, S extends z.core.$ZodLooseShape>(name: N, shape: S) =>
  z.strictObject({ correlationId: CorrelationIdSchema, name: z.literal(name), ...shape });

export const CommandSchema = z
  .discriminatedUnion('name', [
    command('unlock', { doorId: IdSchema, seconds: z.number().int().min(1).max(3600) }),
    command('lockdown', {
      /** true: lock down (only lockdown-exempt credentials open); false: end the lockdown */
      active: z.boolean(),
      scope: z.enum(['site', 'door']),
      /** required when scope is "door", forbidden when it is "site" */
      doorId: IdSchema.optional(),
    }).superRefine((c, ctx) => {
      if (c.scope === 'door' && c.doorId === undefined) ctx.addIssue({ code: 'custom', path: ['doorId'], message: 'is required when scope is "door"' });
      if (c.scope === 'site' && c.doorId !== undefined) ctx.addIssue({ code: 'custom', path: ['doorId'], message: 'must be absent when scope is "site"' });
    }),
    command('resync', {}),
    command('status', {}),
  ])
  .meta({ title: 'command', description: 'A remote command; answered by a command_response with the same correlationId (cloud → gateway, signed).' });

export const EventsAckSchema = z
  .strictObject({
    /** the journal the acknowledged events came from (see events) */
    journalId: IdSchema,
    /** every event with seq <= uptoSeq is stored by the cloud; the gateway deletes them */
    uptoSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .meta({ title: 'events_ack', description: 'The cloud has stored the events up to a seq (cloud → gateway, signed).' });

// ── gateway → cloud (plain JSON; the broker's ACL authenticates the publisher) ─────────────

export const StateSchema = z
  .strictObject({
    status: z.enum(['online', 'offline']),
    /** connected; shutdown (clean stop); connection_lost (the last will, published by the broker) */
    reason: z.enum(['connected', 'shutdown', 'connection_lost']),
    /** absent in the last will, whose content is fixed at connect time */
    at: EpochMsSchema.optional(),
    revision: VersionSchema.optional(),
    hash: ContentHashSchema.optional(),
    /** the gateway software version */
    software: z.string().max(64).optional(),
    /**
     * the offline lease bound: the longest a revocation can go unenforced while the gateway is cut
     * off from the cloud (the largest lease of a credential class that does not fail open);
     * null: unbounded (a class fails open). Absent: no lease (no cloud link), and in the last will
     */
    maxRevocationStalenessMs: z.number().int().min(0).nullable().optional(),
  })
  .meta({ title: 'state', description: 'Retained online/offline state; the offline form is also the last will (gateway → cloud).' });

export const ApplyAckSchema = z
  .strictObject({
    /** the revision the gateway now runs */
    revision: VersionSchema,
    /** the content hash the gateway computed for it */
    hash: ContentHashSchema,
    /** true: the message was already applied (a duplicate); nothing changed */
    duplicate: z.boolean(),
    /**
     * present (true) only when a delta up to the running revision differs from what was applied
     * (other hash or other operations): not applied, nothing changed, and a conflicting_delta
     * security event was raised; duplicate is false
     */
    conflict: z.literal(true).optional(),
    /** jti of the delta, or of the last chunk of the snapshot, that led to this state */
    inReplyTo: z.string().min(1).max(128).optional(),
    snapshotId: IdSchema.optional(),
  })
  .meta({ title: 'apply_ack', description: 'A delta or a complete snapshot was applied (or was a duplicate) (gateway → cloud).' });

/**
 * Why a change was not applied when it is not the cloud's data (bad data is answered by a
 * sync_request with reason apply_failed): INTERNAL, a bug of the gateway's own.
 */
export const APPLY_FAILED_CODES = ['INTERNAL'] as const;

export const ApplyFailedSchema = z
  .strictObject({
    /** the revision the gateway still runs: nothing of the change was applied */
    revision: VersionSchema,
    hash: ContentHashSchema,
    code: z.enum(APPLY_FAILED_CODES),
    /** for a human: what was not applied, and the error */
    detail: z.string().max(1000),
    /** jti of the delta, or of the last chunk of the snapshot, that was not applied */
    inReplyTo: z.string().min(1).max(128).optional(),
    snapshotId: IdSchema.optional(),
  })
  .meta({ title: 'apply_failed', description: "A delta or snapshot was not applied because of the gateway's own fault; it keeps its revision (gateway → cloud)." });

export const SYNC_REQUEST_REASONS = ['startup', 'gap', 'hash_mismatch', 'incomplete_snapshot', 'resync_command', 'stale', 'apply_failed'] as const;

export const SyncRequestSchema = z
  .strictObject({
    /** echoed in the snapshot chunks or deltas that answer this request */
    transaction: CorrelationIdSchema,
    /** the revision the gateway has applied (0: never synced) */
    revision: VersionSchema,
    hash: ContentHashSchema,
    reason: z.enum(SYNC_REQUEST_REASONS),
    /** for a human: e.g. why the last delta could not be applied */
    detail: z.string().max(1000).optional(),
    want: z.discriminatedUnion('kind', [
      /** deltas from `fromVersion` (= revision) up to the newest, or at least up to `toVersion` (a version the gateway saw) */
      z.strictObject({ kind: z.literal('delta'), fromVersion: VersionSchema, toVersion: VersionSchema.optional() }),
      /** a full snapshot of the newest revision */
      z.strictObject({ kind: z.literal('snapshot') }),
      /** the missing chunks of a snapshot in progress */
      z.strictObject({
        kind: z.literal('chunks'),
        snapshotId: IdSchema,
        version: VersionSchema.min(1),
        chunks: z.array(z.number().int().min(0)).min(1).max(100_000),
      }),
    ]),
  })
  .meta({ title: 'sync_request', description: 'The gateway asks for what it is missing (gateway → cloud).' });

export const JOURNAL_EVENT_TYPES = ['access', 'alarm', 'security', 'mode', 'system'] as const;

/**
 * One journal entry as stored (src/journal/journal.ts). Deliberately permissive on string lengths:
 * an event that the journal accepted must never be refused by the upload, or it would block
 * every event behind it.
 */
export const JournalEntrySchema = z.strictObject({
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  type: z.enum(JOURNAL_EVENT_TYPES),
  at: EpochMsSchema,
  doorId: z.string().optional(),
  grant: z.boolean().optional(),
  /** a verdict reason (granted, unknown_credential, ...) or an alarm reason */
  reason: z.string().optional(),
  personId: z.string().optional(),
  credentialId: z.string().optional(),
  keyId: z.string().optional(),
  /** event details; never credential values (the journal redacts pin/card/value/secret keys) */
  data: z.record(z.string(), z.unknown()).optional(),
});

/** Compile-time check that two types are the same (the wire format and ours must not drift). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameEntry: Same<z.output<typeof JournalEntrySchema>, JournalEntry> = true;
void sameEntry;

export const EventBatchSchema = z
  .strictObject({
    /** identifies the gateway's journal; a new id means a new journal whose seq restarts at 1 */
    journalId: IdSchema,
    /** consecutive seq, ascending */
    events: z.array(JournalEntrySchema).min(1).max(100_000),
    /**
     * Seqs right before this batch that the journal evicted (it was full) before they could be
     * uploaded: they will never be sent, and the cloud may acknowledge past them.
     */
    skipped: z.strictObject({ fromSeq: z.number().int().min(1), toSeq: z.number().int().min(1) }).optional(),
  })
  .superRefine((b, ctx) => {
    const first = b.events[0]?.seq ?? 0;
    b.events.forEach((e, i) => {
      if (e.seq !== first + i) ctx.addIssue({ code: 'custom', path: ['events', i, 'seq'], message: `must be ${first + i}: seq is consecutive within a batch` });
    });
    if (b.skipped !== undefined && (b.skipped.toSeq !== first - 1 || b.skipped.fromSeq > b.skipped.toSeq)) {
      ctx.addIssue({ code: 'custom', path: ['skipped'], message: `must be a range ending at ${first - 1}, right before the first event` });
    }
  })
  .meta({ title: 'events', description: 'A batch of journal events, consecutive seq (gateway → cloud, QoS 1).' });

export const COMMAND_RESULTS = [
  'ok',
  'invalid',
  'unauthorized',
  'expired',
  'duplicate',
  'unknown_command',
  'unknown_door',
  'unavailable',
  'failed',
  /** over the command's size limit: not verified, not executed, not remembered */
  'too_large',
] as const;

export const CommandResponseSchema = z
  .strictObject({
    /** the command's correlationId; null when it could not be read from the rejected message */
    correlationId: CorrelationIdSchema.nullable(),
    result: z.enum(COMMAND_RESULTS),
    /** for a human: what happened or why not */
    message: z.string().max(1000),
    /** command-specific result (the status command's report) */
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ title: 'command_response', description: 'The answer to a command (gateway → cloud).' });

const HealthSchema = z.strictObject({
  state: z.enum(['online', 'degraded', 'offline']),
  reason: z.string(),
  since: EpochMsSchema,
});

export const DoorStatusSchema = z
  .strictObject({
    doorId: IdSchema,
    at: EpochMsSchema,
    mode: z.enum(['normal', 'passage', 'lockdown', 'fire']),
    actuator: z.enum(['locked', 'unlocked', 'unknown']),
    /** door position; absent when the door has no position sensor */
    open: z.boolean().optional(),
    /** active alarms: forced_open, held_open, ... */
    alarms: z.array(z.string()),
    health: HealthSchema,
    /** health per device of the door (reader, actuator, sensor, ...) */
    devices: z.record(z.string(), HealthSchema),
  })
  .meta({ title: 'door_status', description: 'Retained status of one door (gateway → cloud).' });

export const SECURITY_EVENT_REASONS = [
  'malformed',
  'unsigned',
  'algorithm',
  'unknown_key',
  'bad_signature',
  'wrong_audience',
  'wrong_issuer',
  'expired',
  'not_yet_valid',
  'wrong_type',
  'too_large',
  'schema',
  'unknown_topic',
  'rollback',
  'replay',
  'hash_mismatch',
  'conflicting_delta',
] as const;

export const SecurityEventSchema = z
  .strictObject({
    at: EpochMsSchema,
    reason: z.enum(SECURITY_EVENT_REASONS),
    /** the topic the rejected message arrived on */
    topic: z.string(),
    detail: z.string().max(1000),
    /** from the rejected message when they could be read (unverified: for diagnosis only) */
    kid: z.string().max(128).optional(),
    jti: z.string().max(128).optional(),
    /** similar rejections folded into this one since the previous security event */
    repeated: z.number().int().min(0).optional(),
  })
  .meta({ title: 'security_event', description: 'A cloud message was rejected (gateway → cloud).' });

// ── the maps ─────────────────────────────────────────────────────────────────────────────────

export const CLOUD_MESSAGE_SCHEMAS = {
  snapshot: SnapshotChunkSchema,
  delta: DeltaSchema,
  heartbeat: HeartbeatSchema,
  command: CommandSchema,
  events_ack: EventsAckSchema,
} as const;

export const GATEWAY_MESSAGE_SCHEMAS = {
  state: StateSchema,
  apply_ack: ApplyAckSchema,
  apply_failed: ApplyFailedSchema,
  sync_request: SyncRequestSchema,
  events: EventBatchSchema,
  command_response: CommandResponseSchema,
  door_status: DoorStatusSchema,
  security_event: SecurityEventSchema,
} as const;

export type CloudMessageType = keyof typeof CLOUD_MESSAGE_SCHEMAS;
export type GatewayMessageType = keyof typeof GATEWAY_MESSAGE_SCHEMAS;
export type MessageType = CloudMessageType | GatewayMessageType;

export const CLOUD_MESSAGE_TYPES = Object.keys(CLOUD_MESSAGE_SCHEMAS) as CloudMessageType[];
export const GATEWAY_MESSAGE_TYPES = Object.keys(GATEWAY_MESSAGE_SCHEMAS) as GatewayMessageType[];

/** A cloud message body as the gateway sees it after validation (defaults filled, instants in ms). */
export type CloudMessage<T extends CloudMessageType = CloudMessageType> = z.output<(typeof CLOUD_MESSAGE_SCHEMAS)[T]>;
/** A cloud message body as the cloud writes it. */
export type CloudMessageInput<T extends CloudMessageType = CloudMessageType> = z.input<(typeof CLOUD_MESSAGE_SCHEMAS)[T]>;
export type GatewayMessage<T extends GatewayMessageType = GatewayMessageType> = z.output<(typeof GATEWAY_MESSAGE_SCHEMAS)[T]>;

export type SnapshotChunk = CloudMessage<'snapshot'>;
export type Delta = CloudMessage<'delta'>;
export type Heartbeat = CloudMessage<'heartbeat'>;
export type Command = CloudMessage<'command'>;
export type EventsAck = CloudMessage<'events_ack'>;
export type GatewayState = GatewayMessage<'state'>;
export type ApplyAck = GatewayMessage<'apply_ack'>;
export type SyncRequest = GatewayMessage<'sync_request'>;
export type EventBatch = GatewayMessage<'events'>;
export type CommandResponse = GatewayMessage<'command_response'>;
export type CommandResult = (typeof COMMAND_RESULTS)[number];
export type DoorStatusMessage = GatewayMessage<'door_status'>;
export type SecurityEvent = GatewayMessage<'security_event'>;
export type SecurityEventReason = (typeof SECURITY_EVENT_REASONS)[number];

/**
 * The `cloud:` section of the gateway's configuration: where the broker is, how to authenticate,
 * which cloud keys verify messages, and how the link reconnects and uploads events. Disabled by
 * default: the gateway runs fully offline without it.
 */
import { z } from 'zod';
import { CloudKeyConfigSchema } from '../wire/keys.js';
import { DEFAULT_TOPIC_PREFIX } from '../wire/topics.js';

const BrokerUrlSchema = z
  .string()
  .regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be mqtt://host[:port] or mqtts://host[:port]');

const TOPIC_PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export const CloudConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** mqtt://host:1883 or mqtts://host:8883 */
    url: BrokerUrlSchema.default('mqtt://127.0.0.1:1883'),
    /** 5 = MQTT 5 (default), 4 = MQTT 3.1.1 */
    protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5),
    topicPrefix: z.string().regex(TOPIC_PREFIX, 'levels of letters, digits and . _ - separated by /').default(DEFAULT_TOPIC_PREFIX),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** PEM files: ca verifies the broker; cert + key are the gateway's client certificate */
    tls: z
      .strictObject({
        ca: z.string().min(1).optional(),
        cert: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
        /** default true; false only for a lab broker with a self-signed certificate */
        rejectUnauthorized: z.boolean().default(true),
      })
      .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['cert'] })
      .optional(),
    /** the cloud's public keys (kid + pem or JWK) */
    keys: z.array(CloudKeyConfigSchema).default([]),
    /** if set, the iss claim every cloud message must carry */
    issuer: z.string().min(1).max(256).optional(),
    /** allowed clock skew for iat/exp/nbf */
    maxSkewMs: z.number().int().min(0).max(3_600_000).default(60_000),
    /** MQTT session expiry (MQTT 5), so QoS 1 messages wait for the gateway at the broker */
    sessionExpirySeconds: z.number().int().min(0).max(0xffffffff).default(7 * 24 * 3600),
    keepaliveSeconds: z.number().int().min(5).max(3600).default(30),
    connectTimeoutMs: z.number().int().min(1000).max(300_000).default(30_000),
    reconnect: z
      .strictObject({
        minMs: z.number().int().min(10).max(3_600_000).default(1000),
        maxMs: z.number().int().min(10).max(3_600_000).default(60_000),
      })
      .refine((r) => r.minMs <= r.maxMs, { message: 'minMs must not exceed maxMs', path: ['minMs'] })
      .prefault({}),
    upload: z
      .strictObject({
        /** events per up/events message */
        batchSize: z.number().int().min(1).max(100_000).default(500),
        /** the backlog drains at most this fast */
        maxEventsPerSecond: z.number().int().min(1).max(1_000_000).default(2000),
        /** how often the journal is looked at while idle */
        pollMs: z.number().int().min(10).max(60_000).default(250),
        /** resend the batch in flight if no ack arrives within this (everything after the last ack is also resent after every reconnect) */
        ackTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
        /** after each resend without an ack the wait doubles, up to this; equal to ackTimeoutMs: a fixed cadence */
        maxAckTimeoutMs: z.number().int().min(100).max(24 * 3_600_000).default(300_000),
      })
      .refine((u) => u.maxAckTimeoutMs >= u.ackTimeoutMs, { message: 'maxAckTimeoutMs must be at least ackTimeoutMs', path: ['maxAckTimeoutMs'] })
      .prefault({}),
    doorStatus: z
      .strictObject({
        /** how often the doors are looked at for a changed status */
        pollMs: z.number().int().min(50).max(60_000).default(1000),
        /** the least time between two publishes of one door's status */
        minIntervalMs: z.number().int().min(0).max(3_600_000).default(1000),
        /** every door's status is republished this often even without a change */
        refreshMs: z.number().int().min(1000).max(24 * 3_600_000).default(300_000),
      })
      .prefault({}),
    sync: z
      .strictObject({
        /** ask for the missing chunks of a snapshot when none arrived for this long */
        chunkTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
        /** resend a sync_request that was not answered within this; also the cadence of the stale requests while heartbeats are missing */
        requestRetryMs: z.number().int().min(100).max(3_600_000).default(60_000),
        /** deltas that arrived ahead of a gap, kept until the gap is filled */
        maxBufferedDeltas: z.number().int().min(1).max(100_000).default(1000),
        /** the largest snapshot accepted (operations in all its chunks) */
        maxSnapshotOperations: z.number().int().min(1).max(20_000_000).default(5_000_000),
        /** no valid heartbeat for this long raises sync_stale */
        staleAfterMs: z.number().int().min(1000).max(30 * 24 * 3_600_000).default(10 * 60_000),
        /**
         * apply snapshots and deltas in a worker thread (the doors go on deciding meanwhile);
         * false: on the main thread, where a large snapshot pauses the doors while it is applied
         */
        worker: z.boolean().default(true),
        /** the gateway's clock is trusted while it is within this of the cloud's heartbeat time */
        maxClockSkewMs: z.number().int().min(0).max(24 * 3_600_000).default(120_000),
      })
      .prefault({}),
  })
  .refine((c) => !c.enabled || c.keys.length > 0, { message: 'an enabled cloud link needs at least one cloud public key', path: ['keys'] });

export type CloudConfig = z.output<typeof CloudConfigSchema>;
export type CloudConfigInput = z.input<typeof CloudConfigSchema>;

/**
 * From MQTT bytes to a typed message and back, for both directions of the contract:
 *
 * - `decodeCloudMessage`: topic → type, inflate a gzip payload (compressedPayload.ts), verify the
 *   signed envelope (signedEnvelope.ts), then the body against its type's schema (messages.ts).
 *   Never throws; a failure says why, and for a schema failure where (the zod path of the first
 *   issue).
 * - `signCloudMessage`: the cloud side (simulator, tests): validates a body, then signs it.
 * - `encodeGatewayMessage` / `decodeGatewayMessage`: the gateway's plain-JSON messages.
 * - `peekUnverified`: kid, jti and correlationId read from a token without trusting it, only to
 *   describe a rejection (security event, command response).
 */
import { z } from 'zod';
import { GatewayError } from '../kernel/gatewayError.js';
import {
  CLOUD_MESSAGE_SCHEMAS,
  GATEWAY_MESSAGE_SCHEMAS,
  type CloudMessage,
  type CloudMessageInput,
  type CloudMessageType,
  type GatewayMessage,
  type GatewayMessageType,
} from './messages.js';
import { inflatePayload } from './compressedPayload.js';
import { signEnvelope, verifyEnvelope, type EnvelopeClaims, type EnvelopeHeader, type SignOptions, type VerifyFailureReason, type VerifyingKeys } from './signedEnvelope.js';
import { parseTopic, TOPIC_SPECS, type GatewayTopics } from './topics.js';

export type IssuePath = Array<string | number>;

function issuePath(issue: z.core.$ZodIssue): IssuePath {
  return issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
}

function describe(error: z.ZodError): { path: IssuePath; detail: string } {
  const issue = error.issues[0]!;
  const path = issuePath(issue);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return { path, detail: `${path.length > 0 ? `${path.join('.')}: ` : ''}${issue.message}${more}` };
}

// ── cloud → gateway ─────────────────────────────────────────────────────────────────────────

export interface DecodeCloudOptions {
  topics: GatewayTopics;
  keys: VerifyingKeys;
  /** epoch ms, from the injected Clock */
  now: number;
  maxSkewMs?: number;
  issuer?: string;
  /** byte limits per type, overriding TOPIC_SPECS */
  maxBytes?: Partial<Record<CloudMessageType, number>>;
}

export type DecodeFailureReason = VerifyFailureReason | 'schema' | 'unknown_topic';

export type DecodedCloudMessage = {
  [T in CloudMessageType]: {
    ok: true;
    type: T;
    message: CloudMessage<T>;
    /** iss, aud, iat, exp, jti, ... (the body is `message`) */
    claims: Omit<EnvelopeClaims, 'msg'>;
    header: EnvelopeHeader;
  };
}[CloudMessageType];

export type DecodeCloudFailure = {
  ok: false;
  reason: DecodeFailureReason;
  detail: string;
  /** the type of the topic, when the topic was one of ours */
  type?: CloudMessageType;
  /** for 'schema': the zod path of the first issue inside the message body */
  path?: IssuePath;
};

export type DecodeCloudResult = DecodedCloudMessage | DecodeCloudFailure;

/** Verifies and validates one message that arrived on `topic`. Never throws on bad input. */
export function decodeCloudMessage(topic: string, bytes: string | Uint8Array, options: DecodeCloudOptions): DecodeCloudResult {
  const { topics } = options;
  const type = topics.cloudTypeOf(topic);
  if (type === null) {
    const parsed = parseTopic(topics.prefix, topic);
    if (parsed !== null && parsed.gatewayId !== topics.gatewayId) {
      return { ok: false, reason: 'wrong_audience', detail: `topic ${topic} belongs to gateway ${parsed.gatewayId}` };
    }
    return { ok: false, reason: 'unknown_topic', detail: `${topic} is not a cloud → gateway topic of ${topics.gatewayId}` };
  }
  const maxBytes = options.maxBytes?.[type] ?? TOPIC_SPECS[type].maxBytes;
  const inflated = inflatePayload(bytes, maxBytes);
  if (!inflated.ok) return { ...inflated, type };
  const verified = verifyEnvelope(inflated.token, {
    keys: options.keys,
    gatewayId: topics.gatewayId,
    expectedType: type,
    now: options.now,
    maxBytes,
    ...(options.maxSkewMs === undefined ? {} : { maxSkewMs: options.maxSkewMs }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
  });
  if (!verified.ok) return { ...verified, type };
  const { msg, ...claims } = verified.payload;
  const body = CLOUD_MESSAGE_SCHEMAS[type].safeParse(msg);
  if (!body.success) {
    const { path, detail } = describe(body.error);
    return { ok: false, reason: 'schema', detail: `${type}: ${detail}`, type, path };
  }
  return { ok: true, type, message: body.data, claims, header: verified.header } as DecodedCloudMessage;
}

/**
 * Validates a body against its type's schema, then signs it as written. For the cloud side
 * (simulator, tests). Throws GatewayError('INPUT_INVALID') naming the path of an invalid body.
 */
export function signCloudMessage<T extends CloudMessageType>(type: T, message: CloudMessageInput<T>, options: Omit<SignOptions, 'type'>): string {
  const parsed = CLOUD_MESSAGE_SCHEMAS[type].safeParse(message);
  if (!parsed.success) {
    const { path, detail } = describe(parsed.error);
    throw new GatewayError('INPUT_INVALID', `${type} message is not valid: ${detail}`, { entity: type, field: path.join('.') });
  }
  return signEnvelope(message, { ...options, type });
}

export interface UnverifiedFields {
  kid?: string;
  jti?: string;
  correlationId?: string;
}

const SHORT = /^[\x21-\x7e]{1,128}$/;
const PEEK_LIMIT = 64 * 1024;

/**
 * Best effort, never throws: the kid, jti and command correlationId of a token that failed
 * verification, for describing the rejection. Never use these to decide anything.
 */
export function peekUnverified(received: string | Uint8Array): UnverifiedFields {
  const out: UnverifiedFields = {};
  const inflated = inflatePayload(received, PEEK_LIMIT);
  if (!inflated.ok) return out;
  const bytes = inflated.token;
  if (bytes.length > PEEK_LIMIT) return out;
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1');
  const [headerPart = '', payloadPart = ''] = text.split('.');
  const read = (part: string): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const header = read(headerPart);
  const payload = read(payloadPart);
  const msg = payload.msg !== null && typeof payload.msg === 'object' ? (payload.msg as Record<string, unknown>) : {};
  const pick = (value: unknown) => (typeof value === 'string' && SHORT.test(value) ? value : undefined);
  const kid = pick(header.kid);
  const jti = pick(payload.jti);
  const correlationId = pick(msg.correlationId);
  if (kid !== undefined) out.kid = kid;
  if (jti !== undefined) out.jti = jti;
  if (correlationId !== undefined) out.correlationId = correlationId;
  return out;
}

// ── gateway → cloud ─────────────────────────────────────────────────────────────────────────

export interface Publication {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

/**
 * The publication of a gateway message: validated, serialised, on its topic with its QoS and
 * retain flag (door_status goes to the topic of its doorId). Throws GatewayError('INPUT_INVALID')
 * for a message that breaks its schema: that is a bug in the caller, not a runtime condition.
 */
export function encodeGatewayMessage<T extends GatewayMessageType>(topics: GatewayTopics, type: T, message: GatewayMessage<T>): Publication {
  const parsed = GATEWAY_MESSAGE_SCHEMAS[type].safeParse(message);
  if (!parsed.success) {
    const { path, detail } = describe(parsed.error);
    throw new GatewayError('INPUT_INVALID', `${type} message is not valid: ${detail}`, { entity: type, field: path.join('.') });
  }
  const spec = TOPIC_SPECS[type];
  const topic = type === 'door_status' ? topics.topic('door_status', (parsed.data as GatewayMessage<'door_status'>).doorId) : topics.topic(type as Exclude<GatewayMessageType, 'door_status'>);
  return { topic, payload: JSON.stringify(parsed.data), qos: spec.qos, retain: spec.retain };
}

export type DecodedGatewayMessage = {
  [T in GatewayMessageType]: { ok: true; type: T; gatewayId: string; doorId?: string; message: GatewayMessage<T> };
}[GatewayMessageType];

export type DecodeGatewayResult =
  | DecodedGatewayMessage
  | { ok: false; reason: 'unknown_topic' | 'too_large' | 'malformed' | 'schema'; detail: string; path?: IssuePath };

/** The cloud side: a gateway message from any gateway under `prefix`. Never throws on bad input. */
export function decodeGatewayMessage(prefix: string, topic: string, bytes: string | Uint8Array): DecodeGatewayResult {
  const parsed = parseTopic(prefix, topic);
  if (parsed === null || TOPIC_SPECS[parsed.type].direction !== 'gateway_to_cloud') {
    return { ok: false, reason: 'unknown_topic', detail: `${topic} is not a gateway → cloud topic under ${prefix}` };
  }
  const type = parsed.type as GatewayMessageType;
  const limit = TOPIC_SPECS[type].maxBytes;
  if (bytes.length > limit) return { ok: false, reason: 'too_large', detail: `${bytes.length} bytes is over the limit of ${limit}` };
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `not JSON: ${(err as Error).message}` };
  }
  const body = GATEWAY_MESSAGE_SCHEMAS[type].safeParse(raw);
  if (!body.success) {
    const { path, detail } = describe(body.error);
    return { ok: false, reason: 'schema', detail: `${type}: ${detail}`, path };
  }
  if (type === 'door_status' && (body.data as GatewayMessage<'door_status'>).doorId !== parsed.doorId) {
    return { ok: false, reason: 'schema', detail: `door_status: doorId does not match the topic's door ${parsed.doorId}`, path: ['doorId'] };
  }
  const doorId = parsed.doorId === undefined ? {} : { doorId: parsed.doorId };
  return { ok: true, type, gatewayId: parsed.gatewayId, ...doorId, message: body.data } as DecodedGatewayMessage;
}

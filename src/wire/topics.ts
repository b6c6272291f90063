/**
 * The topic tree of one gateway: `<prefix>/<gatewayId>/down/<type>` for what the cloud publishes
 * and `<prefix>/<gatewayId>/up/<type>` for what the gateway publishes (door status adds the door
 * id: `up/door_status/<doorId>`). With client id (or username) = gateway id, one pair of broker
 * ACL patterns isolates every gateway:
 *
 *     pattern read  lockgw/%c/down/#
 *     pattern write lockgw/%c/up/#
 *
 * Each topic carries exactly one message type (the `typ` claim of a signed message must name it),
 * with a fixed QoS and retain flag.
 */
import { IdSchema } from '../access/model.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { CloudMessageType, GatewayMessage, MessageType } from './messages.js';

export const DEFAULT_TOPIC_PREFIX = 'lockgw';

export type TopicDirection = 'cloud_to_gateway' | 'gateway_to_cloud';

export interface TopicSpec {
  direction: TopicDirection;
  qos: 0 | 1;
  retain: boolean;
  /** cloud → gateway messages are JWS-signed (signedEnvelope.ts); gateway → cloud are plain JSON */
  signed: boolean;
  /** the largest payload accepted, in bytes, checked before any parsing (cloud → gateway) */
  maxBytes: number;
  /** the topic has a door id segment after the type */
  perDoor: boolean;
  /** one line for docs and logs */
  purpose: string;
}

const MiB = 1024 * 1024;
const KiB = 1024;

const down = (qos: 0 | 1, maxBytes: number, purpose: string): TopicSpec => ({
  direction: 'cloud_to_gateway', qos, retain: false, signed: true, maxBytes, perDoor: false, purpose,
});
const up = (retain: boolean, purpose: string, perDoor = false): TopicSpec => ({
  direction: 'gateway_to_cloud', qos: 1, retain, signed: false, maxBytes: 16 * MiB, perDoor, purpose,
});

export const TOPIC_SPECS = {
  snapshot: down(1, 16 * MiB, 'one chunk of a full state snapshot'),
  delta: down(1, 16 * MiB, 'changes fromVersion → toVersion'),
  heartbeat: down(0, 16 * KiB, "the cloud's current revision and time"),
  command: down(1, 64 * KiB, 'a remote command (unlock, lockdown, resync, status)'),
  events_ack: down(1, 16 * KiB, 'the cloud stored the events up to a seq'),
  state: up(true, 'online/offline (retained; the offline form is the last will)'),
  apply_ack: up(false, 'a delta or complete snapshot was applied: {revision, hash}'),
  apply_failed: up(false, "a change was not applied, by the gateway's own fault (code INTERNAL)"),
  sync_request: up(false, 'what the gateway has and what it is missing'),
  events: up(false, 'a batch of journal events with consecutive seq'),
  command_response: up(false, "a command's result, same correlationId"),
  door_status: up(true, 'the status of one door (retained)', true),
  security_event: up(false, 'a cloud message was rejected'),
} as const satisfies Record<MessageType, TopicSpec>;


const DIRECTION_SEGMENT: Record<TopicDirection, 'down' | 'up'> = { cloud_to_gateway: 'down', gateway_to_cloud: 'up' };

const PREFIX_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Throws GatewayError('CONFIG_INVALID') unless `prefix` is one or more plain topic levels. */
export function validateTopicPrefix(prefix: string, field = 'cloud.topicPrefix'): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new GatewayError('CONFIG_INVALID', `topic prefix "${prefix}" is not valid: use levels of letters, digits and . _ - separated by /, without wildcards, $ or empty levels`, {
      field,
      hint: `e.g. "${DEFAULT_TOPIC_PREFIX}" or "acme/prod/lockgw"`,
    });
  }
}

/** Throws GatewayError('CONFIG_INVALID') unless `id` can be a gateway id (and so one topic level). */
function validateId(id: string, what: string, field: string): void {
  const parsed = IdSchema.safeParse(id);
  if (!parsed.success) {
    throw new GatewayError('CONFIG_INVALID', `${what} "${id}" ${parsed.error.issues[0]?.message ?? 'is not valid'}`, { field });
  }
}

export interface ParsedTopic {
  gatewayId: string;
  type: MessageType;
  /** for door_status */
  doorId?: string;
}

/**
 * Parses a topic of any gateway under `prefix` (the cloud's side, and the gateway's check of
 * where a message arrived). Null for anything that is not exactly one of the contract's topics.
 */
export function parseTopic(prefix: string, topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const levels = topic.slice(prefix.length + 1).split('/');
  const [gatewayId, direction, type, doorId, ...rest] = levels;
  if (gatewayId === undefined || direction === undefined || type === undefined || rest.length > 0) return null;
  if (!Object.hasOwn(TOPIC_SPECS, type)) return null;
  const spec = TOPIC_SPECS[type as MessageType];
  if (DIRECTION_SEGMENT[spec.direction] !== direction) return null;
  if (!IdSchema.safeParse(gatewayId).success) return null;
  if (spec.perDoor) {
    if (doorId === undefined || !IdSchema.safeParse(doorId).success) return null;
    return { gatewayId, type: type as MessageType, doorId };
  }
  return doorId === undefined ? { gatewayId, type: type as MessageType } : null;
}

/** The topics of one gateway. Validates prefix and gateway id once (CONFIG_INVALID). */
export class GatewayTopics {
  readonly prefix: string;
  readonly gatewayId: string;
  /** `<prefix>/<gatewayId>` */
  readonly base: string;

  constructor(prefix: string, gatewayId: string) {
    validateTopicPrefix(prefix);
    validateId(gatewayId, 'gateway id', 'gateway.id');
    this.prefix = prefix;
    this.gatewayId = gatewayId;
    this.base = `${prefix}/${gatewayId}`;
  }

  /** The topic of a message type; door_status needs the door id. */
  topic(type: Exclude<MessageType, 'door_status'>): string;
  topic(type: 'door_status', doorId: string): string;
  topic(type: MessageType, doorId?: string): string {
    const spec = TOPIC_SPECS[type];
    const topic = `${this.base}/${DIRECTION_SEGMENT[spec.direction]}/${type}`;
    if (!spec.perDoor) return topic;
    if (doorId === undefined) throw new GatewayError('INPUT_INVALID', `the ${type} topic needs a door id`, { field: 'doorId' });
    validateId(doorId, 'door id', 'doorId');
    return `${topic}/${doorId}`;
  }

  /** What the gateway subscribes to: every cloud → gateway topic, with its QoS. */
  subscriptions(): Array<{ topic: string; qos: 0 | 1 }> {
    return (Object.keys(TOPIC_SPECS) as MessageType[])
      .filter((type) => TOPIC_SPECS[type].direction === 'cloud_to_gateway')
      .map((type) => ({ topic: this.topic(type as CloudMessageType), qos: TOPIC_SPECS[type].qos }));
  }

  /** The cloud message type of a topic of this gateway; null for any other topic. */
  cloudTypeOf(topic: string): CloudMessageType | null {
    const parsed = parseTopic(this.prefix, topic);
    if (parsed === null || parsed.gatewayId !== this.gatewayId) return null;
    return TOPIC_SPECS[parsed.type].direction === 'cloud_to_gateway' ? (parsed.type as CloudMessageType) : null;
  }

  /** The last will: retained offline state, set at connect time. */
  lastWill(): { topic: string; payload: string; qos: 1; retain: true } {
    const payload: GatewayMessage<'state'> = { status: 'offline', reason: 'connection_lost' };
    return { topic: this.topic('state'), payload: JSON.stringify(payload), qos: 1, retain: true };
  }
}

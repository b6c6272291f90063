/**
 * The worked examples of docs/mqtt.md: one message of every type, on a small site, with real
 * tokens signed by a THROWAWAY key derived from a public seed (Ed25519 signatures are
 * deterministic, so the tokens are reproducible byte for byte). The hashes are computed by the
 * gateway's own store and index compiler. test/wire/messages.test.ts checks that the document
 * shows exactly these tokens and that they verify and decode.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { compileIndex } from '../src/access/compileIndex.js';
import { EMPTY_STATE_HASH } from '../src/access/contentHash.js';
import { createPinHasher } from '../src/access/pinDigest.js';
import { signCloudMessage } from '../src/wire/cloudMessageCodec.js';
import { publicJwk, type PublicJwk } from '../src/wire/keys.js';
import type { CloudMessageInput, CloudMessageType, GatewayMessage, GatewayMessageType } from '../src/wire/messages.js';
import { GatewayTopics, TOPIC_SPECS } from '../src/wire/topics.js';
import { AccessStore } from '../src/store/accessStore.js';
import { openDatabase } from '../src/store/database.js';

export const EXAMPLE_NOW = Date.parse('2026-11-20T10:00:00Z');
export const EXAMPLE_GATEWAY = 'gw-0042';
export const EXAMPLE_ISSUER = 'portal.example.com';
export const EXAMPLE_KID = 'example-2026-11';
export const EXAMPLE_SEED_HEX = createHash('sha256').update('lockgw example key: public, never use it').digest('hex');

/** PKCS#8 DER of an Ed25519 private key is a fixed 16-byte prefix and the 32-byte seed. */
export function exampleKey(): { privateKey: KeyObject; publicKey: KeyObject; jwk: PublicJwk } {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(EXAMPLE_SEED_HEX, 'hex')]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, jwk: publicJwk(EXAMPLE_KID, publicKey) };
}

const up = (entity: string, record: Record<string, unknown>) => ({ op: 'upsert' as const, entity, record });

/** Version 1 in two chunks: the building, then its people and credentials. */
export const SNAPSHOT_CHUNKS = [
  [
    up('site', { id: 'site-berlin-1', name: 'Linden Apartments', timeZone: 'Europe/Berlin' }),
    up('door', { id: 'front', name: 'Front door', place: 'Building A' }),
    up('door', { id: 'gym', name: 'Gym', place: 'Amenities' }),
    up('holiday', { date: '2026-12-25', type: 1, name: 'Christmas Day' }),
    up('schedule', { id: 'gym-hours', name: 'Gym hours', intervals: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '22:00' }, { days: ['sat', 'sun'], start: '08:00', end: '20:00' }] }),
    up('key', { id: 'k-resident', name: 'Resident', mayShare: true, doors: [{ doorId: 'front' }, { doorId: 'gym', scheduleIds: ['gym-hours'] }] }),
  ],
  [
    up('person', { id: 'p-ann', name: 'Ann Example', kind: 'resident' }),
    up('holding', { personId: 'p-ann', keyId: 'k-resident', validUntil: '2027-06-30T23:59:59+02:00' }),
    up('credential', { id: 'c-ann-card', personId: 'p-ann', kind: 'card', card: '26:12:34567' }),
    up('credential', { id: 'c-ann-pin', personId: 'p-ann', kind: 'pin', pin: '482913' }),
  ],
];

/** Version 1 → 2: Ann's guest for the weekend, with a one-time PIN; Ann's card is lost. */
export const DELTA_OPERATIONS = [
  up('person', { id: 'p-guest-7', name: 'Guest of Ann', kind: 'guest', hostId: 'p-ann' }),
  up('holding', { personId: 'p-guest-7', keyId: 'k-resident', validFrom: '2026-11-21T12:00:00+01:00', validUntil: '2026-11-23T12:00:00+01:00' }),
  up('credential', { id: 'c-guest-7-pin', personId: 'p-guest-7', kind: 'pin', pin: '7351', useLimit: 1 }),
  { op: 'delete' as const, entity: 'credential', id: 'c-ann-card' },
];

/** The content hashes of version 1 and 2, computed the way the gateway computes them. */
export function exampleHashes(): { v1: string; v2: string } {
  const db = openDatabase(':memory:');
  try {
    // PIN digests are not part of the content hash, so any device secret gives the same hashes.
    const store = new AccessStore(db, createPinHasher(Buffer.alloc(32, 1)));
    store.applyBatch(SNAPSHOT_CHUNKS.flat(), { source: 'cloud', revision: 1 });
    const v1 = store.snapshot(compileIndex).hash;
    store.applyBatch(DELTA_OPERATIONS, { source: 'cloud', revision: 2 });
    const v2 = store.snapshot(compileIndex).hash;
    return { v1, v2 };
  } finally {
    db.close();
  }
}

export interface CloudExample {
  title: string;
  direction: 'cloud_to_gateway';
  type: CloudMessageType;
  topic: string;
  message: unknown;
  claims: Record<string, unknown>;
  token: string;
}

export interface GatewayExample {
  title: string;
  direction: 'gateway_to_cloud';
  type: GatewayMessageType;
  topic: string;
  message: unknown;
}

export type Example = CloudExample | GatewayExample;

export function mqttExamples(): Example[] {
  const { privateKey } = exampleKey();
  const topics = new GatewayTopics('lockgw', EXAMPLE_GATEWAY);
  const { v1, v2 } = exampleHashes();
  let n = 0;

  const cloud = <T extends CloudMessageType>(title: string, type: T, message: CloudMessageInput<T>, ttlMs: number): CloudExample => {
    n += 1;
    const jti = `msg-0000${n}`;
    const token = signCloudMessage(type, message, { kid: EXAMPLE_KID, privateKey, issuer: EXAMPLE_ISSUER, audience: EXAMPLE_GATEWAY, now: EXAMPLE_NOW, ttlMs, jti });
    const iat = Math.floor(EXAMPLE_NOW / 1000);
    const claims = { iss: EXAMPLE_ISSUER, aud: EXAMPLE_GATEWAY, iat, exp: Math.floor((EXAMPLE_NOW + ttlMs) / 1000), jti, typ: type, msg: message };
    return { title, direction: 'cloud_to_gateway', type, topic: topics.topic(type), message, claims, token };
  };
  const gateway = <T extends GatewayMessageType>(title: string, type: T, message: GatewayMessage<T>, doorId?: string): GatewayExample => ({
    title,
    direction: 'gateway_to_cloud',
    type,
    topic: type === 'door_status' ? topics.topic('door_status', doorId!) : topics.topic(type as Exclude<GatewayMessageType, 'door_status'>),
    message,
  });

  const DAY = 86_400_000;
  const MONTH = 30 * DAY;
  return [
    gateway('The gateway comes online', 'state', { status: 'online', reason: 'connected', at: EXAMPLE_NOW, revision: 0, hash: EMPTY_STATE_HASH, software: '0.1.0' }),
    gateway('Its last will (set at connect; the broker publishes it if the gateway vanishes)', 'state', { status: 'offline', reason: 'connection_lost' }),
    gateway('Never synced: it asks for a snapshot', 'sync_request', {
      transaction: 'tx-boot-1', revision: 0, hash: EMPTY_STATE_HASH, reason: 'startup', want: { kind: 'snapshot' },
    }),
    cloud('Snapshot of version 1, chunk 1 of 2', 'snapshot', { version: 1, snapshotId: 'snap-v1-a', chunkIndex: 0, chunkCount: 2, hash: v1, operations: SNAPSHOT_CHUNKS[0]!, transaction: 'tx-boot-1' } as CloudMessageInput<'snapshot'>, MONTH),
    cloud('Snapshot of version 1, chunk 2 of 2', 'snapshot', { version: 1, snapshotId: 'snap-v1-a', chunkIndex: 1, chunkCount: 2, hash: v1, operations: SNAPSHOT_CHUNKS[1]!, transaction: 'tx-boot-1' } as CloudMessageInput<'snapshot'>, MONTH),
    gateway('Both chunks verified and applied: the gateway runs version 1', 'apply_ack', { revision: 1, hash: v1, duplicate: false, inReplyTo: 'msg-00002', snapshotId: 'snap-v1-a' }),
    cloud('Delta 1 → 2 (a guest with a one-time PIN; a lost card removed)', 'delta', { fromVersion: 1, toVersion: 2, hash: v2, operations: DELTA_OPERATIONS } as CloudMessageInput<'delta'>, MONTH),
    gateway('Delta applied', 'apply_ack', { revision: 2, hash: v2, duplicate: false, inReplyTo: 'msg-00003' }),
    gateway('A delta the gateway could not apply because of a bug of its own: it keeps revision 2 and asks for nothing', 'apply_failed', {
      revision: 2, hash: v2, code: 'INTERNAL', detail: "delta 2→3 was not applied: TypeError: Cannot read properties of undefined (reading 'id')", inReplyTo: 'msg-x7',
    }),
    gateway('A delta 3 → 4 arrived while the gateway runs 2: it asks for what it is missing', 'sync_request', {
      transaction: 'tx-gap-9', revision: 2, hash: v2, reason: 'gap', want: { kind: 'delta', fromVersion: 2, toVersion: 4 },
    }),
    cloud('Heartbeat', 'heartbeat', { revision: 2, hash: v2, time: EXAMPLE_NOW }, 2 * 60_000),
    gateway('Events (Ann opens the front door; the guest tries the gym too early)', 'events', {
      journalId: 'j-5f0c2a',
      events: [
        { seq: 118, type: 'access', at: EXAMPLE_NOW - 5_000, doorId: 'front', grant: true, reason: 'granted', personId: 'p-ann', credentialId: 'c-ann-pin', keyId: 'k-resident' },
        { seq: 119, type: 'access', at: EXAMPLE_NOW - 2_000, doorId: 'gym', grant: false, reason: 'not_yet_valid', personId: 'p-guest-7', credentialId: 'c-guest-7-pin' },
        { seq: 120, type: 'alarm', at: EXAMPLE_NOW - 1_000, doorId: 'gym', reason: 'held_open', data: { openForMs: 60_000 } },
      ],
    }),
    cloud('The cloud stored them', 'events_ack', { journalId: 'j-5f0c2a', uptoSeq: 120 }, MONTH),
    gateway('After a long outage the full journal evicted 121–180: the next batch says so', 'events', {
      journalId: 'j-5f0c2a',
      skipped: { fromSeq: 121, toSeq: 180 },
      events: [{ seq: 181, type: 'alarm', at: EXAMPLE_NOW + DAY, reason: 'events_dropped', data: { dropped: 60, totalDropped: 60 } }],
    }),
    cloud('Command: unlock the front door for 10 s', 'command', { correlationId: 'cmd-77', name: 'unlock', doorId: 'front', seconds: 10 }, 60_000),
    gateway('Its response', 'command_response', { correlationId: 'cmd-77', result: 'ok', message: 'front unlocked for 10 s' }),
    cloud('Command: lock down the whole site', 'command', { correlationId: 'cmd-78', name: 'lockdown', active: true, scope: 'site' }, 60_000),
    cloud('Command: end the lockdown of one door', 'command', { correlationId: 'cmd-79', name: 'lockdown', active: false, scope: 'door', doorId: 'gym' }, 60_000),
    cloud('Command: full resync', 'command', { correlationId: 'cmd-80', name: 'resync' }, 60_000),
    cloud('Command: status', 'command', { correlationId: 'cmd-81', name: 'status' }, 60_000),
    gateway('A rejected command (unknown door)', 'command_response', { correlationId: 'cmd-82', result: 'unknown_door', message: 'door "roof" is not configured on this gateway' }),
    gateway('Door status (retained, per door)', 'door_status', {
      doorId: 'front', at: EXAMPLE_NOW, mode: 'normal', actuator: 'locked', open: false, alarms: [],
      health: { state: 'online', reason: 'ok', since: EXAMPLE_NOW - DAY },
      devices: { 'front-reader': { state: 'online', reason: 'ok', since: EXAMPLE_NOW - DAY }, 'front-strike': { state: 'online', reason: 'ok', since: EXAMPLE_NOW - DAY } },
    }, 'front'),
    gateway('Security event: a message signed with an unknown key', 'security_event', {
      at: EXAMPLE_NOW, reason: 'unknown_key', topic: `lockgw/${EXAMPLE_GATEWAY}/down/delta`, detail: 'kid "cloud-1999" is not a configured cloud key', kid: 'cloud-1999', jti: 'msg-x1',
    }),
  ];
}

/** Pretty JSON where every object or array that fits in `width` characters stays on one line. */
function json(value: unknown, indent = '', width = 100): string {
  const flat = JSON.stringify(value);
  if (flat.length + indent.length <= width || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => `${inner}${json(v, inner, width)}`).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${json(v, inner, width)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

/** Markdown for docs/mqtt.md: one section per example, the token in full. */
export function renderExamples(examples: Example[]): string {
  const { jwk } = exampleKey();
  const out: string[] = [
    'All tokens below are real: signed with a **throwaway** key that is public and must never be',
    'configured anywhere but a test. Ed25519 is deterministic, so the same claims (serialised in the',
    'same order) give the same token byte for byte: use them as test vectors.',
    '',
    `- seed (hex, the 32-byte private key): \`${EXAMPLE_SEED_HEX}\``,
    `- public key as configured on the gateway: \`${JSON.stringify(jwk)}\``,
    `- gateway \`${EXAMPLE_GATEWAY}\`, prefix \`lockgw\`, issuer \`${EXAMPLE_ISSUER}\`, time ${new Date(EXAMPLE_NOW).toISOString()}`,
    '',
  ];
  for (const e of examples) {
    const spec = TOPIC_SPECS[e.type];
    out.push(`### ${e.title}`, '');
    out.push(`\`${e.topic}\` — QoS ${spec.qos}${spec.retain ? ', retained' : ''}`, '');
    if (e.direction === 'cloud_to_gateway') {
      out.push('JWS payload (claims):', '', '```json', json(e.claims), '```', '', 'The MQTT payload (the token):', '', '```', e.token, '```', '');
    } else {
      out.push('```json', json(e.message), '```', '');
    }
  }
  return `${out.join('\n')}`;
}

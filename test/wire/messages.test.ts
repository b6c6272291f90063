import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { parseCardNumber } from '../../src/kernel/cardNumber.js';
import {
  decodeCloudMessage,
  decodeGatewayMessage,
  encodeGatewayMessage,
  peekUnverified,
  signCloudMessage,
  type DecodeCloudResult,
  type DecodeFailureReason,
} from '../../src/wire/cloudMessageCodec.js';
import { generateSigningKeyPair, loadCloudKeys } from '../../src/wire/keys.js';
import { BatchOpSchema, CLOUD_MESSAGE_TYPES, GATEWAY_MESSAGE_TYPES, JournalEntrySchema, type CloudMessageType, type GatewayMessage } from '../../src/wire/messages.js';
import { signEnvelope } from '../../src/wire/signedEnvelope.js';
import { GatewayTopics, parseTopic, TOPIC_SPECS, validateTopicPrefix } from '../../src/wire/topics.js';
import { parseBatchOp } from '../../src/store/batchOp.js';
import { decodeRow, encodeEvent } from '../../src/journal/journalCodec.js';
import { main as genSchemas, mqttJsonSchemas, staleSchemaFiles } from '../../scripts/gen-mqtt-schemas.js';
import {
  DELTA_OPERATIONS,
  EXAMPLE_GATEWAY,
  EXAMPLE_NOW,
  exampleHashes,
  exampleKey,
  mqttExamples,
  renderExamples,
  SNAPSHOT_CHUNKS,
  type CloudExample,
} from '../../scripts/mqttExamples.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NOW = Date.parse('2026-11-20T10:00:00Z');
const GW = 'gw-17';
const cloudKey = generateSigningKeyPair('cloud-1');
const keys = loadCloudKeys([cloudKey.publicJwk]);
const topics = new GatewayTopics('acme/prod/lockgw', GW);
const HASH = 'cd'.repeat(32);

function token(type: string, msg: unknown, extra: { audience?: string } = {}): string {
  return signEnvelope(msg, { kid: 'cloud-1', privateKey: cloudKey.privateKey, issuer: 'portal', audience: extra.audience ?? GW, type, now: NOW });
}

function decode(type: CloudMessageType, msg: unknown, topic = topics.topic(type)): DecodeCloudResult {
  return decodeCloudMessage(topic, token(type, msg), { topics, keys, now: NOW });
}

function refused(t: Test, r: DecodeCloudResult, reason: DecodeFailureReason, path?: Array<string | number>, detail?: RegExp): void {
  if (r.ok) return void t.fail(`expected ${reason}, got ${r.type}`);
  t.equal(r.reason, reason, r.detail);
  if (path) t.same(r.path, path, `path ${path.join('.')}`);
  if (detail) t.match(r.detail, detail);
}

// ── topics ──────────────────────────────────────────────────────────────────────────────────

t.test('every gateway has its own topic tree under the prefix: down for the cloud, up for the gateway', async (t) => {
  t.equal(topics.topic('delta'), 'acme/prod/lockgw/gw-17/down/delta');
  t.equal(topics.topic('events'), 'acme/prod/lockgw/gw-17/up/events');
  t.equal(topics.topic('door_status', 'front'), 'acme/prod/lockgw/gw-17/up/door_status/front');
  t.same(topics.subscriptions(), [
    { topic: 'acme/prod/lockgw/gw-17/down/snapshot', qos: 1 },
    { topic: 'acme/prod/lockgw/gw-17/down/delta', qos: 1 },
    { topic: 'acme/prod/lockgw/gw-17/down/heartbeat', qos: 0 },
    { topic: 'acme/prod/lockgw/gw-17/down/command', qos: 1 },
    { topic: 'acme/prod/lockgw/gw-17/down/events_ack', qos: 1 },
  ]);
  t.same(topics.lastWill(), { topic: 'acme/prod/lockgw/gw-17/up/state', payload: '{"status":"offline","reason":"connection_lost"}', qos: 1, retain: true });
  t.same(
    Object.entries(TOPIC_SPECS).filter(([, s]) => s.retain).map(([type]) => type),
    ['state', 'door_status'],
    'only state and door status are retained',
  );
  t.ok(Object.values(TOPIC_SPECS).every((s) => s.signed === (s.direction === 'cloud_to_gateway')), 'everything the cloud sends is signed');
});

t.test('topics are parsed strictly: prefix, gateway, direction, type, door', async (t) => {
  const p = 'acme/prod/lockgw';
  t.same(parseTopic(p, `${p}/gw-17/down/delta`), { gatewayId: 'gw-17', type: 'delta' });
  t.same(parseTopic(p, `${p}/gw-9/up/door_status/gym`), { gatewayId: 'gw-9', type: 'door_status', doorId: 'gym' });
  for (const bad of [
    'other/gw-17/down/delta',
    `${p}/gw-17/up/delta`,
    `${p}/gw-17/down/state`,
    `${p}/gw-17/down/nope`,
    `${p}/gw-17/down/delta/extra`,
    `${p}/gw-17/down`,
    `${p}/gw 17/down/delta`,
    `${p}/gw-17/up/door_status`,
    `${p}/gw-17/up/door_status/a b`,
    `${p}/gw-17/up/door_status/gym/x`,
    `${p}/gw-17/down/toString`,
  ]) {
    t.equal(parseTopic(p, bad), null, bad);
  }
  t.equal(topics.cloudTypeOf(`${p}/gw-17/down/command`), 'command');
  t.equal(topics.cloudTypeOf(`${p}/gw-18/down/command`), null);
  t.equal(topics.cloudTypeOf(`${p}/gw-17/up/events`), null);
});

t.test('a bad prefix or gateway id is a config error; a door topic needs a door id', async (t) => {
  for (const prefix of ['', '/lockgw', 'lockgw/', 'a//b', 'lock+gw', 'lock#', '$SYS', 'a b']) {
    t.throws(() => validateTopicPrefix(prefix), { code: 'CONFIG_INVALID' }, JSON.stringify(prefix));
  }
  t.throws(() => new GatewayTopics('lockgw', 'gw/1'), { code: 'CONFIG_INVALID', details: { field: 'gateway.id' } });
  t.throws(() => new GatewayTopics('lockgw', '+'), { code: 'CONFIG_INVALID' });
  t.throws(() => (topics.topic as (type: string) => string)('door_status'), { code: 'INPUT_INVALID' });
  t.throws(() => topics.topic('door_status', 'a/b'), { code: 'CONFIG_INVALID', details: { field: 'doorId' } });
});

// ── cloud → gateway ─────────────────────────────────────────────────────────────────────────

t.test('a signed delta decodes into the store’s batch operations (defaults filled, instants in ms)', async (t) => {
  const r = decode('delta', { fromVersion: 1, toVersion: 2, hash: HASH, operations: DELTA_OPERATIONS });
  if (!r.ok || r.type !== 'delta') return void t.fail(JSON.stringify(r));
  t.equal(r.message.toVersion, 2);
  t.same(r.message.operations[1], { op: 'upsert', entity: 'holding', record: { personId: 'p-guest-7', keyId: 'k-resident', validFrom: Date.parse('2026-11-21T11:00:00Z'), validUntil: Date.parse('2026-11-23T11:00:00Z') } });
  t.match(r.message.operations[2], { record: { kind: 'pin', pin: '7351', status: 'active', duress: false, useLimit: 1 } });
  t.same(r.message.operations[3], { op: 'delete', entity: 'credential', id: 'c-ann-card' });
  t.match(r.claims, { iss: 'portal', aud: GW, typ: 'delta' });
  t.notOk('msg' in r.claims, 'the body is in message, not in claims');
  t.equal(r.header.kid, 'cloud-1');
});

t.test('every kind of cloud message decodes', async (t) => {
  const ops = SNAPSHOT_CHUNKS[0]!;
  const cases: Array<[CloudMessageType, unknown]> = [
    ['snapshot', { version: 3, snapshotId: 's-3', chunkIndex: 0, chunkCount: 1, hash: HASH, operations: ops }],
    ['heartbeat', { revision: 3, time: NOW }],
    ['command', { correlationId: 'c1', name: 'unlock', doorId: 'front', seconds: 5 }],
    ['command', { correlationId: 'c2', name: 'lockdown', active: true, scope: 'site' }],
    ['command', { correlationId: 'c3', name: 'lockdown', active: false, scope: 'door', doorId: 'gym' }],
    ['command', { correlationId: 'c4', name: 'resync' }],
    ['command', { correlationId: 'c5', name: 'status' }],
    ['events_ack', { journalId: 'j-1', uptoSeq: 0 }],
  ];
  for (const [type, msg] of cases) {
    const r = decode(type, msg);
    t.ok(r.ok, `${type} ${JSON.stringify(msg).slice(0, 60)}${r.ok ? '' : `: ${r.detail}`}`);
  }
  t.same(CLOUD_MESSAGE_TYPES, ['snapshot', 'delta', 'heartbeat', 'command', 'events_ack']);
});

t.test('a schema rejection names the path of the first problem', async (t) => {
  const pin = { op: 'upsert', entity: 'credential', record: { id: 'c1', personId: 'p1', kind: 'pin', pin: '12' } };
  refused(t, decode('delta', { fromVersion: 1, toVersion: 2, hash: HASH, operations: [DELTA_OPERATIONS[0], pin] }), 'schema', ['operations', 1, 'record', 'pin'], /operations\.1\.record\.pin: a PIN is 4 to 8 digits/);
  refused(t, decode('delta', { fromVersion: 2, toVersion: 2, hash: HASH, operations: [] }), 'schema', ['toVersion'], /greater than fromVersion/);
  refused(t, decode('delta', { fromVersion: 1, toVersion: 2, hash: 'ABC', operations: [] }), 'schema', ['hash']);
  refused(t, decode('delta', { fromVersion: 1, toVersion: 2, hash: HASH, operations: [{ op: 'upsert', entity: 'elevator', record: {} }] }), 'schema', ['operations', 0, 'entity']);
  refused(t, decode('delta', { fromVersion: 1, toVersion: 2, hash: HASH, operations: [{ op: 'delete', entity: 'holding', personId: 'p1' }] }), 'schema', ['operations', 0, 'keyId']);
  refused(t, decode('delta', { fromVersion: 1, toVersion: 2, hash: HASH, operations: [], extra: true }), 'schema', [], /Unrecognized key/);
  const snapshot = { version: 3, snapshotId: 's-3', chunkIndex: 0, chunkCount: 1, hash: HASH, operations: [] as unknown[] };
  refused(t, decode('snapshot', { ...snapshot, chunkIndex: 1 }), 'schema', ['chunkIndex'], /less than chunkCount/);
  refused(t, decode('snapshot', { ...snapshot, operations: [{ op: 'delete', entity: 'door', id: 'x' }] }), 'schema', ['operations', 0, 'op'], /upsert/);
  refused(t, decode('snapshot', { ...snapshot, version: 0 }), 'schema', ['version']);
  refused(t, decode('command', { correlationId: 'c1', name: 'selfdestruct' }), 'schema', ['name']);
  refused(t, decode('command', { correlationId: 'c1', name: 'lockdown', active: true, scope: 'door' }), 'schema', ['doorId'], /required when scope is "door"/);
  refused(t, decode('command', { correlationId: 'c1', name: 'lockdown', active: true, scope: 'site', doorId: 'gym' }), 'schema', ['doorId'], /absent/);
  refused(t, decode('command', { correlationId: 'c1', name: 'unlock', doorId: 'front', seconds: 0 }), 'schema', ['seconds']);
  refused(t, decode('heartbeat', null), 'schema', []);
});

t.test('where a message arrived matters: topic type, gateway, size', async (t) => {
  const delta = { fromVersion: 1, toVersion: 2, hash: HASH, operations: [] };
  refused(t, decodeCloudMessage(topics.topic('command'), token('delta', delta), { topics, keys, now: NOW }), 'wrong_type');
  refused(t, decodeCloudMessage('acme/prod/lockgw/gw-18/down/delta', token('delta', delta, { audience: 'gw-18' }), { topics, keys, now: NOW }), 'wrong_audience', undefined, /belongs to gateway gw-18/);
  refused(t, decodeCloudMessage(topics.topic('delta'), token('delta', delta, { audience: 'gw-18' }), { topics, keys, now: NOW }), 'wrong_audience');
  refused(t, decodeCloudMessage(topics.topic('events'), token('delta', delta), { topics, keys, now: NOW }), 'unknown_topic');
  refused(t, decodeCloudMessage('elsewhere/x', token('delta', delta), { topics, keys, now: NOW }), 'unknown_topic');
  const bigHeartbeat = token('heartbeat', { revision: 1, time: NOW, padding: 'x'.repeat(20_000) });
  const r = decodeCloudMessage(topics.topic('heartbeat'), bigHeartbeat, { topics, keys, now: NOW });
  refused(t, r, 'too_large', undefined, /over the limit of 16384/);
  if (!r.ok) t.equal(r.type, 'heartbeat');
  refused(t, decodeCloudMessage(topics.topic('delta'), token('delta', delta), { topics, keys, now: NOW, maxBytes: { delta: 100 } }), 'too_large');
  refused(t, decodeCloudMessage(topics.topic('delta'), token('delta', delta), { topics, keys, now: NOW, issuer: 'other' }), 'wrong_issuer');
  refused(t, decodeCloudMessage(topics.topic('delta'), token('delta', delta), { topics, keys, now: NOW + 3_600_000, maxSkewMs: 0 }), 'expired');
  t.ok(decodeCloudMessage(topics.topic('delta'), token('delta', delta), { topics, keys, now: NOW, issuer: 'portal', maxSkewMs: 0 }).ok);
});

t.test('a gzip-compressed message decodes like the token it carries, and is verified just the same', async (t) => {
  const delta = { fromVersion: 1, toVersion: 2, hash: HASH, operations: [{ op: 'delete', entity: 'person', id: 'p-1' }] };
  const signed = token('delta', delta);
  const plain = decodeCloudMessage(topics.topic('delta'), signed, { topics, keys, now: NOW });
  const zipped = decodeCloudMessage(topics.topic('delta'), gzipSync(signed), { topics, keys, now: NOW });
  t.ok(zipped.ok);
  t.same(zipped, plain, 'the same message, claims and header');
  // compression is transport only: what is inside must still verify
  const [header, payload] = signed.split('.');
  const forged = `${header}.${payload}.${Buffer.alloc(64, 7).toString('base64url')}`;
  refused(t, decodeCloudMessage(topics.topic('delta'), gzipSync(forged), { topics, keys, now: NOW }), 'bad_signature');
  refused(t, decodeCloudMessage(topics.topic('delta'), gzipSync(`${header}.${payload}.`), { topics, keys, now: NOW }), 'unsigned');
  refused(t, decodeCloudMessage(topics.topic('delta'), gzipSync(signed), { topics, keys, now: NOW, maxBytes: { delta: 400 } }), 'too_large', undefined, /inflates to more than the limit of 400 bytes/);
  const broken = decodeCloudMessage(topics.topic('delta'), Buffer.from([0x1f, 0x8b, 0, 0]), { topics, keys, now: NOW });
  refused(t, broken, 'malformed', undefined, /not a valid gzip payload/);
  if (!broken.ok) t.equal(broken.type, 'delta');
  t.same(peekUnverified(gzipSync(token('command', { correlationId: 'cmd-7', name: 'x' }))).correlationId, 'cmd-7', 'a refused compressed command is still answered by its correlation id');
  t.same(peekUnverified(gzipSync(Buffer.alloc(1024 * 1024))), {}, 'peeking inflates no more than it reads');
});

t.test('signCloudMessage signs only valid bodies', async (t) => {
  const options = { kid: 'cloud-1', privateKey: cloudKey.privateKey, issuer: 'portal', audience: GW, now: NOW };
  const good = signCloudMessage('events_ack', { journalId: 'j-1', uptoSeq: 5 }, options);
  t.ok(decodeCloudMessage(topics.topic('events_ack'), good, { topics, keys, now: NOW }).ok);
  t.throws(() => signCloudMessage('events_ack', { journalId: 'j-1', uptoSeq: -1 }, options), { code: 'INPUT_INVALID', details: { entity: 'events_ack', field: 'uptoSeq' } });
});

t.test('peekUnverified reads kid, jti and correlation id for describing a rejection, and nothing else', async (t) => {
  const cmd = token('command', { correlationId: 'cmd-9', name: 'selfdestruct' });
  t.same(peekUnverified(cmd), { kid: 'cloud-1', jti: peekUnverified(cmd).jti, correlationId: 'cmd-9' });
  t.match(peekUnverified(Buffer.from(cmd)).jti, /^[0-9a-f-]{36}$/);
  t.same(peekUnverified('garbage'), {});
  t.same(peekUnverified('x'.repeat(70_000)), {});
  const weird = `${Buffer.from('{"kid":"a\\nb"}').toString('base64url')}.${Buffer.from('[1]').toString('base64url')}.`;
  t.same(peekUnverified(weird), {}, 'control characters and non-objects are ignored');
});

t.test('the wire operation schema accepts and produces exactly what the store’s batch parser does', async (t) => {
  const ops = [...SNAPSHOT_CHUNKS.flat(), ...DELTA_OPERATIONS,
    { op: 'upsert', entity: 'credential', record: { id: 'c-f', personId: 'p', kind: 'fingerprint', readerId: 'r1', slot: 3 } },
    { op: 'upsert', entity: 'credential', record: { id: 'c-m', personId: 'p', kind: 'mobile', mobileKeyId: 'm-1', publicKey: 'AAAAAAAAAAAAAAAAAAAA' } },
    { op: 'delete', entity: 'holiday', date: '2026-12-25' },
    { op: 'delete', entity: 'holding', personId: 'p', keyId: 'k' },
    { op: 'delete', entity: 'site', id: 's' },
  ];
  ops.forEach((op, i) => t.same(BatchOpSchema.parse(op), parseBatchOp(op, i), `${op.op} ${op.entity}`));
  const invalid = [
    { op: 'merge', entity: 'door', record: {} },
    { op: 'upsert', entity: 'door', record: { id: 'a b', name: 'x' } },
    { op: 'upsert', entity: 'credential', record: { id: 'c', personId: 'p', kind: 'card', card: 'not-a-card' } },
    { op: 'delete', entity: 'door' },
    { op: 'delete', entity: 'holiday', date: '2026-02-30' },
  ];
  for (const op of invalid) {
    t.notOk(BatchOpSchema.safeParse(op).success, `wire rejects ${JSON.stringify(op)}`);
    t.throws(() => parseBatchOp(op, 0), { name: 'GatewayError' }, 'and so does the store');
  }
});

// ── gateway → cloud ─────────────────────────────────────────────────────────────────────────

const doorStatus: GatewayMessage<'door_status'> = {
  doorId: 'front', at: NOW, mode: 'lockdown', actuator: 'locked', alarms: ['forced_open'],
  health: { state: 'degraded', reason: 'reader offline', since: NOW }, devices: { reader: { state: 'offline', reason: 'no heartbeat', since: NOW } },
};

t.test('gateway messages are published on their topic with their QoS and retain flag', async (t) => {
  t.same(encodeGatewayMessage(topics, 'state', { status: 'online', reason: 'connected', at: NOW, revision: 2, hash: HASH }), {
    topic: 'acme/prod/lockgw/gw-17/up/state', payload: `{"status":"online","reason":"connected","at":${NOW},"revision":2,"hash":"${HASH}"}`, qos: 1, retain: true,
  });
  const door = encodeGatewayMessage(topics, 'door_status', doorStatus);
  t.equal(door.topic, 'acme/prod/lockgw/gw-17/up/door_status/front');
  t.equal(door.retain, true);
  const events = encodeGatewayMessage(topics, 'events', { journalId: 'j-1', events: [{ seq: 7, type: 'access', at: NOW, grant: true }] });
  t.match(events, { topic: 'acme/prod/lockgw/gw-17/up/events', qos: 1, retain: false });
  t.throws(() => encodeGatewayMessage(topics, 'apply_ack', { revision: 1, hash: 'nope', duplicate: false }), { code: 'INPUT_INVALID', details: { field: 'hash' } });
  t.throws(
    () => encodeGatewayMessage(topics, 'events', { journalId: 'j-1', events: [{ seq: 7, type: 'access', at: NOW }, { seq: 9, type: 'access', at: NOW }] }),
    { code: 'INPUT_INVALID', details: { field: 'events.1.seq' } },
    'a batch is consecutive',
  );
  const after = { journalId: 'j-1', skipped: { fromSeq: 8, toSeq: 20 }, events: [{ seq: 21, type: 'alarm' as const, at: NOW, reason: 'events_dropped' }] };
  t.equal(encodeGatewayMessage(topics, 'events', after).topic, topics.topic('events'), 'an eviction gap is declared right before the batch');
  t.throws(() => encodeGatewayMessage(topics, 'events', { ...after, skipped: { fromSeq: 8, toSeq: 19 } }), { code: 'INPUT_INVALID', details: { field: 'skipped' } });
  t.throws(() => encodeGatewayMessage(topics, 'events', { ...after, skipped: { fromSeq: 21, toSeq: 20 } }), { code: 'INPUT_INVALID', details: { field: 'skipped' } });
  t.same(GATEWAY_MESSAGE_TYPES, ['state', 'apply_ack', 'apply_failed', 'sync_request', 'events', 'command_response', 'door_status', 'security_event']);
});

t.test('the cloud decodes gateway messages from any gateway, strictly', async (t) => {
  const p = 'acme/prod/lockgw';
  const door = encodeGatewayMessage(topics, 'door_status', doorStatus);
  const r = decodeGatewayMessage(p, door.topic, Buffer.from(door.payload));
  t.match(r, { ok: true, type: 'door_status', gatewayId: GW, doorId: 'front', message: doorStatus });
  const ack = encodeGatewayMessage(topics, 'command_response', { correlationId: null, result: 'unauthorized', message: 'unsigned command' });
  t.match(decodeGatewayMessage(p, ack.topic, ack.payload), { ok: true, type: 'command_response', gatewayId: GW, message: { correlationId: null } });
  t.notOk('doorId' in decodeGatewayMessage(p, ack.topic, ack.payload));
  t.match(decodeGatewayMessage(p, `${p}/gw-17/down/delta`, '{}'), { ok: false, reason: 'unknown_topic' });
  t.match(decodeGatewayMessage(p, `${p}/gw-17/up/state`, '{"status":'), { ok: false, reason: 'malformed' });
  t.match(decodeGatewayMessage(p, `${p}/gw-17/up/state`, '{"status":"asleep","reason":"connected"}'), { ok: false, reason: 'schema', path: ['status'] });
  t.match(decodeGatewayMessage(p, `${p}/gw-17/up/door_status/gym`, door.payload), { ok: false, reason: 'schema', path: ['doorId'] });
  t.match(decodeGatewayMessage(p, `${p}/gw-17/up/state`, Buffer.alloc(16 * 1024 * 1024 + 1)), { ok: false, reason: 'too_large' });
});

t.test('every journal entry the journal can produce passes the event schema', async (t) => {
  const events = [
    { type: 'access' as const, at: NOW, doorId: 'front', grant: true, reason: 'granted', personId: 'p', credentialId: 'c', keyId: 'k' },
    { type: 'alarm' as const, at: NOW, reason: 'x'.repeat(5000), data: { nested: { pin: '1234' }, list: [1, 2] } },
    { type: 'bogus' as never, at: Number.NaN, data: { card: '26:1:2' } },
    { type: 'system' as const, at: NOW, data: { big: 10n } as never },
  ];
  events.forEach((e, i) => {
    const entry = decodeRow(encodeEvent(i + 1, e, NOW).row);
    const parsed = JournalEntrySchema.safeParse(entry);
    t.ok(parsed.success, `${e.type}: ${parsed.success ? '' : parsed.error.message}`);
  });
});

// ── docs ────────────────────────────────────────────────────────────────────────────────────

t.test('docs/schemas is generated from the zod schemas and up to date', async (t) => {
  t.same(staleSchemaFiles(), [], 'run: npx tsx scripts/gen-mqtt-schemas.ts');
  const schemas = mqttJsonSchemas();
  t.equal(schemas.size, CLOUD_MESSAGE_TYPES.length + GATEWAY_MESSAGE_TYPES.length);
  const delta = schemas.get('delta.json') as { properties: Record<string, { const?: string }>; required: string[] };
  t.equal(delta.properties.typ!.const, 'delta');
  t.same(delta.required, ['iss', 'aud', 'iat', 'exp', 'jti', 'typ', 'msg']);
  t.same(staleSchemaFiles(join(ROOT, 'test')), [...schemas.keys()], 'a directory without them is all stale');
});

t.test('the schema generator writes, checks and prints examples', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-schemas-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const out = (l: string) => void lines.push(l);
  t.equal(genSchemas(['--check'], join(dir, 'none'), out), 1, 'missing: stale');
  t.match(lines.pop(), /out of date \(snapshot\.json, /);
  t.equal(genSchemas([], dir, out), 0);
  t.match(lines.pop(), /wrote 13 schemas/);
  t.equal(genSchemas(['--check'], dir, out), 0);
  t.match(lines.pop(), /13 schemas up to date/);
  writeFileSync(join(dir, 'retired.json'), '{}');
  t.equal(genSchemas(['--check'], dir, out), 1);
  t.match(lines.pop(), /retired\.json/);
  t.equal(genSchemas(['--examples'], dir, out), 0);
  t.match(lines.pop(), /^All tokens below are real/);
});

const mqttDoc = readFileSync(join(ROOT, 'docs', 'mqtt.md'), 'utf8');

t.test('docs/mqtt.md shows the generated examples, and every token in it verifies and decodes', async (t) => {
  const examples = mqttExamples();
  t.ok(mqttDoc.includes(renderExamples(examples).trim()), 'the worked examples are exactly the generated ones (npx tsx scripts/gen-mqtt-schemas.ts --examples)');
  const { jwk } = exampleKey();
  t.ok(mqttDoc.includes(jwk.x), 'the example public key is shown');
  const exampleTopics = new GatewayTopics('lockgw', EXAMPLE_GATEWAY);
  const exampleKeys = loadCloudKeys([jwk]);
  const tokens = [...mqttDoc.matchAll(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)].map((m) => m[0]);
  const cloudExamples = examples.filter((e): e is CloudExample => e.direction === 'cloud_to_gateway');
  t.equal(tokens.length, cloudExamples.length, 'one token per cloud example');
  for (const e of cloudExamples) {
    const r = decodeCloudMessage(e.topic, e.token, { topics: exampleTopics, keys: exampleKeys, now: EXAMPLE_NOW, issuer: 'portal.example.com' });
    t.ok(r.ok, `${e.title}${r.ok ? '' : `: ${r.detail}`}`);
  }
  for (const e of examples.filter((x) => x.direction === 'gateway_to_cloud')) {
    const r = decodeGatewayMessage('lockgw', e.topic, JSON.stringify(e.message));
    t.ok(r.ok, `${e.title}${r.ok ? '' : `: ${r.detail}`}`);
  }
  const covered = new Set(examples.map((e) => e.type));
  t.same([...CLOUD_MESSAGE_TYPES, ...GATEWAY_MESSAGE_TYPES].filter((type) => !covered.has(type)), [], 'an example of every message type');
});

/**
 * The content hash exactly as docs/mqtt.md describes it, written from the document: one JSON
 * array per record, "\n" after each, sha-256 hex; entities in a fixed order; records sorted.
 */
function hashAsDocumented(ops: ReadonlyArray<{ op: string; entity: string; record?: Record<string, unknown>; id?: string }>): string {
  const state = new Map<string, Map<string, Record<string, unknown>>>();
  const keyOf = (entity: string, r: Record<string, unknown>) => (entity === 'holiday' ? String(r.date) : entity === 'holding' ? `${r.personId}\u0000${r.keyId}` : String(r.id));
  for (const op of ops) {
    const table = state.get(op.entity) ?? new Map();
    state.set(op.entity, table);
    if (op.op === 'upsert') table.set(keyOf(op.entity, op.record!), op.record!);
    else table.delete(String(op.id));
  }
  const ms = (v: unknown) => (v === undefined ? null : typeof v === 'number' ? v : Date.parse(String(v)));
  const n = (v: unknown) => (v === undefined ? null : v);
  const line: Record<string, (r: Record<string, unknown>) => unknown[]> = {
    site: (r) => ['site', r.id, r.name, r.timeZone],
    door: (r) => ['door', r.id, r.name, r.place ?? '', r.cardAndPin ?? false],
    holiday: (r) => ['holiday', r.date, r.type, r.name ?? ''],
    schedule: (r) => ['schedule', r.id, r.name, (r.intervals as Array<Record<string, unknown>>).map((i) => [i.days ?? [], i.holidayTypes ?? [], i.start, i.end])],
    key: (r) => ['key', r.id, r.name, r.mayShare ?? false, r.system ?? false, ((r.doors ?? []) as Array<Record<string, unknown>>).map((d) => [d.doorId, d.scheduleIds ?? []])],
    person: (r) => ['person', r.id, r.name, r.status ?? 'active', r.kind ?? 'resident', n(r.hostId), r.extendedUnlock ?? false],
    holding: (r) => ['holding', r.personId, r.keyId, ms(r.validFrom), ms(r.validUntil)],
    credential: (r) => {
      const value = r.kind === 'pin' ? null : r.kind === 'card' ? (parseCardNumber(r.card) as { value: string }).value : r.kind === 'fingerprint' ? `${r.readerId}:${r.slot}` : r.mobileKeyId;
      return ['credential', r.id, r.personId, r.kind, value, r.status ?? 'active', ms(r.validFrom), ms(r.validUntil), n(r.useLimit), r.duress ?? false, n(r.label), n(r.publicKey)];
    },
  };
  // the documented sum, written independently of StateHash: big integers, any order
  let sum = 0n;
  for (const [entity, records] of state) {
    for (const r of records.values()) sum += BigInt(`0x${createHash('sha256').update(JSON.stringify(line[entity]!(r))).digest('hex')}`);
  }
  return (sum % 2n ** 256n).toString(16).padStart(64, '0');
}

t.test('the content hash as documented for the cloud equals the gateway’s', async (t) => {
  const { v1, v2 } = exampleHashes();
  t.equal(hashAsDocumented(SNAPSHOT_CHUNKS.flat()), v1, 'version 1');
  t.equal(hashAsDocumented([...SNAPSHOT_CHUNKS.flat(), ...DELTA_OPERATIONS]), v2, 'version 2');
  t.ok(mqttDoc.includes(v1) && mqttDoc.includes(v2), 'the doc shows both');
});

import t from 'tap';
import { signEnvelope } from '../../src/wire/signedEnvelope.js';
import type { EventBatch } from '../../src/wire/messages.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { CloudConfigSchema } from '../../src/cloud/cloudConfig.js';
import { testBrokerSupport } from '../support/mosquitto.js';
import { broker, fakeCloud, gatewaySide, GW, ISSUER, range, seqsOf, testKey, until } from '../support/cloudHarness.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;
const ACK_TOPIC = `lockgw/${GW}/down/events_ack`;

t.test('events are uploaded in order, in batches, and deleted only after the signed ack', { skip }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const gw = await gatewaySide(t, b, key, { cloud: { upload: { batchSize: 4 } } });
  const cloud = await fakeCloud(t, b, key, gw.clock);
  gw.append(10);
  const first = until<EventBatch>(cloud.emitter, 'batch');
  await gw.link.start();
  const b1 = await first;
  const journalId = gw.journal.id;
  t.equal(b1.journalId, journalId);
  t.same(b1.events.map((e) => e.seq), [1, 2, 3, 4]);
  t.equal(b1.events[0]!.personId, 'p-0', 'the event as appended');
  t.equal(gw.journal.stats().count, 10, 'nothing deleted before the ack');
  t.equal(gw.link.status().upload?.inFlight?.toSeq, 4, 'one batch in flight');

  for (const [upto, next] of [[4, [5, 6, 7, 8]], [8, [9, 10]]] as const) {
    const sent = until<EventBatch>(cloud.emitter, 'batch');
    const acked = until(gw.link, 'acked');
    await cloud.ack(journalId, upto);
    t.same(await acked, { uptoSeq: upto, deleted: 4 });
    t.equal(gw.journal.stats().firstSeq, upto + 1, `rows up to ${upto} deleted`);
    t.same((await sent).events.map((e) => e.seq), next);
  }
  const acked = until(gw.link, 'acked');
  await cloud.ack(journalId, 10);
  await acked;
  t.equal(gw.journal.stats().count, 0);
  t.same(seqsOf(cloud.batches), range(1, 10), 'in order, once each');

  // new events while idle are picked up by the poll
  const later = until<EventBatch>(cloud.emitter, 'batch');
  gw.append(2);
  t.same((await later).events.map((e) => e.seq), [11, 12]);
  t.same(gw.link.status().connection?.state, 'connected');
});

t.test('an unsigned, wrong-key, wrong-journal or stale ack deletes nothing and is counted', { skip }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const gw = await gatewaySide(t, b, key, { cloud: { upload: { batchSize: 5 } } });
  const cloud = await fakeCloud(t, b, key, gw.clock);
  gw.append(10);
  const first = until<EventBatch>(cloud.emitter, 'batch');
  await gw.link.start();
  await first;
  const journalId = gw.journal.id;
  const now = gw.clock.now();

  // unsigned: alg none
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { iss: ISSUER, aud: GW, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 3600, jti: 'x-1', typ: 'events_ack', msg: { journalId, uptoSeq: 5 } };
  await cloud.publishRaw(ACK_TOPIC, `${enc({ alg: 'none' })}.${enc(claims)}.`);
  // signed by another key under the configured kid, and by an unknown kid
  const impostor = testKey();
  await cloud.publishRaw(ACK_TOPIC, signEnvelope({ journalId, uptoSeq: 5 }, { kid: key.kid, privateKey: impostor.privateKey, issuer: ISSUER, audience: GW, type: 'events_ack', now }));
  await cloud.ack(journalId, 5, { ...impostor, kid: 'other-kid' });
  await cloud.publishRaw(ACK_TOPIC, 'not a token');
  // valid signatures, but for another journal
  await cloud.ack('another-journal', 5);
  // rejected messages are journaled as security events; count the access events
  const accessRows = () => gw.journal.read(0, 1000).filter((e) => e.type === 'access').length;
  t.equal(accessRows(), 10);

  // messages from one publisher arrive in order: once this ack is applied, the ones above were handled
  const acked = until<{ uptoSeq: number }>(gw.link, 'acked');
  await cloud.ack(journalId, 2);
  t.equal((await acked).uptoSeq, 2);
  t.equal(accessRows(), 8, 'only the valid ack deleted rows');
  t.same(gw.journal.read(0, 1000).filter((e) => e.type === 'security').map((e) => e.reason).sort(), ['bad_signature', 'malformed', 'unknown_key', 'unsigned'], 'each rejection is journaled');
  const status = gw.link.status();
  t.equal(status.security.total, 4);
  t.same(status.security.byReason, { unsigned: 1, bad_signature: 1, unknown_key: 1, malformed: 1 });
  t.equal(status.upload?.ignoredAcks, 1, 'the other journal');

  // a stale ack (below the current one) is ignored
  const next = until<{ uptoSeq: number }>(gw.link, 'acked');
  await cloud.ack(journalId, 1);
  await cloud.ack(journalId, 5);
  t.equal((await next).uptoSeq, 5);
  t.equal(gw.link.status().upload?.ignoredAcks, 2);
  t.equal(accessRows(), 5);
});

t.test('broker stopped mid-upload and restarted: no event lost, order kept, the batch in flight is resent with the same seqs', { skip: skip || (support.available && support.kind !== 'mosquitto' ? 'needs mosquitto' : false) }, async (t) => {
  const b = await broker(t, { persistence: true });
  const key = testKey();
  const gw = await gatewaySide(t, b, key, { cloud: { upload: { batchSize: 100, maxEventsPerSecond: 1_000_000, ackTimeoutMs: 2000 } } });
  const cloud = await fakeCloud(t, b, key, gw.clock, 'auto');
  gw.append(1000);
  // ack the first three batches, then hold the fourth when it arrives and stop the broker
  const held = until<EventBatch>(cloud.emitter, 'batch', (batch) => {
    if (batch.events[0]!.seq === 301) cloud.mode = 'manual';
    return batch.events[0]!.seq === 301;
  });
  await gw.link.start();
  const inFlight = await held;
  const down = until(gw.link, 'disconnected');
  await b.stop();
  await down;
  t.equal(gw.journal.stats().firstSeq, 301, 'rows up to the last ack deleted, the batch in flight kept');
  gw.append(200); // recorded while the link is down
  cloud.mode = 'auto';
  const resent = until<EventBatch>(cloud.emitter, 'batch', (batch) => batch.events[0]!.seq === 301 && batch !== inFlight);
  const done = until<{ uptoSeq: number }>(gw.link, 'acked', (a) => a.uptoSeq === 1200);
  await b.start();
  const again = await resent;
  t.same(again, inFlight, 'the redelivered batch carries the same journalId, seqs and events');
  await done;
  t.equal(gw.journal.stats().count, 0, 'everything acknowledged and deleted');
  const seen = seqsOf(cloud.batches);
  t.same([...new Set(seen)], range(1, 1200), 'every event arrived, in order (duplicates only from redelivery)');
  for (const batch of cloud.batches) {
    const s = batch.events.map((e) => e.seq);
    t.same(s, range(s[0]!, s[s.length - 1]!), 'consecutive within a batch');
  }
  t.ok(gw.link.status().connection!.connects >= 2, 'reconnected');
  t.ok(gw.link.status().upload!.resends >= 1, 'counted as a resend');
});

t.test('the retained state is online after connecting and offline (last will) when the connection dies', { skip }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const gw = await gatewaySide(t, b, key);
  const cloud = await fakeCloud(t, b, key, gw.clock);
  const online = until<{ status: string; reason: string }>(cloud.emitter, 'state');
  await gw.link.start();
  t.match(await online, { status: 'online', reason: 'connected' });
  const will = until<{ status: string; reason: string }>(cloud.emitter, 'state', (s) => s.status === 'offline');
  const back = until<{ status: string }>(cloud.emitter, 'state', (s) => s.status === 'online');
  gw.link.connection!.dropConnection();
  t.same(await will, { status: 'offline', reason: 'connection_lost' }, 'the broker published the last will');
  await back;
  t.pass('back online after the reconnect');
  // a late subscriber sees the retained value
  const shutdown = until<{ status: string; reason: string }>(cloud.emitter, 'state', (s) => s.status === 'offline');
  await gw.link.stop();
  t.match(await shutdown, { status: 'offline', reason: 'shutdown' }, 'a clean stop says shutdown');
  const late = await fakeCloud(t, b, key, gw.clock);
  const retained = late.states.length > 0 ? late.states[0] : await until(late.emitter, 'state');
  t.match(retained, { status: 'offline', reason: 'shutdown' }, 'retained');
});

t.test('a 100,000-event backlog drains in order', { skip, timeout: 120_000 }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const gw = await gatewaySide(t, b, key, { maxEvents: 200_000, cloud: { upload: { batchSize: 1000, maxEventsPerSecond: 1_000_000 } } });
  const cloud = await fakeCloud(t, b, key, gw.clock, 'auto');
  gw.append(100_000);
  const done = until<{ uptoSeq: number }>(gw.link, 'acked', (a) => a.uptoSeq === 100_000);
  const started = process.hrtime.bigint();
  await gw.link.start();
  await done;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.equal(gw.journal.stats().count, 0);
  const seen = seqsOf(cloud.batches);
  t.equal(seen.length, 100_000, 'each event once');
  t.ok(seen.every((s, i) => s === i + 1), 'in seq order');
  t.comment(`drained 100,000 events in ${ms.toFixed(0)} ms (${Math.round(100_000 / (ms / 1000))} events/s)`);
});

t.test('without an ack the batch is resent after ackTimeoutMs, then at a doubling wait up to maxAckTimeoutMs; an ack resets it', { skip }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const clock = new ManualClock('2026-11-23T09:00:00Z');
  const gw = await gatewaySide(t, b, key, { clock, cloud: { upload: { batchSize: 5, ackTimeoutMs: 1000, maxAckTimeoutMs: 4000, maxEventsPerSecond: 1_000_000 } } });
  const cloud = await fakeCloud(t, b, key, clock);
  gw.append(10);
  const sends: Array<{ at: number; fromSeq: number; resend: boolean }> = [];
  gw.link.on('sent', (s) => sends.push({ at: clock.now() - start, fromSeq: s.fromSeq, resend: s.resend }));
  const start = clock.now();
  const first = until<EventBatch>(cloud.emitter, 'batch');
  await gw.link.start();
  await until(gw.link, 'connected');
  await first;
  for (const wait of [1000, 2000, 4000, 4000]) {
    t.equal(gw.link.status().upload?.ackWaitMs, wait, `waiting ${wait} ms for an ack`);
    clock.advance(wait - 1);
    t.equal(sends.length, sends.filter((s) => s.resend).length + 1, 'not resent before the wait is over');
    clock.advance(1);
  }
  t.same(sends.map((s) => s.at), [0, 1000, 3000, 7000, 11_000], 'resent at 1 s, then 2 s, 4 s, 4 s apart');
  t.ok(sends.every((s) => s.fromSeq === 1), 'always the batch after the last ack');
  const acked = until(gw.link, 'acked');
  const next = until<EventBatch>(cloud.emitter, 'batch', (x) => x.events[0]!.seq === 6);
  await cloud.ack(gw.journal.id, 5);
  await acked;
  clock.advance(1); // the upload rate's wait
  await next;
  t.equal(gw.link.status().upload?.ackWaitMs, 1000, 'an ack brings the wait back to ackTimeoutMs');
});

t.test('maxAckTimeoutMs below ackTimeoutMs is refused, naming the field', async (t) => {
  const parsed = CloudConfigSchema.safeParse({ upload: { ackTimeoutMs: 60_000, maxAckTimeoutMs: 30_000 } });
  t.equal(parsed.success, false);
  t.match(parsed.error?.issues, [{ path: ['upload', 'maxAckTimeoutMs'], message: 'maxAckTimeoutMs must be at least ackTimeoutMs' }]);
  t.match(CloudConfigSchema.parse({}).upload, { ackTimeoutMs: 30_000, maxAckTimeoutMs: 300_000 }, 'defaults: 30 s, doubling up to 5 min');
});

import t from 'tap';
import { createServer } from 'node:net';
import { ManualClock } from '../../src/kernel/clock.js';
import type { EventBatch } from '../../src/wire/messages.js';
import { testBrokerSupport } from '../support/mosquitto.js';
import { broker, fakeCloud, gatewaySide, testKey, until } from '../support/cloudHarness.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;

// a timeout of its own: a reconnect waits on the manual clock, so a hang would otherwise last until tap's 300 s
t.test('start() returns at once without a broker; reconnects back off exponentially with full jitter on the clock', { skip, timeout: 60_000 }, async (t) => {
  const b = await broker(t);
  await b.stop();
  // hold the stopped broker's port, refusing every connection, so that no other test's broker
  // (the suite runs files in parallel) can take the freed port and answer for it
  const holder = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve, reject) => holder.once('error', reject).listen(b.port, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const key = testKey();
  const clock = new ManualClock(Date.now());
  const randoms = [0.5, 0.5, 0.5, 0.5, 0.5, 0.25];
  const gw = await gatewaySide(t, b, key, { clock, random: () => randoms.shift() ?? 1, cloud: { reconnect: { minMs: 1000, maxMs: 8000 } } });
  await gw.link.start();
  t.equal(gw.link.status().connection?.state, 'connecting', 'not waiting for the broker');
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const next = until<{ delayMs: number }>(gw.link.connection!, 'reconnecting');
    if (i > 0) clock.advance(delays[i - 1]!);
    delays.push((await next).delayMs);
  }
  t.same(delays, [500, 1000, 2000, 4000, 4000, 2000], 'random × min(max, min × 2^n)');
  t.equal(gw.link.status().connection?.state, 'disconnected');
  t.match(gw.link.status().connection?.reason, /ECONNRESET|ECONNREFUSED|closed/);
  // the broker comes back: the next attempt connects, and the attempt counter resets
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  await b.start();
  const connected = until(gw.link, 'connected');
  // on a loaded machine an attempt to the restarted broker may still fail; each failure schedules
  // the next one on this clock, which nothing else advances
  const retry = ({ delayMs }: { delayMs: number }) => setImmediate(() => clock.advance(delayMs));
  gw.link.connection!.on('reconnecting', retry);
  clock.advance(delays[5]!);
  await connected;
  gw.link.connection!.off('reconnecting', retry);
  t.equal(gw.link.status().connection?.attempt, 0);
});

t.test('MQTT 3.1.1 is selectable', { skip }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const gw = await gatewaySide(t, b, key, { cloud: { protocolVersion: 4 } });
  const cloud = await fakeCloud(t, b, key, gw.clock, 'auto');
  gw.append(3);
  const batch = until<EventBatch>(cloud.emitter, 'batch');
  const acked = until<{ uptoSeq: number }>(gw.link, 'acked', (a) => a.uptoSeq === 3);
  await gw.link.start();
  t.equal((await batch).events.length, 3);
  await acked;
  t.equal(gw.journal.stats().count, 0);
});

t.test('the backlog drains at most maxEventsPerSecond, paced by the injected clock', { skip }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const clock = new ManualClock(Date.now());
  const gw = await gatewaySide(t, b, key, { clock, cloud: { upload: { batchSize: 100, maxEventsPerSecond: 1000 } } });
  const cloud = await fakeCloud(t, b, key, clock, 'auto');
  gw.append(250);
  const acked = until(gw.link, 'acked', (a: { uptoSeq: number }) => a.uptoSeq === 100);
  await gw.link.start();
  await acked;
  t.equal(cloud.batches.length, 1, 'the second batch waits');
  t.ok(clock.pending().includes(100), '100 events at 1000/s: the next batch in 100 ms');
  let sent = 0;
  gw.link.on('sent', () => void sent++);
  clock.advance(99);
  t.equal(sent, 0, 'not before its time');
  clock.advance(1);
  t.equal(sent, 1, 'then the next batch');
  const last = until(gw.link, 'acked', (a: { uptoSeq: number }) => a.uptoSeq === 200);
  await last;
  const third = until<{ fromSeq: number; toSeq: number }>(gw.link, 'sent');
  clock.advance(100);
  t.same(await third, { fromSeq: 201, toSeq: 250, resend: false });
});

t.test('an ack timeout resends the batch in flight with the same seqs', { skip }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const clock = new ManualClock(Date.now());
  const gw = await gatewaySide(t, b, key, { clock, cloud: { upload: { batchSize: 10, ackTimeoutMs: 5000 } } });
  const cloud = await fakeCloud(t, b, key, clock, 'manual');
  gw.append(5);
  const first = until<EventBatch>(cloud.emitter, 'batch');
  await gw.link.start();
  const original = await first;
  const again = until<EventBatch>(cloud.emitter, 'batch');
  clock.advance(5000);
  t.same(await again, original);
  t.equal(gw.link.status().upload?.resends, 1);
  t.equal(gw.journal.stats().count, 5, 'still nothing deleted');
});

t.test('a disabled link does nothing', async (t) => {
  const { CloudLink } = await import('../../src/cloud/cloudLink.js');
  const { CloudConfigSchema } = await import('../../src/cloud/cloudConfig.js');
  const { pino } = await import('pino');
  const link = new CloudLink({ config: CloudConfigSchema.parse({}), gatewayId: 'gw-1', journal: null as never, clock: new ManualClock(0), logger: pino({ level: 'silent' }) });
  await link.start();
  t.same(link.status(), { enabled: false, connection: null, upload: null, security: { total: 0, byReason: {} }, sync: null, heartbeat: null, unansweredCommands: 0 });
  await link.stop();
  t.notOk(CloudConfigSchema.safeParse({ enabled: true }).success, 'enabled needs a key');
  t.notOk(CloudConfigSchema.safeParse({ url: 'http://x' }).success, 'mqtt:// or mqtts:// only');
  t.notOk(CloudConfigSchema.safeParse({ reconnect: { minMs: 5000, maxMs: 1000 } }).success);
});

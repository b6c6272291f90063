/**
 * The metrics endpoint through the real gateway on the demo's simulated doors: a real HTTP scrape
 * on port 0, the exposition text parsed back. Presentations go through the sim readers, the door
 * controllers and the journal, as at a real door; the clock is a ManualClock.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import t from 'tap';
import { pino } from 'pino';
import type { Gateway } from '../../../src/app/gateway.js';
import { GatewayMetrics } from '../../../src/app/metrics/gatewayMetrics.js';
import { parseConfig } from '../../../src/app/config/loadConfig.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { gatewayFixture } from '../../support/gatewayFixture.js';
import { parseExposition, sampleValue, type Sample } from '../../support/promExposition.js';
import { testKey } from '../../support/cloudHarness.js';

const ON_ANY_PORT = { metrics: { enabled: true, listen: '127.0.0.1:0' } } as const;

function port(gateway: Gateway): number {
  const address = gateway.metrics?.server?.address();
  if (!address) throw new Error('the metrics endpoint is not listening');
  return address.port;
}

async function scrape(gateway: Gateway): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port(gateway)}/metrics`);
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  if (!res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) throw new Error(`content type ${res.headers.get('content-type')}`);
  return parseExposition(await res.text());
}

const decisions = (s: Sample[], labels: Record<string, string>) => sampleValue(s, 'lockgw_decisions_total', labels);

t.test('decisions at the demo\'s simulated doors are counted by door, result and reason', async (t) => {
  const { gateway } = await gatewayFixture(t, ON_ANY_PORT);
  const lobby = gateway.simulated!.doors.get('lobby')!;
  const garage = gateway.simulated!.doors.get('garage')!;
  lobby.cardReader.present('26:12:34567'); // alice: granted
  garage.cardReader.present('26:12:34567');
  lobby.cardReader.present('26:12:40001'); // bob: expired
  lobby.cardReader.present('26:12:55555'); // unknown
  lobby.cardReader.present('26:12:55554');
  lobby.cardReader.present('26:12:60003'); // henry: suspended
  const s = await scrape(gateway);
  t.equal(decisions(s, { door: 'lobby', result: 'granted', reason: 'granted' }), 1);
  t.equal(decisions(s, { door: 'garage', result: 'granted', reason: 'granted' }), 1);
  t.equal(decisions(s, { door: 'lobby', result: 'denied', reason: 'expired' }), 1);
  t.equal(decisions(s, { door: 'lobby', result: 'denied', reason: 'unknown_credential' }), 2);
  t.equal(decisions(s, { door: 'lobby', result: 'denied', reason: 'person_suspended' }), 1);
  t.equal(s.filter((x) => x.name === 'lockgw_decisions_total').reduce((n, x) => n + x.value, 0), 6, 'nothing else counted');
  const labels = s.flatMap((x) => Object.values(x.labels)).join(' ');
  for (const secret of ['alice', 'bob', 'henry', '34567', '55555', 'resident']) t.notOk(labels.includes(secret), `no label carries ${secret}`);
  t.equal(sampleValue(s, 'lockgw_rules_revision'), 1);
  t.equal(sampleValue(s, 'lockgw_safety_only'), 0);
  t.equal(sampleValue(s, 'lockgw_info', { gateway: 'gw-local' }), 1);
  t.ok(sampleValue(s, 'lockgw_process_resident_memory_bytes')! > 0, 'the process metrics, with the lockgw_ prefix');
  t.equal(sampleValue(s, 'lockgw_cloud_connected'), undefined, 'no cloud: no cloud gauges');
  t.equal(sampleValue(s, 'lockgw_clock_trusted'), undefined, 'nor a clock trust');
});

t.test('a device that goes offline shows in the device and door health at the next scrape', async (t) => {
  const { gateway } = await gatewayFixture(t, ON_ANY_PORT);
  const before = await scrape(gateway);
  t.equal(sampleValue(before, 'lockgw_device_health', { door: 'lobby', device: 'lobby-lock', state: 'online' }), 1);
  t.equal(sampleValue(before, 'lockgw_device_health', { door: 'lobby', device: 'lobby-lock', state: 'offline' }), 0);
  gateway.simulated!.doors.get('lobby')!.actuator.setOffline('bus unplugged');
  gateway.simulated!.doors.get('gym')!.cardReader.setDegraded('bad reads');
  const after = await scrape(gateway);
  t.equal(sampleValue(after, 'lockgw_device_health', { door: 'lobby', device: 'lobby-lock', state: 'offline' }), 1);
  t.equal(sampleValue(after, 'lockgw_device_health', { door: 'lobby', device: 'lobby-lock', state: 'online' }), 0);
  t.equal(sampleValue(after, 'lockgw_door_health', { door: 'lobby', state: 'offline' }), 1, 'a door without its lock is offline');
  t.equal(sampleValue(after, 'lockgw_device_health', { door: 'gym', device: 'gym-card', state: 'degraded' }), 1);
  t.equal(sampleValue(after, 'lockgw_door_health', { door: 'gym', state: 'degraded' }), 1);
  t.equal(sampleValue(after, 'lockgw_door_health', { door: 'pool', state: 'online' }), 1);
});

t.test('a door forced open raises an alarm: counted once, active until the door closes', async (t) => {
  const { gateway } = await gatewayFixture(t, ON_ANY_PORT);
  const lobby = gateway.simulated!.doors.get('lobby')!;
  lobby.contact.set(true);
  const open = await scrape(gateway);
  t.equal(sampleValue(open, 'lockgw_alarms_total', { door: 'lobby', kind: 'forced_open' }), 1);
  t.equal(sampleValue(open, 'lockgw_alarms_active', { door: 'lobby', kind: 'forced_open' }), 1);
  lobby.contact.set(false);
  const closed = await scrape(gateway);
  t.equal(sampleValue(closed, 'lockgw_alarms_total', { door: 'lobby', kind: 'forced_open' }), 1, 'the clearing is not counted as an alarm');
  t.equal(sampleValue(closed, 'lockgw_alarms_total', { door: 'lobby', kind: 'forced_open_cleared' }), undefined);
  t.equal(sampleValue(closed, 'lockgw_alarms_active', { door: 'lobby', kind: 'forced_open' }), undefined, 'no longer active');
});

t.test('the journal\'s fill, rows and capacity while the cloud is out of reach', async (t) => {
  const key = testKey();
  const { gateway } = await gatewayFixture(t, {
    ...ON_ANY_PORT, journal: { maxEvents: 1_000 },
    cloud: { enabled: true, url: 'mqtt://127.0.0.1:1', keys: [{ kid: key.kid, pem: key.publicPem }] },
  });
  const lobby = gateway.simulated!.doors.get('lobby')!;
  const from = gateway.journal.stats().count;
  for (let i = 0; i < 50; i++) lobby.cardReader.present('26:12:55555');
  const s = await scrape(gateway);
  t.equal(sampleValue(s, 'lockgw_journal_capacity_events'), 1_000);
  t.equal(sampleValue(s, 'lockgw_journal_queue_events'), from + 50);
  t.equal(sampleValue(s, 'lockgw_journal_fill_ratio'), (from + 50) / 1_000);
  t.equal(sampleValue(s, 'lockgw_journal_unacknowledged_events'), gateway.journal.stats().lastSeq);
  t.equal(sampleValue(s, 'lockgw_journal_dropped_events'), 0);
  t.equal(sampleValue(s, 'lockgw_cloud_connected'), 0);
  t.equal(sampleValue(s, 'lockgw_heartbeat_age_seconds'), undefined, 'no heartbeat yet: no age');
  t.equal(sampleValue(s, 'lockgw_clock_trusted'), 1, 'the clock is trusted until proven otherwise');
});

t.test('the endpoint serves GET /metrics only', async (t) => {
  const { gateway } = await gatewayFixture(t, ON_ANY_PORT);
  const base = `http://127.0.0.1:${port(gateway)}`;
  t.equal((await fetch(`${base}/`)).status, 404);
  t.equal((await fetch(`${base}/metrics/x`)).status, 404);
  t.equal((await fetch(`${base}/metrics?name=x`)).status, 200, 'a query string is ignored');
  const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
  t.equal(post.status, 405);
  t.equal(post.headers.get('allow'), 'GET');
  t.equal((await fetch(`${base}/metrics`, { method: 'DELETE' })).status, 405);
});

t.test('two gateways in one process keep separate counts', async (t) => {
  const one = await gatewayFixture(t, ON_ANY_PORT);
  const two = await gatewayFixture(t, ON_ANY_PORT);
  one.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  one.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  two.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:55555');
  const a = await scrape(one.gateway);
  const b = await scrape(two.gateway);
  t.equal(decisions(a, { door: 'lobby', reason: 'granted' }), 2);
  t.equal(decisions(a, { door: 'lobby', reason: 'unknown_credential' }), undefined);
  t.equal(decisions(b, { door: 'lobby', reason: 'granted' }), undefined);
  t.equal(decisions(b, { door: 'lobby', reason: 'unknown_credential' }), 1);
  one.gateway.simulated!.doors.get('lobby')!.actuator.setOffline();
  t.equal(sampleValue(await scrape(two.gateway), 'lockgw_device_health', { door: 'lobby', device: 'lobby-lock', state: 'online' }), 1);
});

t.test('stop() closes the endpoint and its keep-alive connections: the port is free again', async (t) => {
  const { gateway } = await gatewayFixture(t, ON_ANY_PORT);
  const p = port(gateway);
  // a keep-alive connection held open, as Prometheus holds one between scrapes
  const agentReq = request({ host: '127.0.0.1', port: p, path: '/metrics', headers: { connection: 'keep-alive' } });
  agentReq.end();
  const [res] = (await once(agentReq, 'response')) as [import('node:http').IncomingMessage];
  res.resume();
  await once(res, 'end');
  const socketClosed = once(agentReq.socket!, 'close');
  await gateway.stop();
  await socketClosed;
  t.equal(gateway.metrics?.server, null);
  const again = createServer();
  again.listen({ host: '127.0.0.1', port: p });
  await once(again, 'listening');
  t.equal((again.address() as AddressInfo).port, p, 'the same port binds again');
  await new Promise((resolve) => again.close(resolve));
});

t.test('a port in use is a clear error naming metrics.listen; the gateway runs its doors without metrics', async (t) => {
  const holder = createServer();
  holder.listen({ host: '127.0.0.1', port: 0 });
  await once(holder, 'listening');
  t.teardown(() => new Promise((resolve) => holder.close(resolve)));
  const taken = (holder.address() as AddressInfo).port;
  const config = parseConfig({ metrics: { enabled: true, listen: `127.0.0.1:${taken}` } });
  const metrics = new GatewayMetrics({
    config: config.metrics, gatewayId: 'gw-x', version: 'test', clock: new ManualClock(0), logger: pino({ level: 'silent' }),
    source: { read: () => { throw new Error('not read'); }, watchJournal: () => () => undefined },
  });
  await t.rejects(metrics.start(), { code: 'UNAVAILABLE', details: { field: 'metrics.listen' }, message: `metrics.listen: 127.0.0.1:${taken} is already in use by another program` });
  const { gateway, logs } = await gatewayFixture(t, config);
  t.equal(gateway.metrics?.server, null, 'no endpoint');
  t.match(logs.join(''), `metrics disabled: metrics.listen: 127.0.0.1:${taken} is already in use`);
  t.equal(gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'granted', 'the doors run');
});

/**
 * Offline leases and clock trust through the real gateway: a real Mosquitto, a fake cloud that
 * signs heartbeats and commands, a real SQLite file kept across a restart, a ManualClock. The
 * clock is moved with advance() (timers fire in order, as time passes) or set() (a jump, as a
 * clock set by hand).
 */
import t, { type Test } from 'tap';
import { pino } from 'pino';
import type { Presentation } from '../../src/access/verdict.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { Gateway } from '../../src/app/gateway.js';
import type { ApplyAck, CommandResponse, SyncRequest } from '../../src/wire/messages.js';
import { CloudState } from '../support/cloudState.js';
import { smallSite, up } from '../support/storeFixture.js';
import { broker, fakeCloud, GATEWAY_START, GW, ISSUER, testKey, until, type FakeCloud } from '../support/cloudHarness.js';
import { gatewayFixture } from '../support/gatewayFixture.js';
import { controlServer } from '../support/controlRig.js';
import { runCli } from '../../src/cli/lockgw.js';
import { ManualClock } from '../../src/kernel/clock.js';

const DAY = 86_400_000;
const LEASE_MS = 60_000;
const card = (value: string, doorId = 'lobby'): Presentation => ({ doorId, kind: 'card', value });
// zed: a resident on the all-access key with no window (24/7, nothing timed)
const ZED = '26:12:7001';
const ALICE = '26:12:34567'; // resident key, a holding with a lease end (demo site)
const BOB = '26:12:40001'; // his lease ended 10 days before the start (demo site)
const GRACE = '26:12:50002'; // moves in 30 days after the start (demo site)

async function linked(t: Test, offline: GatewayConfigInput['offline'] = { leases: { resident: { maxStalenessMs: LEASE_MS } } }) {
  t.setTimeout(60_000); // the guard on every wait below: a message that never comes fails the test
  const b = await broker(t);
  const key = testKey();
  const cloudClock = new ManualClock(GATEWAY_START);
  const cloud = await fakeCloud(t, b, key, cloudClock, 'auto');
  const startup = until<SyncRequest>(cloud.emitter, 'sync_request');
  const config: GatewayConfigInput = {
    gateway: { id: GW },
    cloud: { enabled: true, url: b.url, keys: [{ kid: key.kid, pem: key.publicPem }], issuer: ISSUER },
    offline,
  };
  const f = await gatewayFixture(t, config, GATEWAY_START);
  await startup;
  f.gateway.applyBatch([
    { op: 'upsert', entity: 'person', record: { id: 'zed', name: 'Zed Resident' } },
    { op: 'upsert', entity: 'holding', record: { personId: 'zed', keyId: 'all-access' } },
    { op: 'upsert', entity: 'credential', record: { id: 'zed-card', personId: 'zed', kind: 'card', card: ZED } },
  ], { source: 'cloud', revision: 1 });
  const restart = async (): Promise<Gateway> => {
    await f.gateway.stop();
    const again = new Gateway(parseConfig({ ...config, gateway: { id: GW, dataDir: f.dataDir } }), { clock: f.clock, logger: pino({ level: 'silent' }) });
    const reconnected = until(cloud.emitter, 'sync_request');
    await again.start();
    t.teardown(() => again.stop());
    await reconnected;
    return again;
  };
  return { f, cloud, cloudClock, config, restart };
}

/**
 * A signed heartbeat whose `time` is `cloudTime`, signed at `signedAt` (its iat must pass the
 * envelope's own skew check, cloud.maxSkewMs); resolves once the gateway took it.
 */
async function heartbeat(g: Gateway, cloud: FakeCloud, cloudTime: number, signedAt = cloudTime): Promise<void> {
  const { revision, hash } = g.applied();
  const taken = until(g.trust, 'verified');
  await cloud.send('heartbeat', { revision, hash, time: cloudTime }, { now: signedAt });
  await taken;
}

const reason = (g: Gateway, value: string, doorId = 'lobby') => g.decide(card(value, doorId)).reason;
const alarms = (g: Gateway, name: string) => g.journal.recent(0, 100_000).filter((e) => e.type === 'alarm' && e.reason === name);

t.test('a resident card opens up to its lease after the last heartbeat, not 1 ms past it, and a restart does not renew it', async (t) => {
  const { f, cloud, restart } = await linked(t);
  await heartbeat(f.gateway, cloud, f.clock.now());
  f.clock.advance(LEASE_MS);
  t.equal(reason(f.gateway, ALICE), 'granted', 'at exactly the lease');
  f.clock.advance(1);
  t.equal(reason(f.gateway, ALICE), 'offline_lease_expired', '1 ms past it');
  t.equal(reason(f.gateway, '26:12:1001', 'lobby'), 'granted', 'staff keep their own (7 d) lease');
  t.match(alarms(f.gateway, 'offline_lease_expired'), [{ data: { classes: ['resident'] } }], 'journaled once');

  const again = await restart();
  t.equal(reason(again, ALICE), 'offline_lease_expired', 'after a restart on the same file: still past the lease');
  await heartbeat(again, cloud, f.clock.now());
  t.equal(reason(again, ALICE), 'granted', 'the next heartbeat renews it');
  t.equal(alarms(again, 'offline_lease_renewed').length, 1);
});

t.test('a heartbeat the gateway is behind does not renew the lease; an apply does', async (t) => {
  const { f, cloud } = await linked(t);
  await heartbeat(f.gateway, cloud, f.clock.now());
  f.clock.advance(LEASE_MS + 1);
  t.equal(reason(f.gateway, ALICE), 'offline_lease_expired');
  const behind = until(f.gateway.cloud!, 'requested');
  await cloud.send('heartbeat', { revision: f.gateway.applied().revision + 1, time: f.clock.now() }, { now: f.clock.now() });
  await behind; // the gateway asks for what it misses: it took the heartbeat
  t.equal(reason(f.gateway, ALICE), 'offline_lease_expired', 'the cloud has a newer revision: the rules are not verified');

  // the cloud answers with a snapshot of its newest revision: applied, verified
  const state = new CloudState(t);
  state.change([...smallSite(), up('person', { id: 'ann', name: 'Ann' }), up('holding', { personId: 'ann', keyId: 'k-lobby' })]);
  state.change([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:1' })]);
  const verified = until(f.gateway.trust, 'verified');
  const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.snapshotId === 'snap-2');
  for (const chunk of state.snapshot('snap-2')) await cloud.send('snapshot', chunk);
  t.match(await acked, { revision: 2, duplicate: false });
  await verified;
  t.equal(reason(f.gateway, '26:12:1'), 'granted', 'the apply renewed the resident lease');
  t.match(f.gateway.trust.status(), { lease: { staleForMs: 0, expired: [] } });
});

t.test('the clock set back re-admits nobody: untrusted until a heartbeat agrees, across a restart', async (t) => {
  const { f, cloud, restart } = await linked(t, {});
  await heartbeat(f.gateway, cloud, f.clock.now());
  t.equal(reason(f.gateway, BOB), 'expired');
  f.clock.set(f.clock.now() - 11 * DAY); // to before Bob's lease ended
  t.equal(reason(f.gateway, BOB), 'clock_untrusted', 'Bob is not re-admitted');
  t.equal(reason(f.gateway, ALICE), 'clock_untrusted', 'a holding with a window depends on the time');
  t.equal(reason(f.gateway, ZED), 'granted', 'a 24/7 key with no window keeps working');
  t.match(alarms(f.gateway, 'clock_untrusted'), [{ data: { reason: 'clock_behind', skewMs: -11 * DAY } }]);
  const status = f.gateway.trust.status();
  t.match(status, { enabled: true, clock: { trusted: false, reason: 'clock_behind', skewMs: -11 * DAY } });

  const again = await restart();
  t.equal(reason(again, BOB), 'clock_untrusted', 'after a restart: still untrusted');
  f.clock.set(f.clock.now() + 11 * DAY); // someone puts the clock right
  t.equal(reason(again, BOB), 'clock_untrusted', 'a clock put right is not trusted by itself');
  await heartbeat(again, cloud, f.clock.now() + 120_000, f.clock.now());
  t.equal(reason(again, BOB), 'expired', 'a heartbeat within the skew gives the trust back');
  t.equal(reason(again, ALICE), 'granted');
  t.match(alarms(again, 'clock_trusted'), [{ data: { skewMs: 120_000 } }]);
});

t.test('the clock set forward admits nobody before their validity', async (t) => {
  const { f, cloud } = await linked(t, {});
  await heartbeat(f.gateway, cloud, f.clock.now());
  t.equal(reason(f.gateway, GRACE), 'not_yet_valid');
  f.clock.set(f.clock.now() + 31 * DAY);
  const v = f.gateway.decide(card(GRACE));
  t.equal(v.grant, false, 'Grace is not admitted before she moves in');
  t.equal(v.reason, 'offline_lease_expired', 'the jump counts for the lease (fail secure), which is checked first');
  t.match(f.gateway.trust.status(), { clock: { trusted: false, reason: 'clock_step' } });
});

t.test('a step forward of the configured step plus one check interval is trusted; 1 ms more is not', async (t) => {
  const { f, cloud } = await linked(t, {});
  await heartbeat(f.gateway, cloud, f.clock.now());
  f.gateway.decide(card(ZED));
  f.clock.set(f.clock.now() + 300_000 + 10_000);
  t.equal(reason(f.gateway, ALICE), 'granted');
  f.clock.set(f.clock.now() + 310_001);
  t.equal(reason(f.gateway, ALICE), 'clock_untrusted');
});

t.test('one cause, one alarm: a heartbeat that disagrees raises clock_untrusted (cloud_disagrees) once per episode, and no clock_skew beside it', async (t) => {
  const { f, cloud } = await linked(t, {});
  await heartbeat(f.gateway, cloud, f.clock.now());
  const clockAlarms = () => f.gateway.journal.recent(0, 100_000).filter((e) => e.type === 'alarm' && (e.reason ?? '').startsWith('clock')).map((e) => e.type === 'alarm' && e.reason);
  await heartbeat(f.gateway, cloud, f.clock.now() + 10 * 60_000 - 1_000, f.clock.now() - 1_000); // the cloud is 10 min ahead
  await heartbeat(f.gateway, cloud, f.clock.now() + 10 * 60_000, f.clock.now());
  t.same(clockAlarms(), ['clock_untrusted'], 'one alarm while the disagreement lasts');
  t.match(alarms(f.gateway, 'clock_untrusted'), [{ data: { reason: 'cloud_disagrees', skewMs: 10 * 60_000 - 1_000 } }]);
  t.equal(reason(f.gateway, ALICE), 'clock_untrusted', 'the alarm is the one with the consequence');
  t.match(f.gateway.cloud!.status().heartbeat, { clock: { trust: 'skewed', offsetMs: 10 * 60_000 } }, "the heartbeat's offset is still shown");
  f.clock.set(f.clock.now() + 10 * 60_000 + 1_000); // someone puts the clock right
  await heartbeat(f.gateway, cloud, f.clock.now());
  f.clock.advance(1_000);
  await heartbeat(f.gateway, cloud, f.clock.now() + 5 * 60_000, f.clock.now()); // a new disagreement
  t.same(clockAlarms(), ['clock_untrusted', 'clock_trusted', 'clock_untrusted'], 'agreeing again clears it; the next disagreement is a new one');
});

t.test('the cloud status command and the retained state show clock trust and the lease', async (t) => {
  const { f, cloud } = await linked(t);
  await heartbeat(f.gateway, cloud, f.clock.now() + 1_500, f.clock.now());
  t.equal(cloud.states[0]?.maxRevocationStalenessMs, 7 * DAY, 'the largest lease that does not fail open (phone keys and staff, 7 d)');
  const answered = until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === 'st-1');
  await cloud.send('command', { correlationId: 'st-1', name: 'status' });
  const response = await answered;
  t.match(response.data, {
    clock: { trusted: true, reason: null, skewMs: 1_500 },
    lease: { staleForMs: 0, maxRevocationStalenessMs: 7 * DAY, expired: [], failingOpen: [] },
  });
});

t.test('lockgw status shows the clock and the lease; untrusted with its reason and skew', async (t) => {
  const { f, cloud } = await linked(t);
  const server = controlServer(f);
  await server.start();
  t.teardown(() => server.stop());
  const status = async () => {
    const out: string[] = [];
    t.equal(await runCli(['status', '--config', f.configFile], (l) => out.push(l), () => undefined), 0);
    return out.join('\n');
  };
  await heartbeat(f.gateway, cloud, f.clock.now() + 1_000, f.clock.now());
  f.clock.advance(LEASE_MS + 1);
  let out = await status();
  t.match(out, /^clock {8}trusted \(skew \+1 s\)$/m);
  t.match(out, /^lease {8}rules verified 60 s ago; max revocation staleness 7 d; past the lease: resident DENIED$/m);
  f.clock.set(f.clock.now() - 3 * DAY);
  f.gateway.decide(card(ZED));
  out = await status();
  t.match(out, /^clock {8}UNTRUSTED: clock_behind \(skew -3 d\) since 2026-11-23T09:01:00\.001Z; time-restricted grants are denied until a heartbeat agrees$/m);
});

t.test('a class configured to fail open keeps opening past its lease, and the bound is then unbounded', async (t) => {
  const { f, cloud } = await linked(t, { leases: { resident: { maxStalenessMs: LEASE_MS, failOpen: true } } });
  await heartbeat(f.gateway, cloud, f.clock.now());
  f.clock.advance(LEASE_MS + 1);
  t.equal(reason(f.gateway, ALICE), 'granted');
  t.match(f.gateway.trust.status(), { lease: { expired: [], failingOpen: ['resident'], maxRevocationStalenessMs: null } });
});

t.test('a standalone gateway has no lease and does not judge its clock (nothing to judge it against: docs/access-model.md)', async (t) => {
  const f = await gatewayFixture(t, {});
  f.clock.set(f.clock.now() + 400 * DAY);
  t.equal(f.gateway.decide(card(ALICE)).reason, 'expired', 'decided on the clock as it reads, with no lease');
  f.clock.set(f.clock.now() - 411 * DAY);
  t.equal(f.gateway.decide(card(BOB)).reason, 'granted', 'a clock set back is believed: why a standalone site needs a good time source');
  t.same(f.gateway.trust.status(), { enabled: false });
  t.same(f.gateway.offlineTrust(), { clock: null, lease: null });
  const server = controlServer(f);
  await server.start();
  t.teardown(() => server.stop());
  const out: string[] = [];
  await runCli(['status', '--config', f.configFile], (l) => out.push(l), () => undefined);
  t.match(out.join('\n'), /^clock {8}not judged: no cloud link[^\n]*\nlease {8}none: a standalone gateway has no offline lease$/m);
});

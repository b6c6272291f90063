/**
 * `lockgw doctor` end to end: a serial site (Wiegand bridge and relay board on socat PTYs) behind a
 * real control socket, the bridge's firmware asked for and shown, a device gone offline is a
 * PROBLEM with a hint (exit 2); a device secret another user cannot read is said precisely; the
 * cloud link's findings from what the daemon reports.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { SerialLink } from '../../src/hal/serial/serialLink.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { cloudChecks, journalFillCheck } from '../../src/cli/doctor/daemonChecks.js';
import { secretCheck } from '../../src/cli/doctor/localChecks.js';
import type { GatewayHealth } from '../../src/control/controlTarget.js';
import { runCli } from '../../src/cli/lockgw.js';
import { BridgeEmulator } from '../support/bridgeEmulator.js';
import { controlServer } from '../support/controlRig.js';
import { gatewayFixture } from '../support/gatewayFixture.js';
import { ptyPair, socatAvailable } from '../support/ptyPair.js';
import { RelayBoardEmulator } from '../support/relayBoardEmulator.js';

const noSocat = !socatAvailable() && 'socat is not installed (apt-get install socat)';
const root = fileURLToPath(new URL('../..', import.meta.url));

async function doctor(configFile: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['doctor', '--config', configFile], (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('a serial site: the bridge firmware, each link and door online, exit 0; a bridge whose heartbeats stopped is a PROBLEM (with its door), exit 2', { skip: noSocat }, async (t) => {
  const bridgePty = await ptyPair(t);
  const relayPty = await ptyPair(t);
  const logger = pino({ level: 'silent' });
  const clock = new ManualClock('2026-11-23T09:00:00Z');
  const bridgeEnd = new SerialLink({ path: bridgePty.b, baudRate: 115_200, clock, logger });
  const relayEnd = new SerialLink({ path: relayPty.b, baudRate: 9_600, clock, logger });
  await bridgeEnd.start();
  await relayEnd.start();
  t.teardown(async () => { await bridgeEnd.stop(); await relayEnd.stop(); });
  const bridge = new BridgeEmulator({ clock, link: bridgeEnd, firmware: 'wb-2.1.0' });
  await bridge.start();
  new RelayBoardEmulator({ channels: 4 }).attach(relayEnd);
  const f = await gatewayFixture(t, {
    serial: { wiegandBridges: [{ id: 'b1', path: bridgePty.a }], relayBoards: [{ id: 'r1', path: relayPty.a, channels: 4, refreshMs: 0 }] },
    doors: [{ id: 'lobby', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 } } }],
  });
  const server = controlServer(f);
  await server.start();
  t.teardown(() => server.stop());
  // the driver sent Q at link open and the emulator answered V; a card sent after it is handled after it
  const handled = new Promise<void>((resolve) => {
    const stop = f.gateway.journal.watch((e) => { if (e.doorId === 'lobby' && e.type === 'access') { stop(); resolve(); } });
  });
  const asked = bridge.commands().some((c) => c.type === 'query_version') ? Promise.resolve() : new Promise<void>((resolve) => bridge.on('command', (c) => c.type === 'query_version' && resolve()));
  await asked;
  await bridge.sendHeartbeat();
  await bridge.sendCard(1, 'H10301', 12, 999);
  await handled;
  const good = await doctor(f.configFile);
  t.match(good.out, /^b1 +wiegand-bridge on .*, firmware wb-2\.1\.0: online$/m, 'the firmware the bridge reported');
  t.match(good.out, /^r1 +relay-board on .*: online$/m);
  t.match(good.out, /^door lobby +every device online/m);
  t.match(good.out, /^cloud +not configured/m);
  t.notMatch(good.out, /PROBLEM/);
  t.equal(good.code, 0, good.out);

  f.clock.advance(60_000); // the bridge's heartbeats stop (on the gateway's clock)
  const bad = await doctor(f.configFile);
  t.equal(bad.code, 2, 'a problem exits 2');
  t.match(bad.out, /^b1 +PROBLEM: wiegand-bridge on .*: offline: .*heartbeat.*\n +hint: is the bridge powered/m, 'the bridge, why, and a hint');
  t.match(bad.out, /^door lobby +PROBLEM: lobby-reader offline: /m, "the door's reader with it");
});

t.test('a device secret the asker cannot read is said precisely, from the owner, mode and who asks', async (t) => {
  const dir = t.testdir({ 'device-secret': `${'ab'.repeat(32)}\n` });
  const file = join(dir, 'device-secret');
  chmodSync(file, 0o600);
  const owner = process.getuid!();
  const accounts = { userName: (uid: number) => (uid === owner ? 'lockgw' : uid === 1000 ? 'pi' : null), uidOf: () => null, gidOf: () => null };
  const check = secretCheck(file, true, accounts, { uid: 1000, gids: [1000] });
  t.equal(check.status, 'problem');
  t.match(check.detail, new RegExp(`device-secret: cannot read: owned by lockgw \\(uid ${owner}\\), mode 0600, you are uid 1000 \\(pi\\)$`));
  t.match(check.hint, /run the doctor as root or as the daemon's user/);
  t.equal(secretCheck(file, true, accounts, { uid: owner, gids: [] }).status, 'ok', 'its owner reads it');
  chmodSync(file, 0o640);
  t.equal(secretCheck(file, true, accounts, { uid: 1000, gids: [process.getgid!()] }).status, 'warn', 'a group member reads it, and the mode is warned about');
  t.equal(secretCheck(join(dir, 'gone'), true, accounts, { uid: 1000, gids: [] }).status, 'problem', 'missing beside a database: lost');
});

/** The same through the real CLI, run as another user (root can make a file nobody else reads; the checkout must be readable by nobody). */
const asNobody = process.getuid?.() !== 0 ? 'needs root' : spawnSync('cat', [join(root, 'package.json')], { uid: 65534, gid: 65534 }).status !== 0 ? 'the checkout is not readable by uid 65534 (a mode 0700 temp dir)' : false;
t.test('a device secret this user cannot read is said precisely, not as a lost file', { skip: asNobody }, async (t) => {
  const dir = t.testdir({});
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o755 });
  writeFileSync(join(dataDir, 'device-secret'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
  chownSync(join(dataDir, 'device-secret'), 0, 0);
  const configFile = join(dir, 'lockgw.yaml');
  writeFileSync(configFile, `gateway: {id: gw-doctor, dataDir: ${JSON.stringify(dataDir)}}\ndemo: {seed: false}\n`, { mode: 0o644 });
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/lockgw.ts'), 'doctor', '--config', configFile], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' }, encoding: 'utf8', uid: 65534, gid: 65534, timeout: 60_000 });
  t.match(r.stdout, /^device secret +PROBLEM: .*device-secret: cannot read: owned by root \(uid 0\), mode 0600, you are uid 65534/m, r.stderr);
  t.match(r.stdout, /hint: run the doctor as root or as the daemon's user/);
  t.notMatch(r.stdout, /restore/, 'not mistaken for a lost file');
  t.equal(r.status, 2);
});

t.test("the cloud link's findings: connected, heartbeat age, clock, revisions; each problem with a hint", async (t) => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  const health = (cloud: Partial<NonNullable<GatewayHealth['cloud']>>): GatewayHealth => ({
    cloud: { connection: 'connected', reason: null, lastHeartbeatAt: now - 20_000, stale: false, clock: { trust: 'trusted', offsetMs: 40 }, cloudRevision: 7, unacknowledged: 0, ...cloud },
    rules: { revision: 7, hash: 'h' },
    journal: { count: 10, capacity: 1000, fill: 0.01, dropped: 0, lastSeq: 10 },
    links: [],
  });
  const lines = (h: GatewayHealth) => cloudChecks(h, now, 600_000).map((c) => `${c.name} ${c.status} ${c.detail}`);
  t.same(lines(health({})), ['cloud ok connected', 'heartbeat ok last signed heartbeat 20 s ago', 'clock ok trusted (offset 40 ms from the cloud)', "revision ok 7 (the cloud's 7)"]);
  const down = cloudChecks(health({ connection: 'reconnecting', reason: 'ECONNREFUSED', lastHeartbeatAt: now - 3 * 3_600_000, stale: true, clock: { trust: 'skewed', offsetMs: 300_000 }, cloudRevision: 9 }), now, 600_000);
  t.same(down.map((c) => c.status), ['problem', 'problem', 'problem', 'warn']);
  t.match(down[1]!.detail, /3\.0 h ago \(stale\)/);
  t.ok(down.every((c) => c.hint), 'each with a hint');
  t.equal(journalFillCheck({ count: 950, capacity: 1000, fill: 0.95, dropped: 0, lastSeq: 950 }).status, 'problem');
  t.equal(journalFillCheck({ count: 800, capacity: 1000, fill: 0.8, dropped: 0, lastSeq: 800 }).status, 'warn');
});

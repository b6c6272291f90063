import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { runCloudSim } from '../../../tools/cloud-sim/cli/cloudSimCommand.js';
import { runCli } from '../../../src/cli/lockgw.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import type { Verified } from './standInGateway.js';
import { StandInGateway } from './standInGateway.js';
import { childEnv } from '../../support/childEnv.js';
import { broker, silentLogger, until } from '../../support/cloudHarness.js';
import { testBrokerSupport } from '../../support/mosquitto.js';
import { T0 } from './simFixture.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const support = testBrokerSupport();
const skip = support.available ? false : support.reason;

const SITE = `site: {id: linden, name: Linden Apartments, timeZone: Europe/Berlin}
doors: [{id: front, name: Front door}, {id: gym, name: Gym}]
keys: [{id: resident, name: Resident, doors: [{doorId: front}, {doorId: gym}]}]
people:
  - {id: ann, name: Ann, holds: [resident], credentials: [{id: ann-pin, kind: pin, pin: "4829"}]}
`;

/** Runs a verb in process; collects stdout, stderr and progress lines. */
async function cli(args: string[], extra: { signal?: AbortSignal; clock?: ManualClock } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const code = await runCloudSim(args, {
    out: (l) => out.push(l), err: (l) => err.push(l), progress: (l) => progress.push(l), logger: silentLogger(),
    ...(extra.clock ? { clock: extra.clock } : {}), ...(extra.signal ? { signal: extra.signal } : {}),
  });
  return { code, out: out.join('\n'), err: err.join('\n'), progress };
}

t.test('keygen, run as the lockgw command, writes a private key file and prints the public key for cloud.keys', async (t) => {
  const dir = join(t.testdir(), 'sim');
  const run = promisify(execFile);
  const { stdout } = await run('npx', ['tsx', 'src/cli/lockgw.ts', 'cloud-sim', 'keygen', '--state', dir, '--kid', 'sim-test-1'], { cwd: root, env: childEnv(), encoding: 'utf8' });
  t.match(stdout, /^kid: sim-test-1$/m);
  t.match(stdout, /cloud:\n {2}keys:\n {4}- kid: sim-test-1\n {6}pem: \|\n {8}-----BEGIN PUBLIC KEY-----\n {8}\S+\n {8}-----END PUBLIC KEY-----/);
  t.notMatch(stdout, /PRIVATE/);
  t.equal(statSync(join(dir, 'signing-key.json')).mode & 0o777, 0o600);
  const again = await run('npx', ['tsx', 'src/cli/lockgw.ts', 'cloud-sim', 'keygen', '--state', dir], { cwd: root, env: childEnv(), encoding: 'utf8' }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  t.equal(again.code, 2, 'exit code 2');
  t.match(again.stderr, /^lockgw cloud-sim: .*signing-key\.json already holds a signing key \(.*--force.*\)\n$/m, 'one line');
});

t.test('usage, and mistakes in the arguments, are one line with exit code 2', async (t) => {
  const lines: string[] = [];
  t.equal(await runCli(['cloud-sim', '--help'], (l) => lines.push(l)), 0);
  t.match(lines.join('\n'), /usage: lockgw cloud-sim <verb>/);
  t.equal((await cli([])).code, 2);
  for (const [args, message] of [
    [['publish'], /publish needs --state DIR/],
    [['publish', '--state', 'x', '--url', 'http://x'], /--url "http:\/\/x" must be mqtt:\/\/host\[:port\]/],
    [['serve', '--state', 'x', '--url', 'mqtt://h:1'], /serve needs --gateway ID/],
    [['publish', '--state', 'x', '--url', 'mqtt://h:1', '--gateway', 'g', '--site', 's', '--chunk-ops', '0'], /--chunk-ops "0" must be a whole number from 1 to 100000/],
    [['command', 'fly', '--state', 'x'], /command "fly" is not known/],
    [['command', 'unlock', '--state', 'x', '--door', 'd'], /command unlock needs --seconds N/],
    [['command', 'lockdown', 'maybe', '--state', 'x'], /command lockdown takes on or off/],
    [['frobnicate'], /unknown verb "frobnicate"/],
    [['keygen', 'extra', '--state', 'x'], /keygen: unexpected "extra"/],
    [['keygen', '--colour'], /Unknown option '--colour'.*see lockgw cloud-sim --help/],
    [['publish', '--state', t.testdir(), '--url', 'mqtt://h:1', '--gateway', 'g', '--site', 's'], /no signing key in .* \(create one with: lockgw cloud-sim keygen --state/],
  ] as const) {
    const r = await cli([...args]);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, message);
    t.notMatch(r.err, /\n/, 'one line');
  }
});

t.test('publish, command and serve against a gateway', { skip }, async (t) => {
  const b = await broker(t);
  const dir = join(t.testdir(), 'state');
  const clock = new ManualClock(Date.now());
  t.equal((await cli(['keygen', '--state', dir, '--kid', 'k-cli'])).code, 0);
  const info = JSON.parse((await cli(['info', '--state', dir, '--json'])).out.split('\n')[0]!) as { kid: string; publicKeyPem: string };
  const gateway = new StandInGateway({ gatewayId: 'gw-cli', kid: info.kid, publicPem: info.publicKeyPem });
  await gateway.start(t, b.url);
  const site = join(dir, '..', 'site.yaml');
  writeFileSync(site, SITE);
  const common = ['--state', dir, '--gateway', 'gw-cli', '--url', b.url];

  const first = await cli(['publish', ...common, '--site', site, '--chunk-ops', '2']);
  t.equal(first.code, 0, first.err);
  t.match(first.out, /^published snapshot snap-v1-\w+: version 1, 7 operations in 4 chunks \(0\.0 MB\), hash [0-9a-f]{12}\napply_ack: the gateway runs version 1, hash [0-9a-f]{12} \(as published\)$/);
  t.same(first.progress.map((l) => l.replace(/, [\d.]+\/[\d.]+ MB/, '')), [1, 2, 3, 4].map((i) => `snapshot v1: chunk ${i}/4, ${Math.min(2 * i, 7)}/7 operations`));
  t.notMatch(first.out + first.err, /4829/, 'the PIN is never printed');
  const v1Hash = gateway.hash;

  writeFileSync(site, SITE.replace('name: Gym}', 'name: Gym and pool}'));
  const users = join(dir, '..', 'users.csv');
  writeFileSync(users, 'Email,Unit Number,Expiry Date,Keys\nbob@example.com,12,2027-06-30,Resident\n');
  const second = await cli(['publish', ...common, '--site', site, '--users', users, '--json']);
  t.equal(second.code, 0, second.err);
  const [published, acked] = second.out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(published, { type: 'published', kind: 'delta', fromVersion: 1, toVersion: 2, operations: 3 });
  t.match(acked, { type: 'apply_ack', revision: 2, hash: published!.hash });
  t.equal(gateway.hash, published!.hash);

  const unchanged = await cli(['publish', ...common, '--site', site, '--users', users]);
  t.match(unchanged.out, /^unchanged: the site is version 2/);

  const infoNow = await cli(['info', '--state', dir]);
  t.match(infoNow.out, /version 2, hash [0-9a-f]{64}\nsite linden \(Linden Apartments, Europe\/Berlin\): 2 doors, 0 holidays, 0 schedules, 1 keys, 2 people, 2 holdings, 1 credentials/);

  t.test('the gateway never answers: a clear timeout', async (t) => {
    gateway.applying = false;
    const pending = cli(['publish', ...common, '--site', site, '--users', users, '--snapshot', '--timeout', '5'], { clock });
    await until<Verified>(gateway, 'verified', (v) => v.type === 'snapshot');
    // the snapshot is out; the command arms its timeout once the broker has acknowledged it
    while (!clock.pending().includes(5000)) await new Promise((resolve) => setImmediate(resolve));
    clock.advance(5000);
    const r = await pending;
    t.equal(r.code, 2);
    t.match(r.err, /^lockgw cloud-sim: no apply_ack from the gateway for version 2 within 5 s \(is the gateway running with cloud\.enabled, connected to mqtt:\/\/.*, with id gw-cli and kid k-cli in cloud\.keys\?/m);
    gateway.applying = true;
  });

  t.test('the gateway refuses the key: said at once, with what to do', async (t) => {
    gateway.applying = false;
    const refuse = (v: Verified) => {
      if (v.type === 'snapshot') void gateway.publish('security_event', { at: T0, reason: 'unknown_key', topic: v.topic, detail: 'kid "k-cli" is not a configured cloud key', kid: 'k-cli', jti: v.claims.jti });
    };
    gateway.on('verified', refuse);
    const r = await cli(['publish', ...common, '--site', site, '--users', users, '--snapshot']);
    gateway.off('verified', refuse);
    t.equal(r.code, 2);
    t.match(r.err, /SECURITY unknown_key on .*\nlockgw cloud-sim: the gateway refused the message: unknown_key: kid "k-cli" is not a configured cloud key \(configure the key printed by 'lockgw cloud-sim info'/);
    gateway.applying = true;
  });

  t.test('command prints the response; anything but ok exits 3', async (t) => {
    gateway.on('verified', (v) => {
      if (v.type !== 'command') return;
      const ok = v.message.name !== 'unlock' || v.message.doorId === 'front';
      void gateway.publish('command_response', {
        correlationId: v.message.correlationId,
        result: ok ? 'ok' : 'unknown_door',
        message: ok ? `${v.message.name} done` : 'no such door',
        ...(v.message.name === 'status' ? { data: { revision: 2, doors: [{ doorId: 'front' }] } } : {}),
      });
    });
    const unlock = await cli(['command', 'unlock', '--door', 'front', '--seconds', '10', ...common]);
    t.equal(unlock.code, 0);
    t.match(unlock.out, /^command cmd-[\w-]+: ok — unlock done$/);
    t.match(gateway.of('command').at(-1)!.message, { name: 'unlock', doorId: 'front', seconds: 10 });
    const roof = await cli(['command', 'unlock', '--door', 'roof', '--seconds', '10', ...common, '--json']);
    t.equal(roof.code, 3);
    t.match(JSON.parse(roof.out), { type: 'command_response', result: 'unknown_door' });
    const status = await cli(['command', 'status', ...common]);
    t.match(status.out, /ok — status done\n {2}revision: 2\n {2}doors: \[\{"doorId":"front"\}\]/);
    await cli(['command', 'lockdown', 'on', '--door', 'gym', ...common]);
    t.match(gateway.of('command').at(-1)!.message, { name: 'lockdown', active: true, scope: 'door', doorId: 'gym' });
    await cli(['command', 'lockdown', 'off', ...common]);
    t.match(gateway.of('command').at(-1)!.message, { name: 'lockdown', active: false, scope: 'site' });
    await cli(['command', 'resync', ...common]);
    t.match(gateway.of('command').at(-1)!.message, { name: 'resync' });
  });

  t.test('clear-door empties the retained door_status of a removed door', async (t) => {
    const r = await cli(['clear-door', '--door', 'gym', ...common]);
    t.equal(r.code, 0, r.err);
    t.equal(r.out, 'door gym: retained status cleared');
  });

  t.test('serve answers sync requests, acknowledges and prints events one line each, sends heartbeats', async (t) => {
    const stop = new AbortController();
    const lines: string[] = [];
    const ready = new Promise<void>((resolve) => {
      void runCloudSim(['serve', ...common, '--heartbeat', '30'], {
        out: (l) => lines.push(l), err: (l) => l.startsWith('serving') && resolve(), progress: () => {}, logger: silentLogger(), signal: stop.signal,
      }).then((code) => lines.push(`exit ${code}`));
    });
    await ready;
    const beat = gateway.of('heartbeat').at(-1) ?? (await until<Verified>(gateway, 'verified', (v) => v.type === 'heartbeat'));
    t.match(beat.message, { revision: 2 });
    const acked = until<Verified>(gateway, 'verified', (v) => v.type === 'events_ack');
    await gateway.publish('events', { journalId: 'j-9', events: [
      { seq: 1, type: 'access', at: T0, doorId: 'front', grant: true, reason: 'granted', personId: 'ann', credentialId: 'ann-pin', keyId: 'resident' },
      { seq: 2, type: 'alarm', at: T0 + 1000, doorId: 'gym', reason: 'held_open' },
    ] });
    t.same((await acked).message, { journalId: 'j-9', uptoSeq: 2 });
    const answered = until<Verified>(gateway, 'verified', (v) => v.type === 'delta');
    await gateway.syncRequest({ kind: 'delta', fromVersion: 1 }, 'gap', { revision: 1, hash: v1Hash });
    t.match((await answered).message, { fromVersion: 1, toVersion: 2 });
    stop.abort();
    while (!lines.includes('exit 0')) await new Promise((r) => setImmediate(r));
    t.match(lines.join('\n'), /event #1 \d\d:\d\d:\d\d front GRANTED granted {2}ann via resident\nevent #2 \d\d:\d\d:\d\d gym ALARM held_open/);
    t.match(lines.join('\n'), /sync_request tx-[\w-]+: at version 1 \(gap\), wants deltas from version 1\n/);
  });
});

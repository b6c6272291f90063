/**
 * A phone opens a door through the whole gateway over Bluetooth as far as software goes: the
 * shipped `lockgw phone-sim` (real noble) on one host of the virtual radio, a real Gateway whose
 * phone-key radio (real bleno) is the other host, the door's controller, the engine, the
 * simulated strike and the journal. (The same logic over in-memory links, faster and with more
 * cases, is test/app/phoneKeyGateway.test.ts.)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { ManualClock, type Clock } from '../../src/kernel/clock.js';
import { runCloudSim } from '../../tools/cloud-sim/cli/cloudSimCommand.js';
import { runPhoneSim } from '../../tools/phone-sim/cli/phoneSimCommand.js';
import { startVirtualBle, type AclFragment, type VirtualBle } from '../../tools/virtual-ble/index.js';
import { childEnv } from '../support/childEnv.js';
import { gatewayFixture, type GatewayFixture } from '../support/gatewayFixture.js';
import { within } from '../support/bleRig.js';

const silent = pino({ level: 'silent' });
const UNLOCK_MS = 5_000;

interface Site {
  ble: VirtualBle;
  f: GatewayFixture;
  phoneUart: string;
  tmp: string;
  /** runs `lockgw phone-sim ...argv` in this process; resolves with its exit code and output */
  phone(argv: string[], clock?: Clock): Promise<{ code: number; out: string; err: string }>;
  grants(): number;
}

/** The virtual radio, then a gateway advertising phone keys on its `gateway` host; stopped in reverse. */
async function site(t: Test, config: GatewayConfigInput = {}, hosts = ['gateway', 'phone']): Promise<Site> {
  const tmp = mkdtempSync(join(tmpdir(), 'lockgw-phone-ble-'));
  const ble = await startVirtualBle({ hosts });
  const stops: (() => unknown)[] = [];
  t.teardown(async () => {
    for (const stop of stops.reverse()) await stop();
    await ble.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const f = await gatewayFixture({ teardown: (fn) => void stops.push(fn) }, {
    gateway: { id: 'gw-ble' },
    ...config,
    ble: { phoneKeys: { adapter: { uart: ble.uartPort('gateway') } } },
  }, new Date().toISOString());
  const phone = async (argv: string[], clock?: Clock) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPhoneSim(argv, { out: (l) => out.push(l), err: (l) => err.push(l), logger: silent, ...(clock ? { clock } : {}) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const grants = () => f.gateway.journal.recent(0, 10_000).filter((e) => e.type === 'access' && e.grant).length;
  return { ble, f, phoneUart: ble.uartPort('phone'), tmp, phone, grants };
}

const lastAccess = (f: GatewayFixture) => f.gateway.journal.recent(0, 10_000).filter((e) => e.type === 'access').at(-1);
const strike = (f: GatewayFixture, door = 'lobby') => f.gateway.simulated!.doors.get(door)!.actuator;
/** the radio carries no link any more (the phone-sim disconnected, or the link was lost) */
const linksGone = (ble: VirtualBle) => within<void>(3_000, 'the radio to carry no link', (done) => {
  const check = () => (ble.radio.connections().length === 0 ? done() : setImmediate(check));
  check();
});

/** the first ACL fragment of an ATT write from the phone whose value starts a phone-key message of `type` */
const startsMessage = (f: AclFragment, type: number) =>
  f.from === 'phone' && f.pb !== 1 && f.payload.length > 10 && f.payload.readUInt16LE(2) === 0x0004 && f.payload[4] === 0x12 && (f.payload[7]! & 0x80) !== 0 && f.payload[10] === type;
const HELLO = 0x01;
const RESPONSE = 0x03;

t.test('the demo phone key opens the lobby over the radio: granted, the strike released, the grant journaled as erin-phone', async (t) => {
  const s = await site(t);
  t.equal(s.f.gateway.doors.status().find((d) => d.doorId === 'lobby')!.devices['phone-keys']?.state, 'online');
  const open = await s.phone(['open', '--demo', '--door', 'lobby', '--adapter', s.phoneUart]);
  t.equal(open.code, 0, open.err);
  t.equal(open.out, `lobby at ${s.ble.address('gateway')}: GRANTED granted (open for 5 s)`);
  t.equal(strike(s.f).state(), 'unlocked');
  t.match(lastAccess(s.f), { type: 'access', doorId: 'lobby', grant: true, reason: 'granted', personId: 'erin', credentialId: 'erin-phone', data: { kind: 'mobile' } });
  s.f.clock.advance(UNLOCK_MS);
  t.equal(strike(s.f).state(), 'locked');

  await linksGone(s.ble);
  const again = await s.phone(['open', '--demo', '--door', 'garage', '--adapter', s.phoneUart, '--json']);
  t.equal(again.code, 0, again.err);
  t.match(JSON.parse(again.out), { type: 'result', gateway: s.ble.address('gateway'), doorId: 'garage', credentialId: 'erin-phone', granted: true, reason: 'granted' });
  t.equal(s.grants(), 2);
});

t.test('a forged key for erin-phone: exit 3 bad_signature, the door stays locked, the denial is journaled', async (t) => {
  const s = await site(t);
  const key = join(s.tmp, 'thief.json');
  const made = await s.phone(['keygen', '--key', key, '--algorithm', 'Ed25519']);
  t.equal(made.code, 0, made.err);
  const open = await s.phone(['open', '--key', key, '--credential', 'erin-phone', '--door', 'lobby', '--adapter', s.phoneUart]);
  t.equal(open.code, 3, open.err);
  t.equal(open.out, `lobby at ${s.ble.address('gateway')}: DENIED bad_signature`);
  t.equal(strike(s.f).state(), 'locked');
  t.match(lastAccess(s.f), { doorId: 'lobby', grant: false, reason: 'bad_signature', credentialId: 'erin-phone', personId: 'erin', data: { kind: 'mobile', stage: 'phone_key' } });
  t.equal(s.grants(), 0);
});

t.test('a guest the gateway has never synced opens with an access document from lockgw cloud-sim document', async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'lockgw-cloud-sim-'));
  t.teardown(() => rmSync(state, { recursive: true, force: true }));
  const cloudOut: string[] = [];
  const cloudSim = (argv: string[]) => runCloudSim(argv, { out: (l) => cloudOut.push(l), err: (l) => cloudOut.push(l), logger: silent });
  t.equal(await cloudSim(['keygen', '--state', state, '--kid', 'sim-1', '--json']), 0, 'cloud-sim keygen');
  const { publicKeyPem } = JSON.parse(cloudOut.pop()!) as { publicKeyPem: string };
  const s = await site(t, { cloud: { keys: [{ kid: 'sim-1', pem: publicKeyPem }] } });

  const key = join(s.tmp, 'gus.json');
  const made = await s.phone(['keygen', '--key', key, '--algorithm', 'Ed25519', '--credential', 'gus-phone', '--json']);
  const { publicKey } = JSON.parse(made.out) as { publicKey: string };
  const documentFile = join(s.tmp, 'gus.jws');
  t.equal(await cloudSim(['document', '--state', state, '--gateway', 'gw-ble', '--credential', 'gus-phone', '--person', 'gus', '--public-key', publicKey,
    '--door', 'lobby', '--valid-until', new Date(Date.now() + 3_600_000).toISOString(), '--revision', String(s.f.gateway.engine.applied().revision + 1), '--out', documentFile]), 0, cloudOut.join('\n'));

  const without = await s.phone(['open', '--key', key, '--door', 'lobby', '--adapter', s.phoneUart]);
  t.equal(without.code, 3);
  t.match(without.out, /DENIED unknown_credential$/);
  await linksGone(s.ble);
  const withDoc = await s.phone(['open', '--key', key, '--door', 'lobby', '--adapter', s.phoneUart, '--document', documentFile]);
  t.equal(withDoc.code, 0, withDoc.err);
  t.match(withDoc.out, /GRANTED granted/);
  t.equal(strike(s.f).state(), 'unlocked');
  t.match(lastAccess(s.f), { doorId: 'lobby', grant: true, personId: 'gus', credentialId: 'gus-phone', data: { via: 'document' } });
});

t.test('the link lost while the RESPONSE is in the air: no grant, and the next open works', async (t) => {
  const s = await site(t);
  const fired = within<void>(10_000, 'the RESPONSE to be sent', (done) => {
    s.ble.radio.fault = (f) => {
      if (!startsMessage(f, RESPONSE)) return [f.payload];
      s.ble.radio.fault = null;
      setImmediate(() => { s.ble.radio.dropLink('phone'); done(); });
      return []; // the RESPONSE never arrives, then the link goes
    };
  });
  const lost = await s.phone(['open', '--demo', '--door', 'lobby', '--adapter', s.phoneUart]);
  await fired;
  t.equal(lost.code, 2, 'the phone-sim reports an error, not a verdict');
  t.match(lost.err, /closed|disconnect/i);
  await linksGone(s.ble);
  t.equal(s.grants(), 0);
  t.equal(strike(s.f).state(), 'locked');

  const next = await s.phone(['open', '--demo', '--door', 'lobby', '--adapter', s.phoneUart]);
  t.equal(next.code, 0, next.err);
  t.equal(s.grants(), 1);
});

t.test('corrupted and truncated ACL payloads from the phone never open a door', async (t) => {
  const s = await site(t);
  const flip = (at: (p: Buffer) => number) => (p: Buffer) => { const c = Buffer.from(p); const i = at(c); c[i] = c[i]! ^ 0x01; return [c]; };
  const cases: { name: string; type: number; rewrite: (p: Buffer) => Uint8Array[]; answered: boolean }[] = [
    // the message starts at byte 10 (L2CAP 4, ATT write 3, fragment header 3); its signature at 35
    { name: 'a bit of the RESPONSE\'s signature flipped', type: RESPONSE, rewrite: flip((p) => Math.min(p.length - 1, 10 + 40)), answered: true },
    { name: 'the HELLO\'s fragment sequence changed', type: HELLO, rewrite: flip(() => 7), answered: true },
    { name: 'the HELLO\'s credential id altered', type: HELLO, rewrite: flip((p) => p.length - 1), answered: true },
    { name: 'the RESPONSE fragment cut short of its L2CAP length', type: RESPONSE, rewrite: (p) => [p.subarray(0, p.length - 4)], answered: false },
    { name: 'the RESPONSE fragment cut below its L2CAP header', type: RESPONSE, rewrite: (p) => [p.subarray(0, 3)], answered: false },
    { name: 'the RESPONSE fragment dropped', type: RESPONSE, rewrite: () => [], answered: false },
  ];
  for (const c of cases) {
    // the phone's clock is manual: a phone whose message the gateway never got gives up when told
    const clock = new ManualClock(Date.now());
    const fired = within<void>(10_000, `the fault (${c.name}) to fire`, (done) => {
      s.ble.radio.fault = (f) => {
        if (!startsMessage(f, c.type)) return [f.payload];
        s.ble.radio.fault = null;
        done();
        return c.rewrite(f.payload);
      };
    });
    const run = s.phone(['open', '--demo', '--door', 'lobby', '--adapter', s.phoneUart], clock);
    await fired;
    if (!c.answered) setImmediate(() => clock.advance(10_000));
    const { code, out, err } = await run;
    if (c.answered) t.equal(code, 3, `${c.name}: denied (${out}${err})`);
    else t.not(code, 0, `${c.name}: no grant (${out}${err})`);
    await linksGone(s.ble);
    t.equal(s.grants(), 0, `${c.name}: nothing granted`);
  }
  t.equal(strike(s.f).state(), 'locked');
  const denials = s.f.gateway.journal.recent(0, 10_000).filter((e) => e.type === 'access' && !e.grant).map((e) => e.type === 'access' ? e.reason : '');
  t.ok(denials.length >= 3, `the answered ones are journaled: ${denials.join(', ')}`);
  const next = await s.phone(['open', '--demo', '--door', 'lobby', '--adapter', s.phoneUart]);
  t.equal(next.code, 0, `and then the demo key still opens: ${next.err}`);
});

t.test('the shipped command: npx tsx src/cli/lockgw.ts phone-sim open as a child process', async (t) => {
  const s = await site(t);
  const child = spawn('npx', ['tsx', 'src/cli/lockgw.ts', 'phone-sim', 'open', '--demo', '--door', 'lobby', '--adapter', s.phoneUart], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (err += String(c)));
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill(); });
  const code = await within<number | null>(20_000, 'the phone-sim process to exit', (done) => child.once('close', (c) => done(c)));
  t.equal(code, 0, err);
  t.equal(out, `lobby at ${s.ble.address('gateway')}: GRANTED granted (open for 5 s)\n`);
  t.equal(strike(s.f).state(), 'unlocked');
});

t.test('lockgw phone-sim radio: stable UARTs in its directory that a gateway and a phone use, removed when it stops', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'lockgw-radio-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'vble');
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const lines: string[] = [];
  let radio: Promise<number> = Promise.resolve(-1);
  await within<void>(5_000, 'the radio\'s listing', (done) => {
    radio = runPhoneSim(['radio', '--dir', dir], { out: (l) => { lines.push(l); if (l.includes('phone-sim open')) done(); }, err: (l) => lines.push(l), logger: silent, signal: stop.signal });
  });
  t.match(lines, [/^virtual BLE radio: 2 hosts, UARTs in /, `gateway: ${dir}/gateway  (address c0:00:00:00:00:01)`, `phone:   ${dir}/phone  (address c0:00:00:00:00:02)`, /ble\.phoneKeys\.adapter: \{uart: .*\/gateway\}/, /phone-sim open --demo --door lobby --adapter .*\/phone$/]);
  t.same(readdirSync(dir).sort(), ['.lockgw-vble', 'gateway', 'gateway.controller', 'phone', 'phone.controller']);
  const refused: string[] = [];
  t.equal(await runPhoneSim(['radio', '--dir', dir], { out: () => undefined, err: (l) => refused.push(l), logger: silent, signal: AbortSignal.abort() }), 2, 'a second radio on the same directory is refused');
  t.match(refused, [/in use by another radio/]);

  const f = await gatewayFixture(t, { ble: { phoneKeys: { adapter: { uart: join(dir, 'gateway') } } } }, new Date().toISOString());
  const out: string[] = [];
  t.equal(await runPhoneSim(['open', '--demo', '--door', 'lobby', '--adapter', join(dir, 'phone')], { out: (l) => out.push(l), logger: silent }), 0);
  t.match(out, [/GRANTED granted/]);
  await f.gateway.stop(); // a host stops before its radio
  stop.abort();
  t.equal(await radio, 0, 'the radio exits 0 when told to stop');
  t.notOk(existsSync(dir), 'and removes the directory it made');
});

t.test('lockgw phone-sim radio refuses a directory holding files it did not create, and deletes none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-radio-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  const err: string[] = [];
  t.equal(await runPhoneSim(['radio', '--dir', dir], { out: () => undefined, err: (l) => err.push(l), logger: silent, signal: AbortSignal.abort() }), 2);
  t.match(err, [/holds files this tool did not create \(notes\.txt\): not used, nothing deleted/]);
  t.same(readdirSync(dir), ['notes.txt']);
});

t.test('a gateway whose phone-key UART does not exist starts, its reader offline with the reason', async (t) => {
  const f = await gatewayFixture(t, { ble: { phoneKeys: { adapter: { uart: '/tmp/lockgw-vble-none/gateway' } } } });
  t.match(f.gateway.doors.status().find((d) => d.doorId === 'lobby')!.devices['phone-keys'], { state: 'offline', reason: /UART \/tmp\/lockgw-vble-none\/gateway does not exist/ });
});

import t, { type Test } from 'tap';
import fc from 'fast-check';
import { isGatewayError } from '../../../../src/kernel/gatewayError.js';
import { NukiLockActuator } from '../../../../src/hal/ble/nuki/nukiLockActuator.js';
import type { NukiLockActuatorOptions } from '../../../../src/hal/ble/nuki/nukiLockPolicy.js';
import type { NukiCredentials } from '../../../../src/hal/ble/nuki/nukiSession.js';
import { NUKI_KEYTURNER_USDIO } from '../../../../src/hal/ble/nuki/nukiConstants.js';
import { drive, nukiRig, settle, type Rig } from '../../../support/nukiLock/nukiRig.js';

async function started(t: Test, options: Partial<NukiLockActuatorOptions> = {}, rigOptions: Parameters<typeof nukiRig>[0] = {}) {
  const rig = nukiRig(rigOptions);
  const credentials = await rig.pairNow();
  const lock = new NukiLockActuator({ id: 'front', connector: rig.connector, credentials: { load: () => credentials }, clock: rig.clock, logger: rig.logger, pollMs: 0, ...options });
  const start = await drive(rig.clock, lock.start());
  t.ok(start.ok, 'start resolves');
  t.teardown(async () => { rig.emu.faults.silent = false; await drive(rig.clock, lock.stop()); rig.emu.dispose(); });
  return { rig, lock, credentials };
}

const code = (r: { ok: boolean; error?: unknown }) => (r.ok ? 'ok' : (r.error as { code?: string }).code);

t.test('start reads the lock: online, state locked, reconciled once', async (t) => {
  const { lock } = await started(t);
  t.equal(lock.health().state, 'online');
  t.equal(lock.state(), 'locked');
  t.equal(lock.keyturnerStates()?.doorSensor, 'closed');
});

t.test('unlock(ms) unlatches, confirms, and re-locks after ms: the door ends locked', async (t) => {
  const { rig, lock } = await started(t);
  const states: string[] = [];
  lock.on('state', (s) => states.push(s));
  const result = await drive(rig.clock, lock.unlock(5000));
  t.equal(code(result), 'ok');
  t.equal(lock.state(), 'unlocked');
  t.same(rig.emu.actions().map((a) => a.action), ['unlatch']);
  await drive(rig.clock, new Promise((r) => rig.clock.setTimeout(r as () => void, 8000)));
  await settle();
  t.same(rig.emu.actions().map((a) => a.action), ['unlatch', 'lock']);
  t.equal(rig.emu.state(), 'locked');
  t.equal(lock.state(), 'locked');
  t.same(states, ['unknown', 'unlocked', 'unknown', 'locked'], 'unlatching is not yet unlocked; locking is not yet locked');
});

t.test('unlockMode unlock, hold and lock are confirmed by the lock\'s state', async (t) => {
  const { rig, lock } = await started(t, { unlockMode: 'unlock' });
  t.equal(code(await drive(rig.clock, lock.hold(true))), 'ok');
  t.equal(rig.emu.state(), 'unlocked');
  t.equal(code(await drive(rig.clock, lock.lock())), 'ok');
  t.equal(rig.emu.state(), 'locked');
  t.equal(code(await drive(rig.clock, lock.unlock(1000))), 'ok');
  t.same(rig.emu.actions().map((a) => a.action), ['unlock', 'lock', 'unlock']);
});

t.test('the re-lock waits while the door sensor reports open', async (t) => {
  const { rig, lock } = await started(t);
  await drive(rig.clock, lock.unlock(1000));
  rig.emu.setDoor('opened');
  await drive(rig.clock, lock.lock().catch(() => undefined).then(() => undefined)); // a lock() now is explicit and goes through
  rig.emu.turnByHand('unlocked');
  await drive(rig.clock, lock.unlock(1000));
  for (let i = 0; i < 30; i++) { rig.clock.advance(500); await settle(); }
  t.equal(rig.emu.state(), 'unlocked', 'not locked while the door stands open');
  rig.emu.setDoor('closed');
  for (let i = 0; i < 30; i++) { rig.clock.advance(500); await settle(); }
  t.equal(rig.emu.state(), 'locked', 'locked once it closed');
});

t.test('a lock that answers late: DEVICE_TIMEOUT after bounded retries with backoff, offline with a reason, back by itself', async (t) => {
  const { rig, lock } = await started(t, { responseTimeoutMs: 1000, retries: 2, backoffMs: 500, maxBackoffMs: 4000 });
  const unconfirmed: string[] = [];
  const health: string[] = [];
  const reconciled: string[] = [];
  lock.nuki.on('unconfirmed', (u) => unconfirmed.push(u.action));
  lock.nuki.on('reconciled', (r) => reconciled.push(r.lockState));
  lock.on('health', (h) => health.push(h.state));
  rig.emu.faults.delayMs = 5000;
  const connectsBefore = rig.connects;
  const t0 = rig.clock.now();
  const result = await drive(rig.clock, lock.unlock(3000), 50);
  t.equal(code(result), 'DEVICE_TIMEOUT');
  t.equal(rig.connects - connectsBefore, 3, 'one attempt and two retries');
  const elapsed = rig.clock.now() - t0;
  t.ok(elapsed >= 3 * 1000 + 500 + 1000 && elapsed < 6000, `three timeouts plus 500 + 1000 backoff (${elapsed} ms)`);
  t.same(unconfirmed, ['unlatch']);
  t.equal(lock.health().state, 'offline');
  t.match(lock.health().reason, /no answer to unlatch after 3 attempts/);
  t.equal(lock.state(), 'unknown');
  t.equal(code(await drive(rig.clock, lock.unlock(3000))), 'DEVICE_OFFLINE', 'commands to an offline lock reject at once');
  rig.emu.faults.delayMs = 0;
  await drive(rig.clock, new Promise((r) => rig.clock.setTimeout(r as () => void, 10_000)));
  await settle();
  t.equal(lock.health().state, 'online', 'the reconnect found it');
  t.same(reconciled, ['locked'], 'reconciled on return, with the state read then');
  t.equal(health.at(-1), 'online');
  t.same(rig.emu.actions(), [], 'the challenge came too late each time: the lock never moved');
});

t.test('a lock out of range: offline, periodic reconnect with growing backoff, comes back and re-locks what it found open', async (t) => {
  const { rig, lock } = await started(t, { responseTimeoutMs: 1000, retries: 0, backoffMs: 1000, maxBackoffMs: 8000, pollMs: 30_000 });
  rig.reachable = false;
  rig.clock.advance(30_000);
  await settle();
  t.equal(lock.health().state, 'offline');
  t.match(lock.health().reason, /lock not found/);
  t.same(rig.clock.pending().slice(0, 1), [1000], 'first reconnect after backoffMs');
  rig.clock.advance(1000); await settle();
  t.same(rig.clock.pending().slice(0, 1), [2000], 'then doubled');
  rig.emu.turnByHand('unlocked');
  rig.reachable = true;
  rig.clock.advance(2000); await settle();
  await drive(rig.clock, new Promise((r) => rig.clock.setTimeout(r as () => void, 5000)));
  t.equal(lock.health().state, 'online');
  t.equal(rig.emu.state(), 'locked', 'intended locked: re-locked on return');
});

t.test('a lock reporting an error: DEVICE_ERROR naming it, degraded, nothing retried', async (t) => {
  const { rig, lock } = await started(t);
  rig.emu.faults.rejectWith = 0x42;
  const result = await drive(rig.clock, lock.unlock(1000));
  t.equal(code(result), 'DEVICE_ERROR');
  t.match(!result.ok && (result.error as Error).message, /K_ERROR_MOTOR_BLOCKED/);
  t.equal(lock.health().state, 'degraded');
  t.same(rig.emu.actions(), []);
});

t.test('link dropped after the lock accepted: unconfirmed DEVICE_TIMEOUT, the next command reconnects', async (t) => {
  const { rig, lock } = await started(t, { link: 'keep_alive' });
  const unconfirmed: string[] = [];
  lock.nuki.on('unconfirmed', (u) => unconfirmed.push(u.reason));
  rig.emu.faults.silentAfterAccept = true;
  const pending = lock.unlock(2000);
  for (let i = 0; i < 5; i++) { await settle(); rig.clock.advance(100); }
  rig.links.at(-1)!.drop('out of range');
  const result = await drive(rig.clock, pending);
  t.equal(code(result), 'DEVICE_TIMEOUT');
  t.equal(unconfirmed.length, 1);
  t.equal(lock.state(), 'unknown');
  rig.emu.faults.silentAfterAccept = false;
  await drive(rig.clock, new Promise((r) => rig.clock.setTimeout(r as () => void, 3000)));
  t.equal(code(await drive(rig.clock, lock.lock())), 'ok');
  t.equal(rig.emu.state(), 'locked');
});

t.test('low battery: one lowBattery event on the critical flag or below the threshold', async (t) => {
  const { rig, lock } = await started(t, { lowBatteryPercent: 25, pollMs: 10_000 });
  const low: number[] = [];
  lock.nuki.on('lowBattery', (b) => low.push(b.percent));
  rig.emu.setBattery(24);
  rig.clock.advance(10_000); await settle();
  rig.clock.advance(10_000); await settle();
  t.same(low, [24], 'once while it stays low');
  rig.emu.setBattery(90);
  rig.clock.advance(10_000); await settle();
  rig.emu.setBattery(60, true);
  rig.clock.advance(10_000); await settle();
  t.same(low, [24, 60], 'again after recovering: the critical flag alone');
});

t.test('wrong key, corrupted replies and random notifications confirm nothing and crash nothing', async (t) => {
  const rig = nukiRig();
  const real = await rig.pairNow();
  const wrong: NukiCredentials = { ...real, sharedKey: new Uint8Array(32).fill(9) };
  const lock = new NukiLockActuator({ id: 'x', connector: rig.connector, credentials: { load: () => wrong }, clock: rig.clock, logger: rig.logger, responseTimeoutMs: 500, retries: 0, pollMs: 0 });
  await drive(rig.clock, lock.start());
  t.equal(lock.health().state, 'offline', 'a lock that cannot be read with our key is not online');
  t.teardown(() => drive(rig.clock, lock.stop()));

  const r2 = nukiRig();
  const c2 = await r2.pairNow();
  const victim = new NukiLockActuator({ id: 'y', connector: r2.connector, credentials: { load: () => c2 }, clock: r2.clock, logger: r2.logger, responseTimeoutMs: 500, retries: 1, backoffMs: 100, pollMs: 0 });
  await drive(r2.clock, victim.start());
  t.teardown(() => drive(r2.clock, victim.stop()));
  r2.emu.faults.corrupt = true;
  t.equal(code(await drive(r2.clock, victim.unlock(1000))), 'DEVICE_TIMEOUT');
  t.ok(victim.droppedValues() > 0, 'the corrupted values were dropped');
  t.notOk(victim.state() === 'unlocked');
  r2.emu.faults.corrupt = false;

  await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 90 }), { maxLength: 8 }), async (noise) => {
    const r = nukiRig();
    const c = await r.pairNow();
    r.emu.faults.silent = true; // only the noise answers
    const confirmed: string[] = [];
    const l = new NukiLockActuator({ id: 'z', connector: { connect: async () => {
      const link = await r.connector.connect();
      queueMicrotask(() => { for (const v of noise) void r.links.at(-1)!.b.channel(NUKI_KEYTURNER_USDIO).send(v.subarray(0, 20)).catch(() => undefined); });
      return link;
    } }, credentials: { load: () => c }, clock: r.clock, logger: r.logger, responseTimeoutMs: 200, retries: 0, pollMs: 0 });
    l.on('state', (s) => confirmed.push(s));
    await drive(r.clock, l.start());
    const out = await drive(r.clock, l.unlock(1000));
    await drive(r.clock, l.stop());
    return !out.ok && !confirmed.includes('unlocked') && r.emu.actions().length === 0;
  }), { numRuns: 25 });
});

t.test('logs never carry the shared key', async (t) => {
  const { rig, lock, credentials } = await started(t, { responseTimeoutMs: 300, retries: 1 });
  await drive(rig.clock, lock.unlock(1000));
  rig.emu.faults.silent = true;
  await drive(rig.clock, lock.lock());
  const all = rig.logs.join('');
  const key = Buffer.from(credentials.sharedKey);
  t.ok(all.length > 0);
  for (const form of [key.toString('hex'), key.toString('base64'), Array.from(key).join(',')]) t.notOk(all.includes(form));
});

t.test('not paired: offline with a reason, commands reject DEVICE_OFFLINE; bad config rejects CONFIG_INVALID', async (t) => {
  const rig: Rig = nukiRig();
  const lock = new NukiLockActuator({ id: 'n', connector: rig.connector, credentials: { load: () => undefined }, clock: rig.clock, logger: rig.logger });
  await lock.start();
  t.same([lock.health().state, lock.health().reason], ['offline', 'not paired: run lockgw ble pair']);
  await t.rejects(lock.unlock(100), { code: 'DEVICE_OFFLINE' });
  await lock.stop();
  t.throws(() => new NukiLockActuator({ id: 'n', connector: rig.connector, credentials: { load: () => undefined }, clock: rig.clock, logger: rig.logger, retries: -1 }), { code: 'CONFIG_INVALID' });
  t.ok(isGatewayError(await lock.lock().catch((e: unknown) => e), 'NOT_STARTED'));
});

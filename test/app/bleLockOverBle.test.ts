/**
 * BLE locks end to end: the gateway's real noble (LockRadio, lockgw ble, NukiLockActuator in a
 * Gateway) against the lock emulator on real bleno (lockgw lock-sim's server), over the virtual
 * radio, in one process.
 */
import t, { type Test } from 'tap';

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import type { GatewayConfig, GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { runBle } from '../../src/cli/bleCommand.js';
import { PAIRING_FILE } from '../../src/app/pairingVault.js';
import { isGatewayError } from '../../src/kernel/gatewayError.js';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { loggerOptions } from '../../src/kernel/logger.js';
import { Gateway } from '../../src/app/gateway.js';
import type { DoorStatus } from '../../src/doors/doorController.js';
import { lockSimRig, type LockSimRig } from '../support/lockSimRig.js';

/** a door of the demo site (the rules the gateway seeds), here with a BLE lock */
const DOOR = 'gym';

function configFor(rig: LockSimRig, dataDir: string): GatewayConfigInput {
  return {
    gateway: { id: 'gw-e2e', dataDir },
    ble: { locks: { adapter: { uart: rig.gatewayUart }, scanMs: 1000 } },
    doors: [{ id: DOOR, hardware: 'ble', ble: { lock: { address: rig.lockAddress.toUpperCase() } } }],
  };
}

/** `later` runs on teardown, last in first out: the gateway stops before the radio it uses */
async function setup(t: Test, emulator: Parameters<typeof lockSimRig>[0] = {}): Promise<{ rig: LockSimRig; config: GatewayConfig; dataDir: string; later(fn: () => unknown): void }> {
  const rig = await lockSimRig(emulator);
  const dataDir = mkdtempSync(join(tmpdir(), 'lockgw-ble-e2e-'));
  const stops: (() => unknown)[] = [() => rig.stop(), () => rmSync(dataDir, { recursive: true, force: true })];
  t.teardown(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  return { rig, config: parseConfig(configFor(rig, dataDir)), dataDir, later: (fn) => stops.push(fn) };
}

async function ble(verb: string, config: GatewayConfig, options: Parameters<typeof runBle>[2] = {}): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runBle(verb, config, options, (l) => lines.push(l));
  return { code, lines };
}

t.test('lockgw ble pair against the emulator in pairing mode seals the pairing; scan lists the lock as paired', async (t) => {
  const { rig, config, dataDir } = await setup(t, { pairingMode: true });
  const before = await ble('scan', config, { timeout: '1', json: true });
  const seen = before.lines.map((l) => JSON.parse(l) as { address: string; pairingMode: boolean; pairedDoor: string | null; name: string });
  t.match(seen, [{ address: rig.lockAddress, pairingMode: true, pairedDoor: null, name: /^Nuki_[0-9A-F]{8}$/ }], 'the lock advertises its pairing service');

  const paired = await ble('pair', config, { door: DOOR });
  t.equal(paired.code, 0);
  t.match(paired.lines.join('\n'), new RegExp(`paired door ${DOOR} with lock ${rig.lockAddress} \\(authorization \\d+\\)`));
  t.equal(rig.emu.authorizations.size, 1, 'the lock holds one authorization');
  const auth = [...rig.emu.authorizations.values()][0]!;
  t.equal(auth.name, 'lockgw gw-e2e');

  const file = join(dataDir, PAIRING_FILE);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the pairing file is private');
  const text = readFileSync(file, 'utf8');
  const key = Buffer.from(auth.sharedKey);
  for (const form of [key.toString('hex'), key.toString('base64'), [...key].join(',')]) t.notOk(text.includes(form), 'the shared key is not in the file in clear');
  t.match(JSON.parse(text), { pairings: [{ doorId: DOOR, address: rig.lockAddress, profile: 'nuki' }] });

  rig.emu.setPairingMode(false);
  const after = await ble('scan', config, { timeout: '1' });
  t.match(after.lines[0], new RegExp(`^${rig.lockAddress} .*Nuki_.* paired: door ${DOOR}$`));
  t.notMatch(after.lines[0], /PAIRING MODE/, 'out of pairing mode it advertises the keyturner service');
  t.equal(after.lines.at(-1), '1 device in range');
});

t.test('lockgw ble pair with the lock out of pairing mode fails clearly and writes nothing', async (t) => {
  const { rig, config, dataDir } = await setup(t, { pairingMode: false });
  const err = await ble('pair', config, { door: DOOR }).catch((e: unknown) => e);
  t.ok(isGatewayError(err), `a GatewayError: ${String(err)}`);
  t.match(err, { message: /refused pairing: P_ERROR_NOT_PAIRING/, details: { hint: /button for 5 s to enter pairing mode/ } });
  t.throws(() => statSync(join(dataDir, PAIRING_FILE)), { code: 'ENOENT' }, 'no pairing file');
  t.equal(rig.emu.authorizations.size, 0);
});

/**
 * The gateway's side of a wait: every line it logs (a sign of life to look again on) and what its
 * lock actuator waits on, from the actuator's `activity` debug log (NukiLockActuator's class
 * comment): 'connecting', 'sending', 'awaiting' or 'idle'.
 */
interface GatewayWatch {
  logger: pino.Logger;
  logs: string[];
  activity(): string;
  onLine(listener: () => void): () => void;
}

function gatewayWatch(): GatewayWatch {
  const logs: string[] = [];
  const lines = new EventEmitter<{ line: [] }>();
  let activity = 'idle';
  const logger = pino(loggerOptions('debug'), new Writable({
    write(chunk, _enc, done) {
      const line = String(chunk);
      logs.push(line);
      const entry = JSON.parse(line) as { msg?: string; activity?: string };
      if (entry.msg === 'activity' && entry.activity) activity = entry.activity;
      lines.emit('line');
      done();
    },
  }));
  return { logger, logs, activity: () => activity, onLine(listener) { lines.on('line', listener); return () => lines.off('line', listener); } };
}

/**
 * Nothing but the gateway's clock can move things on: the lock runs no motor or latch timer and
 * every value it sent was confirmed, and the gateway's actuator waits on nothing but a timer
 * (idle), an answer the lock is not giving (awaiting), or a connection to a lock that is off the
 * air. Its writes and disconnects are always acknowledged by the radio, so while one is on its
 * way (sending) or a connection can complete, it is not stalled.
 */
function stalled(rig: LockSimRig, gateway: GatewayWatch): boolean {
  if (rig.lockBusy()) return false;
  const activity = gateway.activity();
  return activity === 'idle' || activity === 'awaiting' || (activity === 'connecting' && !rig.lockReachable());
}

/**
 * Until `check` holds: looks again on every sign of life (a packet on the air, a lock send
 * settling, a lock timer, a gateway log line); when the rig is stalled, fires the gateway's next
 * timer (a poll, a timeout, a backoff) by moving its clock to it. The clock never moves while an
 * exchange is answering, so no timeout fires early. With `clock: false` it only waits. `wallMs`
 * is a guard: it fails the wait, it is not waited for.
 */
async function until(w: { rig: LockSimRig; watch: GatewayWatch; clock: ManualClock }, check: () => boolean, what: string, { clock = true, wallMs = 15_000 } = {}): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let looking = false;
    let advanced = 0;
    const offs: (() => void)[] = [];
    const finish = (err?: Error) => {
      clearTimeout(guard);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    const state = () => `gateway ${w.watch.activity()}, lock ${w.rig.lockBusy() ? 'busy' : 'quiet'}, clock moved ${advanced} times, pending timers: ${w.clock.pending().join(', ')}`;
    const guard = setTimeout(() => finish(new Error(`gave up waiting for ${what} after ${wallMs} ms of wall time (${state()})`)), wallMs);
    const look = () => {
      if (looking) return;
      looking = true;
      // after the turn of I/O that woke us, with every promise it settled run
      setImmediate(() => {
        looking = false;
        if (check()) return finish();
        if (!clock || !stalled(w.rig, w.watch)) return;
        const next = w.clock.pending()[0];
        if (next === undefined) return finish(new Error(`nothing left to wait for ${what} (${state()})`));
        advanced++;
        w.clock.advance(next);
        look();
      });
    };
    offs.push(w.rig.onActivity(look), w.watch.onLine(look));
    look();
  });
}

interface Site {
  rig: LockSimRig;
  watch: GatewayWatch;
  gateway: Gateway;
  clock: ManualClock;
  status(): DoorStatus;
  alarms(): string[];
}

async function pairedSite(t: Test, emulator: Parameters<typeof lockSimRig>[0] = {}): Promise<Site> {
  const { rig, config, later } = await setup(t, { pairingMode: true, ...emulator });
  await ble('pair', config, { door: DOOR });
  rig.emu.setPairingMode(false);
  const clock = new ManualClock('2026-11-23T09:00:00Z');
  const watch = gatewayWatch();
  const { logger, logs } = watch;
  const withPoll = parseConfig({ ...configFor(rig, config.gateway.dataDir), doors: [{ id: DOOR, hardware: 'ble', ble: { lock: { address: rig.lockAddress, pollMs: 10_000 } } }] });
  const gateway = new Gateway(withPoll, { clock, logger });
  const reconciled = rig.nextAction(15_000);
  await gateway.start();
  later(() => gateway.stop());
  later(() => { if (!t.passing()) t.comment(logs.slice(-40).join('')); });
  const status = () => gateway.doors.status().find((d) => d.doorId === DOOR)!;
  const alarms = () => {
    gateway.journal.flush();
    return gateway.journal.recent(0, 10_000).filter((e) => e.type === 'alarm' && e.doorId === DOOR).map((e) => e.reason ?? '');
  };
  const site = { rig, watch, gateway, clock, status, alarms };
  await until(site, () => status().health.state === 'online', 'the door to come online');
  // the door asserts what it owns (locked) when its lock comes online
  t.equal((await reconciled).action, 'lock', 'the lock was locked when the door came online');
  await until(site, () => status().actuator === 'locked', 'the lock to read locked');
  return site;
}

t.test('a gateway with a BLE door: online, a remote unlock unlatches and re-locks, actions confirmed by the lock', async (t) => {
  const site = await pairedSite(t);
  const { rig, gateway, clock, status } = site;

  const unlatched = rig.nextAction(15_000);
  const unlockedAt = clock.now();
  gateway.doors.get(DOOR)!.remoteUnlock(3000, 'e2e');
  t.equal((await unlatched).action, 'unlatch', 'the lock unlatched');
  await until(site, () => status().actuator === 'unlocked', 'the door to report the lock unlocked', { clock: false });
  t.equal(status().actuator, 'unlocked', 'the door reports the lock unlocked');
  t.equal(rig.emu.state() === 'unlatched' || rig.emu.state() === 'unlocked', true);

  const relocked = rig.nextAction(15_000);
  await until(site, () => rig.emu.actions().length === 3, 'the re-lock');
  t.equal((await relocked).action, 'lock', 'locked again after the release');
  t.ok(clock.now() - unlockedAt >= 3000, 'not before the release ended');
  await until(site, () => status().actuator === 'locked', 'the door to report the lock locked', { clock: false });
  t.equal(status().actuator, 'locked');
  t.equal(rig.emu.state(), 'locked');
  t.same(rig.emu.actions().map((a) => a.action), ['lock', 'unlatch', 'lock']);
});

t.test('the lock vanishes: the door goes offline with a reason; back, it is online by itself and a lockdown set meanwhile holds', async (t) => {
  const site = await pairedSite(t);
  const { rig, gateway, status } = site;
  await rig.vanish();
  await until(site, () => status().health.state === 'offline', 'the door to go offline');
  t.match(status().health.reason, /no answer from the lock|not in range|no connection/, `offline with a reason: ${status().health.reason}`);
  t.equal(status().actuator, 'unknown');

  gateway.setLockdown(DOOR, true);
  rig.emu.turnByHand('unlocked'); // someone opened it with a key while the gateway could not see it
  await rig.appear();
  await until(site, () => status().health.state === 'online' && rig.emu.state() === 'locked' && status().actuator === 'locked', 'the door to come back, locked');
  t.equal(status().mode, 'lockdown');
  t.throws(() => gateway.doors.get(DOOR)!.remoteUnlock(1000, 'e2e'), /locked down/);
  t.equal(rig.emu.actions().at(-1)?.action, 'lock', 'the lock was locked on its return');
});

t.test('a low battery at the lock is a low_battery alarm in the journal', async (t) => {
  const site = await pairedSite(t);
  const { rig, alarms } = site;
  rig.emu.setBattery(12);
  await until(site, () => alarms().includes('low_battery'), 'a low_battery alarm');
  t.equal(alarms().filter((a) => a === 'low_battery').length, 1);
});

t.test('corrupted values from the lock confirm nothing and crash nothing; the door recovers when the air clears', async (t) => {
  const site = await pairedSite(t);
  const { rig, gateway, status, alarms } = site;
  const before = rig.emu.actions().length;
  let corrupted = 0;
  rig.ble.radio.fault = (f) => {
    if (f.from !== 'lock' || f.payload.length <= 8) return [f.payload];
    corrupted++;
    const p = Buffer.from(f.payload);
    p[p.length - 1]! ^= 0x5a;
    return [p];
  };
  gateway.doors.get(DOOR)!.remoteUnlock(3000, 'e2e');
  await until(site, () => status().health.state === 'offline', 'the door to give up on the lock');
  t.ok(corrupted > 0, `${corrupted} values corrupted in the air`);
  t.equal(rig.emu.actions().length, before, 'the lock did nothing: no challenge reached the gateway intact');
  t.not(status().actuator, 'unlocked', 'nothing confirmed an unlock');
  t.ok(alarms().includes('lock_unconfirmed'), 'the unconfirmed command is an alarm');

  rig.ble.radio.fault = null;
  await until(site, () => status().health.state === 'online' && status().actuator === 'locked', 'the door to recover');
  t.equal(rig.emu.state(), 'locked');
});

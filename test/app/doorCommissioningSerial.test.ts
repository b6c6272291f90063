/**
 * Commissioning a serial door end to end over socat PTYs: a Wiegand bridge emulator (reader,
 * LED, contact, REX, fire input), a relay board emulator and an R30x emulator, the real gateway
 * and SQLite, the control socket and the `lockgw` verbs. ManualClock; waits are on I/O events
 * with a guard.
 */
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { runCli } from '../../src/cli/lockgw.js';
import { PATTERN_MS } from '../../src/control/streams/doorTestStream.js';
import { INDICATOR_PATTERNS } from '../../src/hal/indicatorPatterns.js';
import { R30xSensor } from '../../src/hal/serial/fingerprint/r30xSensor.js';
import { SerialLink } from '../../src/hal/serial/serialLink.js';
import type { RelayFrame } from '../../src/hal/serial/relay/relayFrame.js';
import type { BridgeCommand } from '../../src/hal/serial/wiegand/bridgeLine.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { BridgeEmulator } from '../support/bridgeEmulator.js';
import { controlServer } from '../support/controlRig.js';
import { gatewayFixture } from '../support/gatewayFixture.js';
import { ptyPair, socatAvailable } from '../support/ptyPair.js';
import { R30xEmulator } from '../support/r30xEmulator.js';
import { RelayBoardEmulator } from '../support/relayBoardEmulator.js';

const pty = { skip: !socatAvailable() && 'socat is not installed (apt-get install socat)' };
const WAIT_MS = 10_000;

function within<T>(what: string, work: (resolve: (v: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let off: () => void = () => undefined;
    const guard = setTimeout(() => { off(); reject(new Error(`timed out waiting for ${what}`)); }, WAIT_MS);
    off = work((v) => { clearTimeout(guard); off(); resolve(v); });
  });
}

async function site(t: Test) {
  const [bridgePty, relayPty, fpPty] = [await ptyPair(t), await ptyPair(t), await ptyPair(t)];
  const logger = pino({ level: 'silent' });
  const peerClock = new ManualClock('2026-11-23T09:00:00Z');
  const ends = [new SerialLink({ path: bridgePty.b, baudRate: 115_200, clock: peerClock, logger }), new SerialLink({ path: relayPty.b, baudRate: 9_600, clock: peerClock, logger })];
  for (const end of ends) await end.start();
  t.teardown(async () => { for (const end of ends) await end.stop(); });
  const bridge = new BridgeEmulator({ clock: peerClock, link: ends[0], inputs: [{ port: 1, line: 'contact', state: 'normal' }, { port: 1, line: 'rex', state: 'open' }, { port: 3, line: 'aux', state: 'normal' }] });
  await bridge.start();
  const relays = new RelayBoardEmulator({ channels: 4 });
  relays.attach(ends[1]!);
  const fp = new R30xEmulator({ link: new SerialLink({ path: fpPty.b, baudRate: 57_600, clock: peerClock, logger }) });
  await fp.start();
  t.teardown(() => fp.stop());

  const f = await gatewayFixture(t, {
    serial: {
      // the emulator's heartbeats are not on the gateway's clock: the tests move that clock by less than this
      wiegandBridges: [{ id: 'b1', path: bridgePty.a, heartbeatTimeoutMs: 60_000 }],
      relayBoards: [{ id: 'r1', path: relayPty.a, channels: 4, refreshMs: 0 }],
      fingerprintSensors: [{ id: 'lobby-fp', path: fpPty.a }],
    },
    doors: [{
      id: 'lobby', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 }, fingerprint: 'lobby-fp' },
      inputs: { contact: { bridge: 'b1', port: 1, supervised: true }, rex: { bridge: 'b1', port: 1 } },
    }],
    fire: { input: { bridge: 'b1', port: 3, supervised: true } },
  });
  const server = controlServer(f);
  await server.start();
  t.teardown(() => server.stop());
  await bridge.sendHeartbeat();
  const sensor = f.gateway.doors.devicesOf('lobby')!.readers.find((r): r is R30xSensor => r instanceof R30xSensor)!;
  if (sensor.health().state !== 'online') await within('the R30x sensor online', (done) => { const on = () => sensor.health().state === 'online' && done(undefined); sensor.on('health', on); on(); return () => sensor.off('health', on); });
  // an enrolment waits on the gateway's clock between two images: move it on as soon as it waits
  sensor.diagnostics.on('waiting', (ms) => setImmediate(() => f.clock.advance(ms)));

  const frame = (channel: number, energised: boolean) => within<RelayFrame>(`relay ${channel}=${energised}`, (done) => {
    const check = (fr: RelayFrame) => fr.channel === channel && fr.energised === energised && done(fr);
    relays.on('frame', check);
    return () => relays.off('frame', check);
  });
  /** the next `L 1 <p>` the bridge received after the `from`-th command */
  const pattern = (p: string, from: number) => within<BridgeCommand>(`L 1 ${p}`, (done) => {
    const check = () => {
      const hit = bridge.commands().slice(from).find((c) => c.type === 'indicator' && c.port === 1 && c.pattern === p);
      if (hit) done(hit);
    };
    bridge.on('command', check);
    check();
    return () => bridge.off('command', check);
  });

  /** a `lockgw` run whose output lines can be awaited while it runs */
  const cli = (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const waiters = new Set<() => void>();
    const code = runCli([...args, '--config', f.configFile], (l) => { out.push(l); for (const w of [...waiters]) w(); }, (l) => err.push(l));
    const line = (re: RegExp) => within<string>(`a line ${re} (so far: ${out.join(' | ')})`, (done) => {
      const check = () => { const hit = out.find((l) => re.test(l)); if (hit !== undefined) done(hit); };
      waiters.add(check);
      check();
      return () => waiters.delete(check);
    });
    return { out, err, code, line };
  };
  return { f, bridge, relays, fp, sensor, frame, pattern, cli };
}

t.test('door test on a serial door: the relay pulses, the bridge shows each pattern, the inputs read live from the bridge', pty, async (t) => {
  const s = await site(t);
  const pulsed = s.frame(1, true);
  let from = s.bridge.commands().length;
  const run = s.cli(['door', 'test', '--door', 'lobby', '--watch', '20s']);
  await pulsed;
  for (const p of INDICATOR_PATTERNS) {
    await s.pattern(p, from);
    from = s.bridge.commands().length;
    await run.line(new RegExp(`^led +${p} +shown$`));
    s.f.clock.advance(PATTERN_MS);
  }
  await run.line(/^input +fire +normal$/);
  t.match(run.out.join('\n'), /input +door +closed/);
  await s.bridge.setInput(1, 'contact', 'active');
  await run.line(/^\d\d:\d\d:\d\d door OPEN$/);
  await s.bridge.setInput(3, 'aux', 'active');
  await run.line(/^\d\d:\d\d:\d\d fire FIRE ACTIVE$/);
  s.f.clock.advance(20_000);
  t.equal(await run.code, 0, run.err.join('\n'));
  for (const device of ['lobby-reader', 'lobby-lock', 'lobby-contact', 'lobby-rex', 'lobby-led', 'fire-input']) {
    t.match(run.out.join('\n'), new RegExp(`lobby HEALTH ${device} online \\(`), `${device} reported: ${run.out.find((l) => l.includes(` ${device} `))}`);
  }
  // the sensor polls on the gateway's clock, which this test moves in jumps that can outrun a reply (degraded, with why)
  t.match(run.out.join('\n'), /lobby HEALTH lobby-fp (online|DEGRADED) \(/, 'the fingerprint sensor reported');
  t.match(s.f.gateway.journal.recent(0, 1000).find((e) => e.reason === 'door_test'), { doorId: 'lobby', grant: true, data: { uid: process.getuid!() } });
});

t.test('learn at a serial door: the card read by the bridge is printed, denied, and kept out of the journal and the logs', pty, async (t) => {
  const s = await site(t);
  const run = s.cli(['learn', '--door', 'lobby']);
  await run.line(/learn mode at door lobby for 60 s/);
  await s.bridge.sendCard(1, 'H10301', 77, 4242);
  t.equal(await run.code, 0);
  t.match(run.out, [/learn mode/, 'learned  card 26:77:4242', 'enrol it: lockgw credential add CREDENTIAL-ID --person PERSON --card 26:77:4242', 'end      learned']);
  const rows = s.f.gateway.journal.recent(0, 10_000);
  t.match(rows.find((r) => r.reason === 'unknown_credential'), { doorId: 'lobby', grant: false });
  t.ok(rows.some((r) => r.reason === 'learn_captured'));
  t.notMatch(JSON.stringify(rows), /4242/, 'not in the journal rows (the cloud uploads these)');
  t.notMatch(s.f.logs.join(''), /4242/, 'not in the log output');
  t.equal(s.relays.frames().filter((fr) => fr.energised).length, 0, 'the door did not open');
});

t.test('fingerprint enroll over the R30x: place, lift, place again, stored in the module, journaled; delete removes it', pty, async (t) => {
  const s = await site(t);
  const run = s.cli(['fingerprint', 'enroll', '--door', 'lobby', '--slot', '7']);
  await run.line(/place the finger/);
  s.fp.placeFinger('dana');
  await run.line(/lift the finger/);
  s.fp.liftFinger();
  await run.line(/place the same finger again/);
  s.fp.placeFinger('dana');
  t.equal(await run.code, 0, run.err.join('\n'));
  t.match(run.out.at(-1), 'end      enrolled at slot 7');
  t.equal(s.fp.templates().get(7), 'dana');
  t.match(s.f.gateway.journal.recent(0, 1000).find((e) => e.reason === 'fingerprint_enrolled'), { type: 'security', doorId: 'lobby', data: { reader: 'lobby-fp', slot: 7 } });
  s.fp.liftFinger();
  const del = await runCli(['fingerprint', 'delete', '--door', 'lobby', '--slot', '7', '--config', s.f.configFile], () => undefined, () => undefined);
  t.equal(del, 0);
  t.notOk(s.fp.templates().has(7));
});

t.test('fingerprint enroll with nobody at the sensor times out on the Clock with a clear error (exit 1)', pty, async (t) => {
  const s = await site(t);
  const run = s.cli(['fingerprint', 'enroll', '--door', 'lobby', '--slot', '2']);
  t.equal(await run.code, 1);
  t.match(run.err.join('\n'), /no finger was placed on the sensor in time/);
  t.notOk(s.fp.templates().has(2));
});

t.test('fingerprint enroll beyond the library is a clear error naming the slot range (exit 2)', pty, async (t) => {
  const s = await site(t);
  const run = s.cli(['fingerprint', 'enroll', '--door', 'lobby', '--slot', '500']);
  t.equal(await run.code, 2);
  t.match(run.err.join('\n'), /slot must be 0\.\.199, got 500/);
});

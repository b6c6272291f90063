import t from 'tap';
import { statSync } from 'node:fs';
import { runCli } from '../../src/cli/lockgw.js';
import { gatewayFixture } from '../support/gatewayFixture.js';
import { ptyPair, socatAvailable } from '../support/ptyPair.js';
import { controlRig, rawClient } from '../support/controlRig.js';

t.test('the socket is a local Unix socket with mode 0660, in the configured group', async (t) => {
  const { socketPath } = await controlRig(t, {}, { group: 'nogroup' });
  const st = statSync(socketPath);
  t.ok(st.isSocket());
  t.equal(st.mode & 0o777, 0o660);
  t.equal(st.gid, 65534);
});

t.test('an unknown control.group refuses the start, naming it', async (t) => {
  await t.rejects(controlRig(t, {}, { group: 'no-such-group-here' }), { code: 'CONFIG_INVALID', message: /control.group no-such-group-here/ });
});

t.test('lockgw sim drives the running daemon\'s simulated devices and prints what happened', async (t) => {
  const { f, cli } = await controlRig(t);
  let r = await cli(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567']);
  t.equal(r.code, 0);
  t.match(r.out, /#1 10:00:00 lobby GRANTED granted {2}alice via resident/);
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'unlocked');
  r = await cli(['sim', 'keys', '--door', 'server-room', '4321#']);
  t.match(r.out, /DENIED {2}second_factor_required/);
  r = await cli(['sim', 'door', '--door', 'gym', 'open']);
  t.match(r.out, /gym ALARM forced_open/);
  r = await cli(['sim', 'door', '--door', 'gym', 'open']);
  t.equal(r.code, 0, 'an unchanged level is not a failure');
  t.match(r.out, /door gym's contact: no change: already/);
  r = await cli(['sim', 'rex', '--door', 'pool']);
  t.match(r.out, /pool GRANTED request_to_exit/);
  r = await cli(['sim', 'finger', '--door', 'lobby', '--slot', '3']);
  t.match(r.out, /DENIED {2}outside_schedule {2}dave/);
  r = await cli(['sim', 'phone', '--door', 'lobby', '--mobile', 'erin-phone']);
  t.match(r.out, /GRANTED granted {2}erin via resident/);
  r = await cli(['sim', 'fire', 'on']);
  t.equal(r.code, 0);
  t.match(r.out, /ALARM fire_release/);
  r = await cli(['status']);
  t.match(r.out, /lobby +fire +unlocked/);
  t.match(r.out, /gym .*ALARMS: forced_open/);
  r = await cli(['sim', 'fire', 'off']);
  t.equal(r.code, 0);
});

t.test('every failed sim is a failure with a code, a message and a non-zero exit', async (t) => {
  const { f, cli } = await controlRig(t);
  let r = await cli(['sim', 'present', '--door', 'attic', '--card', '26:1:1']);
  t.equal(r.code, 2, 'an unknown door is a usage error');
  t.match(r.err, /door attic does not exist on this gateway \(simulated doors: lobby, garage/);
  f.gateway.simulated!.doors.get('lobby')!.cardReader.setOffline('unplugged');
  r = await cli(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567']);
  t.equal(r.code, 1, 'nothing delivered is an error');
  t.match(r.err, /door lobby's card reader delivered nothing: offline: unplugged/);
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'locked');
  r = await cli(['sim', 'lockdown', '--door', 'lobby', 'on']);
  t.equal(r.code, 2);
  t.match(r.err, /lockdown acts on real doors and is its own verb: lockgw lockdown on\|off/);
  for (const args of [['sim', 'keys', '--door', 'lobby'], ['sim', 'present', '--door', 'lobby'], ['sim', 'fire', 'maybe'], ['sim', 'teleport'], ['sim', 'finger', '--door', 'lobby']]) {
    r = await cli(args);
    t.equal(r.code, 2, `${args.join(' ')} is a usage error`);
    t.match(r.err, /^lockgw: /);
  }
  r = await cli(['sim', 'present', '--door', 'lobby', '--card', '26:999:1']);
  t.equal(r.code, 2);
  t.match(r.err, /H10301/);
});

const noSocat = !socatAvailable() && 'socat is not installed (apt-get install socat)';

t.test('sim fire on a gateway whose doors are real is refused and releases nothing', { skip: noSocat }, async (t) => {
  const bridge = await ptyPair(t);
  const relay = await ptyPair(t);
  const { f, cli } = await controlRig(t, {
    serial: { wiegandBridges: [{ id: 'b1', path: bridge.a }], relayBoards: [{ id: 'r1', path: relay.a, channels: 4, refreshMs: 0 }] },
    doors: [{ id: 'lobby', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 } } }],
  });
  const before = f.gateway.journal.stats().lastSeq;
  let r = await cli(['sim', 'fire', 'on']);
  t.equal(r.code, 3, 'refused');
  t.match(r.err, /sim acts on simulated devices only/);
  t.equal(f.gateway.journal.recent(before, 100).filter((e) => e.reason === 'fire_release').length, 0, 'no fire release journaled');
  t.notMatch((await cli(['status'])).out, /lobby +fire/);
  r = await cli(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567']);
  t.equal(r.code, 3);
  t.match(r.err, /door lobby has no simulated devices \(simulated doors: none\)/);
});

t.test('bad request lines get a reason and the connection carries on', async (t) => {
  const { socketPath } = await controlRig(t);
  const c = rawClient(socketPath);
  c.socket.write('not json\n{"command":"present","door":"lobby"}\n{"command":"prove","challenge":"00"}\n{"command":"status"}\n');
  const lines = (await c.nextLines(4)).map((l) => JSON.parse(l));
  t.match(lines[0], { ok: false, code: 'INPUT_INVALID', error: /one line of JSON/ });
  t.match(lines[1], { ok: false, code: 'INPUT_INVALID', error: /card/ });
  t.match(lines[2], { ok: false, code: 'INPUT_INVALID', error: /32 lowercase hex/ });
  t.match(lines[3], { ok: true, doors: Array });
  c.socket.destroy();
});

t.test('a request too long for a line is refused and the connection closed', async (t) => {
  const { socketPath } = await controlRig(t);
  const c = rawClient(socketPath);
  c.socket.write('x'.repeat(5000));
  await c.closed;
  t.match(JSON.parse(c.lines[0]!), { ok: false, code: 'INPUT_INVALID', error: /longer than 4096/ });
  const d = rawClient(socketPath);
  d.socket.write(`${'x'.repeat(5000)}\n{"command":"status"}\n`);
  await d.closed;
  t.equal(d.lines.length, 1, 'nothing after the long line is answered');
  t.match(JSON.parse(d.lines[0]!), { ok: false, error: /longer than 4096/ });
});

t.test('without a daemon the CLI says how to start one and exits 1', async (t) => {
  const f = await gatewayFixture(t);
  const err: string[] = [];
  t.equal(await runCli(['status', '--config', f.configFile], () => undefined, (l) => err.push(l)), 1);
  t.match(err.join('\n'), /no lockgw daemon is listening[\s\S]*hint: start it/);
});

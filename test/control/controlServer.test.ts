import t, { type Test } from 'tap';
import { statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { runCli } from '../../src/cli/lockgw.js';
import { ControlServer } from '../../src/control/controlServer.js';
import { gatewayFixture } from '../support/gatewayFixture.js';

async function setup(t: Test) {
  const f = await gatewayFixture(t);
  const server = new ControlServer(join(f.dataDir, 'lockgw.sock'), f.gateway.controlTarget(), pino({ level: 'silent' }));
  await server.start();
  t.teardown(() => server.stop());
  const cli = async (args: string[]) => {
    const lines: string[] = [];
    const code = await runCli([...args, '--config', f.configFile], (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  };
  return { f, server, cli };
}

t.test('the socket is a local Unix socket with mode 0660', async (t) => {
  const { f } = await setup(t);
  const st = statSync(join(f.dataDir, 'lockgw.sock'));
  t.ok(st.isSocket());
  t.equal(st.mode & 0o777, 0o660);
});

t.test('lockgw sim drives the running daemon\'s simulated devices and prints what happened', async (t) => {
  const { f, cli } = await setup(t);
  let r = await cli(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567']);
  t.match(r.out, /#1 10:00:00 lobby GRANTED granted {2}alice via resident/);
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'unlocked');
  r = await cli(['sim', 'keys', '--door', 'server-room', '4321#']);
  t.match(r.out, /DENIED {2}second_factor_required/);
  r = await cli(['sim', 'door', '--door', 'gym', 'open']);
  t.match(r.out, /gym ALARM forced_open/);
  r = await cli(['sim', 'rex', '--door', 'pool']);
  t.match(r.out, /pool GRANTED request_to_exit/);
  r = await cli(['sim', 'finger', '--door', 'lobby', '--slot', '3']);
  t.match(r.out, /DENIED {2}outside_schedule {2}dave/);
  r = await cli(['sim', 'phone', '--door', 'lobby', '--mobile', 'erin-phone']);
  t.match(r.out, /GRANTED granted {2}erin via resident/);
  r = await cli(['sim', 'fire', 'on']);
  t.match(r.out, /ALARM fire_release/);
  r = await cli(['status']);
  t.match(r.out, /lobby +fire +unlocked/);
  t.match(r.out, /gym .*ALARMS: forced_open/);
  r = await cli(['sim', 'fire', 'off']);
  r = await cli(['sim', 'lockdown', '--door', 'lobby', 'on']);
  t.match((await cli(['status'])).out, /lobby +lockdown +locked/);
  r = await cli(['sim', 'present', '--door', 'attic', '--card', '26:1:1']);
  t.match(r.out, /door attic has no simulated devices \(simulated doors: lobby, garage/);
});

t.test('bad requests get a reason and change nothing', async (t) => {
  const { server, cli } = await setup(t);
  t.match(server.handleLine('not json'), { ok: false, code: 'INPUT_INVALID', error: /one line of JSON/ });
  t.match(server.handleLine('{"command":"present","door":"lobby"}'), { ok: false, error: /card/ });
  t.match(server.handleLine('{"command":"present","door":"lobby","card":"26:999:1"}'), { ok: false, code: 'INPUT_INVALID', error: /H10301/ });
  await t.rejects(cli(['sim', 'keys', '--door', 'lobby']), { code: 'INPUT_INVALID' });
  await t.rejects(cli(['sim', 'present', '--door', 'lobby']), { code: 'INPUT_INVALID' });
  await t.rejects(cli(['sim', 'fire', 'maybe']), { code: 'INPUT_INVALID' });
  await t.rejects(cli(['sim', 'teleport']), { code: 'INPUT_INVALID' });
});

t.test('a request too long for a line is refused', async (t) => {
  const { f } = await setup(t);
  const socket = createConnection(join(f.dataDir, 'lockgw.sock'));
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (answer += d));
  socket.write('x'.repeat(5000));
  await new Promise((resolve) => socket.on('close', resolve));
  t.match(JSON.parse(answer), { ok: false, error: /longer than 4096/ });
});

t.test('without a daemon the CLI says how to start one', async (t) => {
  const f = await gatewayFixture(t);
  await t.rejects(runCli(['status', '--config', f.configFile], () => undefined), { code: 'NOT_STARTED', message: /no lockgw daemon is listening/ });
});

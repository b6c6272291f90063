import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCli } from '../src/cli/lockgw.js';
import { DAEMON_NODE_FLAGS } from '../src/app/daemonNodeFlags.js';
import { childEnv } from './support/childEnv.js';
import { spawnDaemon } from './support/daemonProcess.js';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));


t.test('the daemon starts on a config, prints a JSON ready line, and stops cleanly on SIGTERM', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  id: gw-test\n  dataDir: ${JSON.stringify(join(dir, 'data'))}\nlog:\n  format: json\n`);
  const d = spawnDaemon(['--config', config]);
  const ready = JSON.parse(await d.readyLine);
  // the test's data dir is too long for a Unix socket: the daemon runs on without one
  t.match(d.output().out, /control socket disabled: .*longer than a Unix socket allows/);
  t.match(ready, { level: 30, gatewayId: 'gw-test', site: 'demo', revision: 1, doors: 5, msg: /Demo Apartments/ });
  t.match(d.output().out, /"level":40.*node was started without --initial-old-space-size=64/, 'started without the daemon flags: says so');
  d.child.kill('SIGTERM');
  const [code] = await once(d.child, 'exit');
  t.equal(code, 0);
  t.match(d.output().out, /"msg":"stopped"/);
});

t.test('started with the daemon flags (as npm start and the systemd unit do), it does not warn', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  id: gw-test\n  dataDir: ${JSON.stringify(join(dir, 'data'))}\nlog:\n  format: json\n`);
  const d = spawnDaemon(['--config', config], { nodeFlags: DAEMON_NODE_FLAGS });
  await d.readyLine;
  t.notMatch(d.output().out, /started without/);
  d.child.kill('SIGTERM');
  await once(d.child, 'exit');
});

t.test('a running daemon answers lockgw status and sim over its control socket', async (t) => {
  const dir = t.testdir();
  const socketDir = mkdtempSync(join(tmpdir(), 'lgw-'));
  t.teardown(() => rmSync(socketDir, { recursive: true, force: true }));
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  dataDir: ${JSON.stringify(join(dir, 'data'))}\ncontrol:\n  socket: ${JSON.stringify(join(socketDir, 'c.sock'))}\nlog:\n  format: json\n`);
  const d = spawnDaemon(['--config', config]);
  await d.readyLine;
  const lines: string[] = [];
  await runCli(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567', '--config', config], (l) => lines.push(l));
  await runCli(['status', '--config', config], (l) => lines.push(l));
  t.match(lines.join('\n'), /lobby GRANTED granted {2}alice via resident[\s\S]*lobby +normal +unlocked/);
  d.child.kill('SIGTERM');
  const [code] = await once(d.child, 'exit');
  t.equal(code, 0);
  t.match(d.output().out, /"door":"lobby","grant":true,"reason":"granted"/);
  const decisionLines = d.output().out.split('\n').filter((l) => l.includes('"grant":'));
  t.ok(decisionLines.length > 0);
  t.notOk(decisionLines.some((l) => l.includes('34567')), 'the card number is not in the decision log');
});

t.test('a bad config stops the daemon with the path and a hint, exit code 1', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'journal:\n  maxEvents: -5\n' });
  const d = spawnDaemon(['--config', join(dir, 'bad.yaml')]);
  const [code] = await once(d.child, 'exit');
  t.equal(code, 1);
  t.match(d.output().err, /CONFIG_INVALID: invalid configuration:\n {2}.*bad\.yaml: journal\.maxEvents: .*hint/);
  await d.readyLine.catch(() => undefined);
});

t.test('a crash stops the doors (actuators back to rest) before the process exits with 1', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  dataDir: ${JSON.stringify(join(dir, 'data'))}\ncontrol:\n  enabled: false\nlog:\n  format: json\n`);
  const script = join(dir, 'crash.ts');
  const mainUrl = new URL('../src/main.ts', import.meta.url).href;
  writeFileSync(script, `import { runDaemon } from ${JSON.stringify(mainUrl)};\nawait runDaemon(['--config', ${JSON.stringify(config)}]);\nsetImmediate(() => { throw new Error('a bug'); });\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(out, /"level":60.*crash: releasing nothing, de-energising every actuator/);
  t.match(out, /"module":"gateway","msg":"stopped"/, 'the doors and the journal were stopped');
});

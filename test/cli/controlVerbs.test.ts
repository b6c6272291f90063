import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLockgw as run } from '../support/cliProcess.js';
import { spawnDaemon } from '../support/daemonProcess.js';



function daemon(t: { teardown(fn: () => unknown): void }, yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-cv-'));
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  dataDir: ${JSON.stringify(dir)}\nlog:\n  format: json\n${yaml}`);
  const d = spawnDaemon(['--config', config]);
  const child = d.child;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = d.readyLine.then(() => undefined);
  ready.catch(() => undefined); // awaited by the tests
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, config, ready, output: () => d.output().out };
}

t.test('the lockgw process exits 0 done, 2 usage, 3 refused against a running daemon', async (t) => {
  const d = daemon(t, '');
  await d.ready;
  t.match(await run(['status', '--config', d.config]), { code: 0, out: /lobby/ });
  t.match(await run(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567', '--config', d.config]), { code: 0, out: /GRANTED/ });
  t.match(await run(['sim', 'present', '--door', 'attic', '--card', '26:1:1', '--config', d.config]), { code: 2, err: /door attic does not exist/ });
  t.match(await run(['sim', 'lockdown', 'on', '--config', d.config]), { code: 2, err: /its own verb/ });
  t.match(await run(['lockdown', 'on', '--door', 'gym', '--config', d.config]), { code: 0, out: /gym SECURITY control_lockdown/ });
});

t.test('control.socket naming the database: the daemon runs on without a socket, and the database is intact', async (t) => {
  const d = daemon(t, 'control:\n  socket: lockgw.db\n');
  await d.ready;
  t.match(d.output(), /control socket disabled: the control socket path .*lockgw.db is the database file lockgw.db: refusing to use it/);
  t.ok(statSync(join(d.dir, 'lockgw.db')).isFile());
  t.match(readFileSync(join(d.dir, 'lockgw.db')).subarray(0, 15).toString(), 'SQLite format 3');
});

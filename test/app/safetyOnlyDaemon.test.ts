import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../support/childEnv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The real daemon (src/main.ts) in a child process; resolves with its ready line, rejects if it exits first. */
function startDaemon(config: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), '--config', config], { cwd: root, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const readyLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('lockgw ready'));
      if (line) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${err}${out}`)));
  });
  return { child, readyLine, output: () => out + err };
}

t.test('the daemon on a corrupt database starts in safety-only mode instead of exiting, and stops cleanly', async (t) => {
  const dir = t.testdir();
  const data = join(dir, 'data');
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  id: gw-test\n  dataDir: ${JSON.stringify(data)}\nlog:\n  pretty: never\n`);
  const first = startDaemon(config);
  await first.readyLine;
  first.child.kill('SIGTERM');
  await once(first.child, 'exit');
  const fd = openSync(join(data, 'lockgw.db'), 'r+');
  writeSync(fd, Buffer.alloc(100, 'garbage'), 0, 100, 0);
  closeSync(fd);

  const d = startDaemon(config);
  const ready = JSON.parse(await d.readyLine) as Record<string, unknown>;
  t.match(ready, { level: 50, mode: 'safety-only', cause: 'corrupt', journal: 'durable', doors: 5, msg: /lockgw ready in SAFETY-ONLY mode/ });
  t.match(d.output(), /SAFETY-ONLY MODE: the database .*lockgw\.db is corrupt \(file is not a database\)/);
  t.notMatch(d.output(), /SqliteError|^\s+at /m, 'no raw SQLite error, no stack trace');
  t.ok(readdirSync(data).some((f) => f.startsWith('lockgw.db.corrupt-')), 'the corrupt file is set aside');
  t.ok(existsSync(join(data, 'safety-only.json')));
  d.child.kill('SIGTERM');
  const [code] = await once(d.child, 'exit');
  t.equal(code, 0);
});

import t from 'tap';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawnDaemon, type DaemonProcess } from '../support/daemonProcess.js';

const all = (d: DaemonProcess) => d.output().out + d.output().err;

t.test('the daemon on a corrupt database starts in safety-only mode instead of exiting, and stops cleanly', async (t) => {
  const dir = t.testdir();
  const data = join(dir, 'data');
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  id: gw-test\n  dataDir: ${JSON.stringify(data)}\nlog:\n  format: json\n`);
  const first = spawnDaemon(['--config', config]);
  await first.readyLine;
  first.child.kill('SIGTERM');
  await once(first.child, 'exit');
  const fd = openSync(join(data, 'lockgw.db'), 'r+');
  writeSync(fd, Buffer.alloc(100, 'garbage'), 0, 100, 0);
  closeSync(fd);

  const d = spawnDaemon(['--config', config]);
  const ready = JSON.parse(await d.readyLine) as Record<string, unknown>;
  t.match(ready, { level: 50, mode: 'safety-only', cause: 'corrupt', journal: 'durable', doors: 5, msg: /lockgw ready in SAFETY-ONLY mode/ });
  t.match(all(d), /SAFETY-ONLY MODE: the database .*lockgw\.db is corrupt \(file is not a database\)/);
  t.notMatch(all(d), /SqliteError|^\s+at /m, 'no raw SQLite error, no stack trace');
  t.ok(readdirSync(data).some((f) => f.startsWith('lockgw.db.corrupt-')), 'the corrupt file is set aside');
  t.ok(existsSync(join(data, 'safety-only.json')));
  d.child.kill('SIGTERM');
  const [code] = await once(d.child, 'exit');
  t.equal(code, 0);
});

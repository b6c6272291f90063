import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { createBackup } from '../../src/app/backupBundle.js';
import { restoreBackup } from '../../src/app/backupRestore.js';
import { PairingVault } from '../../src/app/pairingVault.js';
import { openDatabase } from '../../src/store/database.js';
import { childEnv } from '../support/childEnv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NOW = Date.parse('2026-12-07T02:30:00Z');
const uid = process.getuid?.();
const passphrase = 'correct horse battery staple';
const entry = { doorId: 'front', address: 'aa:bb:cc:dd:ee:01', profile: 'nuki', pairedAt: '2026-12-07T08:00:00Z' };

/** A data directory with a migrated database holding `rows` rows, a device secret and optionally a pairing. */
function site(dir: string, options: { rows?: number; paired?: boolean; id?: string } = {}) {
  mkdirSync(dir, { recursive: true });
  const config = parseConfig({ gateway: { id: options.id ?? 'gw-0042', dataDir: dir } });
  const db = openDatabase(join(dir, 'lockgw.db'));
  db.exec('CREATE TABLE IF NOT EXISTS pair_a (n INTEGER PRIMARY KEY, pad TEXT)');
  for (let i = 0; i < (options.rows ?? 3); i++) db.prepare('INSERT INTO pair_a (pad) VALUES (?)').run(`row ${i}`);
  db.close();
  const secret = Buffer.alloc(32, dir.length % 250).toString('hex');
  writeFileSync(join(dir, 'device-secret'), `${secret}\n`, { mode: 0o600 });
  if (options.paired) new PairingVault(join(dir, 'ble-pairings.json'), Buffer.from(secret, 'hex')).save(entry, { authId: 7 });
  return config;
}

function rowsIn(path: string, table = 'pair_a'): number {
  const db = openDatabase(path, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS c FROM ${table}`).get() as { c: number }).c;
  } finally {
    db.close();
  }
}

t.test('a backup restores the database, the device secret and the pairings, and keeps what it replaced', async (t) => {
  const dir = t.testdir();
  const from = site(join(dir, 'a'), { rows: 5, paired: true });
  const file = join(dir, 'gw.backup');
  const made = await createBackup(from, file, { passphrase, now: NOW, uid });
  t.same(made.parts, ['database', 'device-secret', 'ble-pairings']);
  t.ok(made.schemaVersion > 0);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the backup file is private');
  const sealed = readFileSync(file);
  t.notOk(sealed.includes(readFileSync(join(dir, 'a/device-secret'), 'utf8').trim()), 'the secret is not in the file in the clear');
  t.notOk(sealed.includes('row 1'), 'nor the database');
  t.same(readdirSync(dir).sort(), ['a', 'gw.backup'], 'the scratch copy is gone');

  const to = site(join(dir, 'b'), { rows: 1 });
  const oldSecret = readFileSync(join(dir, 'b/device-secret'), 'utf8');
  const done = restoreBackup(to, file, { passphrase, now: NOW + 60_000, uid });
  t.equal(rowsIn(join(dir, 'b/lockgw.db')), 5);
  t.equal(readFileSync(join(dir, 'b/device-secret'), 'utf8'), readFileSync(join(dir, 'a/device-secret'), 'utf8'));
  const secret = Buffer.from(readFileSync(join(dir, 'b/device-secret'), 'utf8').trim(), 'hex');
  t.same(new PairingVault(join(dir, 'b/ble-pairings.json'), secret).open('front'), { entry, secret: { authId: 7 } }, 'the pairing opens with the restored secret');
  t.same(done.setAside.map((f) => f.slice(join(dir, 'b').length + 1)).sort(), ['device-secret.before-restore-20261207T023100Z', 'lockgw.db.before-restore-20261207T023100Z']);
  t.equal(readFileSync(join(dir, 'b/device-secret.before-restore-20261207T023100Z'), 'utf8'), oldSecret, 'the replaced secret is kept');
  t.equal(rowsIn(join(dir, 'b/lockgw.db.before-restore-20261207T023100Z')), 1, 'the replaced database is kept');
  t.same(done.notes, []);
  t.notOk(readdirSync(join(dir, 'b')).some((f) => f.startsWith('.restore-')), 'no staged file is left');
});

t.test('a backup is never written over a file, and names another gateway\'s backup on restore', async (t) => {
  const dir = t.testdir();
  const from = site(join(dir, 'a'));
  const file = join(dir, 'gw.backup');
  writeFileSync(file, 'mine');
  await t.rejects(createBackup(from, file, { passphrase, now: NOW, uid }), { code: 'INPUT_INVALID', message: /exists already/ });
  t.equal(readFileSync(file, 'utf8'), 'mine');
  const other = join(dir, 'other.backup');
  await createBackup(from, other, { passphrase, now: NOW, uid });
  const to = site(join(dir, 'b'), { id: 'gw-0043' });
  t.match(restoreBackup(to, other, { passphrase, now: NOW, uid }).notes, [/backup is of gateway gw-0042; this config says gw-0043/]);
});

t.test('a restore that does not verify changes nothing and says what was wrong', async (t) => {
  const dir = t.testdir();
  const from = site(join(dir, 'a'), { rows: 4 });
  const file = join(dir, 'gw.backup');
  await createBackup(from, file, { passphrase, now: NOW, uid });
  const to = site(join(dir, 'b'), { rows: 2, paired: true });
  const before = () => readdirSync(join(dir, 'b')).sort().map((f) => [f, readFileSync(join(dir, 'b', f)).toString('base64')]);
  const snapshot = before();
  const attempt = (path: string, pass = passphrase) => () => restoreBackup(to, path, { passphrase: pass, now: NOW, uid });

  t.throws(attempt(file, 'wrong passphrase'), { code: 'INPUT_INVALID', message: /the passphrase does not open/ });
  const bytes = readFileSync(file);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 40]! ^= 1;
  writeFileSync(join(dir, 'flipped.backup'), flipped);
  t.throws(attempt(join(dir, 'flipped.backup')), { code: 'INPUT_INVALID', message: /is damaged: its authentication tag does not match/ });
  writeFileSync(join(dir, 'cut.backup'), bytes.subarray(0, bytes.length - 100));
  t.throws(attempt(join(dir, 'cut.backup')), { code: 'INPUT_INVALID', message: /is damaged/ });
  writeFileSync(join(dir, 'plain.txt'), 'hello\n');
  t.throws(attempt(join(dir, 'plain.txt')), { code: 'INPUT_INVALID', message: /is not a lockgw backup/ });
  writeFileSync(join(dir, 'newer.backup'), Buffer.concat([Buffer.from('lockgw-backup/9'), bytes.subarray(15)]));
  t.throws(attempt(join(dir, 'newer.backup')), { code: 'INPUT_INVALID', message: /is a lockgw-backup\/9 backup; this lockgw reads lockgw-backup\/1/ });
  t.throws(attempt(join(dir, 'missing.backup')), { code: 'INPUT_INVALID', message: /cannot read the backup/ });
  t.same(before(), snapshot, 'the data directory is byte for byte as it was');
});

t.test('a database that fails quick_check is not backed up', async (t) => {
  const dir = t.testdir();
  const config = site(join(dir, 'a'), { rows: 400 });
  const path = join(dir, 'a/lockgw.db');
  const bytes = readFileSync(path);
  bytes.fill(0x55, 4096 * 3, 4096 * 3 + 2048); // a damaged page in the middle of the file
  writeFileSync(path, bytes);
  await t.rejects(createBackup(config, join(dir, 'x.backup'), { passphrase, now: NOW, uid }), { code: 'STORE_CORRUPT', message: /fails its check, so no backup was made/ });
  t.notOk(existsSync(join(dir, 'x.backup')));
  t.same(readdirSync(dir).sort(), ['a'], 'no scratch copy is left');
});

t.test('a backup taken while another process writes is consistent', async (t) => {
  const dir = t.testdir();
  const config = site(join(dir, 'a'), { rows: 0 });
  const db = join(dir, 'a/lockgw.db');
  const writer = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/pairedWriter.ts'), db], { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => writer.once('exit', () => resolve()));
  t.teardown(async () => {
    writer.kill('SIGTERM');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('the writer did not start within 20 s')), 20_000);
    writer.stdout!.on('data', (d) => { if (String(d).includes('writing')) { clearTimeout(guard); resolve(); } });
    writer.once('exit', (code) => reject(new Error(`the writer exited (${code})`)));
  });
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const file = join(dir, `b${i}.backup`);
    await createBackup(config, file, { passphrase, now: NOW + i * 1000, uid });
    const to = site(join(dir, `r${i}`), { rows: 0 });
    restoreBackup(to, file, { passphrase, now: NOW, uid });
    const a = rowsIn(join(dir, `r${i}/lockgw.db`), 'pair_a');
    const b = rowsIn(join(dir, `r${i}/lockgw.db`), 'pair_b');
    t.equal(a, b, `backup ${i}: ${a} rows in each table`);
    counts.push(a);
  }
  t.ok(counts.every((c, i) => i === 0 || c > counts[i - 1]!), `the writes went on between the backups (${counts.join(' < ')})`);
});

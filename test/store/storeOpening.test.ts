import t from 'tap';
import Database from 'better-sqlite3';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/kernel/clock.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';
import { FileWatch, type FileLoss } from '../../src/store/fileWatch.js';
import { diagnoseStore } from '../../src/store/storeDiagnosis.js';
import { markerPath, setAside } from '../../src/store/storeFiles.js';
import { openStore } from '../../src/store/storeOpening.js';
import { storeFailure, storeProblem } from '../../src/store/storeProblem.js';
import { markRulesUnavailable } from '../../src/store/rulesUnavailableMark.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');

t.test('a first start creates the file and its marker; a later start without the file is "missing"', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'lockgw.db');
  const first = openStore(path, { now: NOW });
  t.match(first, { ok: true, created: true, pending: null });
  if (first.ok) first.db.close();
  t.match(JSON.parse(readFileSync(markerPath(path), 'utf8')), { created: '2026-12-07T12:00:00.000Z', by: 'lockgw' });
  const again = openStore(path, { now: NOW });
  t.match(again, { ok: true, created: false });
  if (again.ok) again.db.close();
  rmSync(path);
  t.match(openStore(path, { now: NOW }), { ok: false, problem: { cause: 'missing', file: path } });
  t.notOk(existsSync(path), 'a missing file is not recreated by openStore');
});

t.test('a database the gateway did not create is adopted: marked, never replaced', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'lockgw.db');
  new Database(path).close();
  const opened = openStore(path, { now: NOW });
  t.match(opened, { ok: true, created: false });
  if (opened.ok) opened.db.close();
  t.match(JSON.parse(readFileSync(markerPath(path), 'utf8')), { adopted: '2026-12-07T12:00:00.000Z' });
});

t.test('a marked database reports its mark (made in place of a lost one)', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'lockgw.db');
  const first = openStore(path, { now: NOW });
  if (!first.ok) throw new Error('open failed');
  markRulesUnavailable(first.db, { cause: 'corrupt', file: path, detail: 'x', since: '2026-12-07T12:00:00.000Z', setAside: ['a'] });
  first.db.close();
  const again = openStore(path, { now: NOW });
  t.match(again, { ok: true, pending: { cause: 'corrupt', setAside: ['a'] } });
  if (again.ok) again.db.close();
  t.match(diagnoseStore(path), { state: 'ok', pending: { cause: 'corrupt' } });
});

t.test('setAside renames the file with its -wal and -shm and never overwrites', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'lockgw.db');
  for (const f of [path, `${path}-wal`, `${path}-shm`]) writeFileSync(f, f);
  t.same(setAside(path, 'corrupt', NOW).map((f) => f.slice(dir.length + 1)), ['lockgw.db.corrupt-20261207T120000Z', 'lockgw.db.corrupt-20261207T120000Z-wal', 'lockgw.db.corrupt-20261207T120000Z-shm']);
  writeFileSync(path, 'second');
  t.same(setAside(path, 'corrupt', NOW).map((f) => f.slice(dir.length + 1)), ['lockgw.db.corrupt-20261207T120000Z.2'], 'the same second gets another name');
  t.equal(readFileSync(join(dir, 'lockgw.db.corrupt-20261207T120000Z'), 'utf8'), path, 'the first one is intact');
  t.same(readdirSync(dir).filter((f) => f === 'lockgw.db'), []);
});

t.test('storeProblem tells corrupt, locked, unreadable and too new apart; storeFailure ignores errors that are not the store\'s', async (t) => {
  const sqlite = (code: string) => Object.assign(new Error(code), { code });
  t.equal(storeProblem('f', sqlite('SQLITE_NOTADB')).cause, 'corrupt');
  t.equal(storeProblem('f', sqlite('SQLITE_CORRUPT')).cause, 'corrupt');
  t.equal(storeProblem('f', sqlite('SQLITE_BUSY')).cause, 'locked');
  t.equal(storeProblem('f', new GatewayError('STORE_CORRUPT', 'cannot open', {}, { cause: sqlite('SQLITE_CANTOPEN') })).cause, 'unreadable');
  t.equal(storeProblem('f', new GatewayError('MIGRATION_FAILED', 'the database is at schema version 9, newer than this lockgw (5)')).cause, 'too_new');
  t.equal(storeFailure('f', new Error('serial port gone')), null);
  t.equal(storeFailure('f', new GatewayError('DEVICE_OFFLINE', 'x')), null);
  t.match(storeFailure('f', new GatewayError('STORE_CORRUPT', 'the rules cannot be loaded')), { cause: 'corrupt' });
});

t.test('diagnoseStore never changes the file', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'lockgw.db');
  t.same(diagnoseStore(path), { state: 'absent' });
  t.notOk(existsSync(path));
  writeFileSync(path, 'not a database at all, just some text that is long enough to have a header........');
  t.match(diagnoseStore(path), { state: 'problem', problem: { cause: 'corrupt', detail: /not a database/ } });
  t.equal(readFileSync(path, 'utf8').slice(0, 7), 'not a d');
  t.same(readdirSync(dir), ['lockgw.db'], 'nothing created beside it');
});

t.test('FileWatch reports a file deleted or replaced once, on the clock, and nothing while it stays', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'f');
  writeFileSync(path, 'a');
  const clock = new ManualClock(NOW);
  const seen: FileLoss[] = [];
  const watch = new FileWatch(path, clock, 1_000, (loss) => seen.push(loss));
  await watch.start();
  clock.advance(10_000);
  t.same(seen, [], 'unchanged');
  writeFileSync(join(dir, 'g'), 'b');
  renameSync(join(dir, 'g'), path);
  clock.advance(999);
  t.same(seen, []);
  clock.advance(1);
  t.same(seen, ['replaced']);
  clock.advance(10_000);
  t.same(seen, ['replaced'], 'once');
  await watch.start();
  rmSync(path);
  clock.advance(1_000);
  t.same(seen, ['replaced', 'missing']);
  await watch.stop();
  t.same(clock.pending(), [], 'stop clears its timer');
});

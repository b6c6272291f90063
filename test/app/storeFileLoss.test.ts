import t from 'tap';
import Database from 'better-sqlite3';
import { once } from 'node:events';
import { copyFileSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Gateway } from '../../src/app/gateway.js';
import { siteAfterFirstStart } from '../support/brokenSite.js';

/** Waits for the gateway to have written its database back and restarted (guarded: never hangs). */
async function recovered(g: Gateway) {
  const [result] = await once(g, 'storeRecovered', { signal: AbortSignal.timeout(10_000) });
  return result as { loss: string; file: string; restored: boolean; setAside: string[] };
}

/** A few decisions, made durable and read back (as the cloud uploader would have them handed out). */
function someEvents(g: Gateway): number {
  for (let i = 0; i < 5; i += 1) g.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' });
  g.decide({ doorId: 'lobby', kind: 'card', value: '26:12:99999' });
  g.journal.flush(true);
  const handedOut = g.journal.recent(0, 1000);
  return handedOut.at(-1)!.seq;
}

t.test('a database deleted (with its -wal and -shm) under the running gateway is alarmed and written back: nothing durable is lost', async (t) => {
  const site = await siteAfterFirstStart(t);
  const g = site.gateway();
  await g.start();
  const lastSeq = someEvents(g);
  for (const f of [site.dbPath, `${site.dbPath}-wal`, `${site.dbPath}-shm`]) rmSync(f, { force: true });
  site.clock.advance(4_999);
  t.notOk(existsSync(site.dbPath), 'not noticed before the check period');
  const done = recovered(g);
  site.clock.advance(1);
  t.match(await done, { loss: 'missing', file: site.dbPath, restored: true });
  t.ok(existsSync(site.dbPath), 'the file is back at its path');
  t.equal(g.safetyOnly, null, 'the gateway runs normally on it');
  const events = g.journal.recent(0, 1000);
  t.same(events.filter((e) => e.seq <= lastSeq).map((e) => e.seq), Array.from({ length: lastSeq }, (_, i) => i + 1), 'every event handed out before is still there');
  t.match(events.find((e) => e.seq === lastSeq + 1), { type: 'alarm', reason: 'database_deleted' });
  t.match(site.logs.join(''), /lockgw\.db was deleted while lockgw runs: writing it back/);
  t.equal(g.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'granted', 'with its rules');
  t.same(readdirSync(site.dataDir).filter((f) => f.includes('.saved-')), [], 'no copy left beside it');
  await g.stop();
  const again = site.gateway();
  await again.start();
  t.equal(again.safetyOnly, null, 'and a restart finds it');
  t.ok(again.journal.recent(0, 1000).length > lastSeq);
});

t.test('only the main file deleted (its WAL still there): written back, and the old WAL is not replayed into it', async (t) => {
  const site = await siteAfterFirstStart(t);
  const g = site.gateway();
  await g.start();
  const lastSeq = someEvents(g);
  rmSync(site.dbPath);
  const done = recovered(g);
  site.clock.advance(5_000);
  const result = await done;
  t.match(result, { loss: 'missing', restored: true });
  t.same(result.setAside.map((f) => f.slice(site.dbPath.length)), ['.stale-20261207T120005Z-wal', '.stale-20261207T120005Z-shm'], 'the old handle\'s WAL and shm are set aside, not deleted');
  await g.stop();
  const db = new Database(site.dbPath, { readonly: true });
  t.same(db.pragma('quick_check', { simple: true }), 'ok', 'the file written back is sound');
  const seqs = db.prepare('SELECT seq FROM journal ORDER BY seq').pluck().all() as number[];
  t.same(seqs.slice(0, lastSeq + 1), Array.from({ length: lastSeq + 1 }, (_, i) => i + 1), 'every event and the alarm');
  db.close();
});

t.test('a database replaced under the running gateway: the live one is saved beside it, the new one is not overwritten', async (t) => {
  const site = await siteAfterFirstStart(t);
  const backup = join(site.dataDir, 'backup.db');
  copyFileSync(site.dbPath, backup);
  const inBackup = (() => {
    const b = new Database(backup, { readonly: true });
    const n = (b.prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n;
    b.close();
    return n;
  })();
  const g = site.gateway();
  await g.start();
  // someone restores the backup taken after the first start over it while the daemon runs
  const lastSeq = someEvents(g);
  copyFileSync(backup, `${site.dbPath}.tmp`);
  renameSync(`${site.dbPath}.tmp`, site.dbPath);
  const done = recovered(g);
  site.clock.advance(5_000);
  const result = await done;
  t.match(result, { loss: 'replaced', restored: false, file: /lockgw\.db\.saved-20261207T120005Z$/ });
  const saved = new Database(result.file, { readonly: true });
  const seqs = saved.prepare('SELECT seq FROM journal ORDER BY seq').pluck().all() as number[];
  t.ok(seqs.length > lastSeq && seqs[lastSeq - 1] === lastSeq, 'the saved copy holds every event');
  saved.close();
  t.equal(g.safetyOnly, null, 'the gateway runs on the file put in place');
  t.equal(g.journal.recent(0, 1000).length, inBackup, 'which is the backup, without this run\'s events');
  t.equal(g.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'granted', 'and with its rules');
});

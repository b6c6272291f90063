import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { chmodSync, chownSync, closeSync, existsSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Gateway } from '../../src/app/gateway.js';
import { readSafetyStatus } from '../../src/app/safetyOnly.js';
import { siteAfterFirstStart, type BrokenSite } from '../support/brokenSite.js';

const FIRE_DOORS = ['lobby', 'garage', 'gym', 'pool'];

/** Overwrites `length` bytes of `file` at `offset` with a repeating garbage pattern. */
function scribble(file: string, offset: number, length: number): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(length, 'lockgw-garbage!'), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Fire active → every fireRelease door's actuator released; a card denied rules_unavailable; REX releases. */
async function safetyDoorsWork(t: Test, site: BrokenSite, g: Gateway): Promise<void> {
  const sim = g.simulated!;
  for (const id of FIRE_DOORS) t.equal(sim.doors.get(id)!.actuator.state(), 'locked', `${id} locked before the fire`);
  const before = g.journal.stats().lastSeq;
  t.same(sim.doors.get('lobby')!.cardReader.present('26:12:34567'), { delivered: true });
  t.equal(sim.doors.get('lobby')!.actuator.state(), 'locked', 'a resident card does not open');
  t.same(sim.doors.get('gym')!.rex.pulse(), { delivered: true });
  t.equal(sim.doors.get('gym')!.actuator.state(), 'unlocked', 'request-to-exit releases');
  site.clock.advance(10_000);
  t.equal(sim.doors.get('gym')!.actuator.state(), 'locked', 'and re-locks');
  t.same(sim.fire!.set(true), { delivered: true });
  for (const id of FIRE_DOORS) t.equal(sim.doors.get(id)!.actuator.state(), 'unlocked', `${id} released by the fire input`);
  t.equal(sim.doors.get('server-room')!.actuator.state(), 'locked', 'a door without fireRelease stays locked');
  t.equal(g.decide({ doorId: 'lobby', kind: 'pin', value: g.hashPin('1234') }).reason, 'rules_unavailable');
  const events = g.journal.recent(before, 100);
  t.match(events.find((e) => e.type === 'access' && e.doorId === 'lobby' && e.data?.kind === 'card'), { grant: false, reason: 'rules_unavailable' });
  t.match(events.find((e) => e.type === 'access' && e.doorId === 'gym'), { grant: true, reason: 'request_to_exit' });
  t.ok(events.some((e) => e.type === 'alarm' && e.reason === 'fire_release'), 'the fire release is journaled');
  t.notOk(JSON.stringify(events).includes('34567'), 'no card number in the journal');
}

t.test('a file that is not a database: set aside, safety-only on a new durable database', async (t) => {
  const site = await siteAfterFirstStart(t);
  scribble(site.dbPath, 0, 100); // the header
  const g = site.gateway();
  await g.start();
  t.match(g.safetyOnly, { cause: 'corrupt', file: site.dbPath, journal: 'durable', detail: /not a database/ });
  const aside = readdirSync(site.dataDir).filter((f) => f.startsWith('lockgw.db.corrupt-'));
  t.same(aside, ['lockgw.db.corrupt-20261207T120000Z'], 'the corrupt file is kept under its new name');
  t.same(g.safetyOnly!.setAside, [join(site.dataDir, aside[0]!)]);
  t.ok(existsSync(site.dbPath), 'a new database holds the journal');
  t.match(g.journal.recent(0, 10)[0], { type: 'alarm', reason: 'rules_unavailable', data: { cause: 'corrupt', journal: 'durable' } });
  await safetyDoorsWork(t, site, g);
  t.match(site.logs.join(''), /SAFETY-ONLY MODE: the database .*lockgw\.db is corrupt.*set aside as .*lockgw\.db\.corrupt-20261207T120000Z/);
  t.match(readSafetyStatus(site.dataDir), { cause: 'corrupt', recovery: /copy a backup/ }, 'the status file says so');
  await g.stop();

  // a restart before rules arrive stays in safety-only mode, on the same new file
  const again = site.gateway();
  await again.start();
  t.match(again.safetyOnly, { cause: 'corrupt', setAside: [join(site.dataDir, aside[0]!)], journal: 'durable' });
  t.ok(again.journal.recent(0, 100).some((e) => e.type === 'access' && e.reason === 'rules_unavailable'), 'the first run\'s events survived the restart');
  t.same(readdirSync(site.dataDir).filter((f) => f.includes('.corrupt-')), aside, 'nothing more was set aside');

  // rules arriving (a snapshot's revision) end the mode
  again.applyBatch([{ op: 'upsert', entity: 'person', record: { id: 'zoe', name: 'Zoe' } }], { source: 'cloud', revision: 7 });
  t.equal(again.safetyOnly, null, 'the mode ended');
  t.equal(readSafetyStatus(site.dataDir), null, 'the status file is gone');
  t.equal(again.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'unknown_door', 'credentials are decided by the rules again');
  t.ok(again.journal.recent(0, 100).some((e) => e.type === 'alarm' && e.reason === 'rules_restored'));
  await again.stop();
  const third = site.gateway();
  await third.start();
  t.equal(third.safetyOnly, null, 'and stays ended across a restart');
});

t.test('overwritten schema page, damaged table pages, a truncated file, rules that do not load: each is corrupt and set aside', async (t) => {
  const damages: Record<string, (site: BrokenSite) => void> = {
    'schema page overwritten': (s) => scribble(s.dbPath, 100, 3996),
    'table pages overwritten': (s) => scribble(s.dbPath, 4096 * 3, 4096 * 4),
    'truncated to 3 pages': (s) => truncateSync(s.dbPath, 4096 * 3),
    'rules that do not compile': (s) => {
      const db = new Database(s.dbPath);
      db.prepare("UPDATE schedules SET intervals = '{not json'").run();
      db.close();
    },
  };
  for (const [name, damage] of Object.entries(damages)) {
    await t.test(name, async (t) => {
      const site = await siteAfterFirstStart(t);
      damage(site);
      const g = site.gateway();
      await g.start();
      t.match(g.safetyOnly, { cause: 'corrupt', journal: 'durable' }, name);
      t.comment(`${name}: ${g.safetyOnly!.detail}`);
      t.equal(readdirSync(site.dataDir).filter((f) => f.startsWith('lockgw.db.corrupt-')).length, 1, 'set aside');
      await safetyDoorsWork(t, site, g);
    });
  }
});

t.test('a deleted database (the marker says one existed): safety-only on a new database, nothing re-seeded', async (t) => {
  const site = await siteAfterFirstStart(t);
  rmSync(site.dbPath);
  const g = site.gateway();
  await g.start();
  t.match(g.safetyOnly, { cause: 'missing', journal: 'durable', recovery: /remove .*lockgw\.db\.created/ });
  t.equal(g.store.counts().people, 0, 'the demo site was not seeded into the new file');
  await safetyDoorsWork(t, site, g);
});

t.test('the very first start creates the database and its marker: normal mode', async (t) => {
  const site = await siteAfterFirstStart(t);
  t.ok(existsSync(`${site.dbPath}.created`), 'the first start wrote the marker');
  const g = site.gateway();
  await g.start();
  t.equal(g.safetyOnly, null);
  t.equal(g.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'granted');
});

t.test('a database locked by another connection: left alone, safety-only with a volatile journal', async (t) => {
  const site = await siteAfterFirstStart(t);
  const holder = new Database(site.dbPath);
  holder.pragma('locking_mode = EXCLUSIVE');
  holder.exec('BEGIN EXCLUSIVE');
  t.teardown(() => holder.close());
  const size = statSync(site.dbPath).size;
  const g = site.gateway({ storeBusyTimeoutMs: 50 });
  await g.start();
  t.match(g.safetyOnly, { cause: 'locked', journal: 'volatile', recovery: /fuser/ });
  t.same(readdirSync(site.dataDir).filter((f) => f.includes('.corrupt-')), [], 'nothing set aside');
  t.equal(statSync(site.dbPath).size, size, 'the file is untouched');
  await safetyDoorsWork(t, site, g);
  await g.stop();
  holder.exec('COMMIT');
  holder.close();
  const after = site.gateway();
  await after.start();
  t.equal(after.safetyOnly, null, 'once the lock is gone a restart runs normally');
  t.equal(after.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'granted', 'with the rules it had');
});

t.test('a database written by a newer lockgw: left alone, safety-only', async (t) => {
  const site = await siteAfterFirstStart(t);
  const db = new Database(site.dbPath);
  db.pragma('user_version = 999');
  db.close();
  const g = site.gateway();
  await g.start();
  t.match(g.safetyOnly, { cause: 'too_new', journal: 'volatile' });
  t.same(readdirSync(site.dataDir).filter((f) => f.includes('.corrupt-')), []);
  await safetyDoorsWork(t, site, g);
});

t.test('an unreadable database (mode 000): left alone, safety-only', async (t) => {
  const site = await siteAfterFirstStart(t);
  chmodSync(site.dbPath, 0o000);
  const root = process.getuid?.() === 0;
  if (root) {
    // root ignores file modes: start the gateway as nobody, with everything else nobody's
    const nobody = 65534;
    chmodSync(site.dataDir, 0o755);
    for (const f of readdirSync(site.dataDir)) if (!f.startsWith('lockgw.db') || f.endsWith('.created')) chownSync(join(site.dataDir, f), nobody, nobody);
    chownSync(site.dataDir, nobody, nobody);
    chownSync(site.dbPath, 0, 0);
    process.seteuid!(nobody);
  }
  const g = site.gateway();
  try {
    await g.start();
  } finally {
    if (root) process.seteuid!(0);
  }
  t.match(g.safetyOnly, { cause: 'unreadable', journal: 'volatile', recovery: /chown/ });
  t.equal(statSync(site.dbPath).mode & 0o777, 0, 'the file is untouched');
  await safetyDoorsWork(t, site, g);
});

t.test('a corrupt file that cannot be set aside (its directory is not writable): left alone, safety-only with a volatile journal', async (t) => {
  const site = await siteAfterFirstStart(t);
  scribble(site.dbPath, 0, 100);
  const root = process.getuid?.() === 0;
  if (root) {
    // root ignores modes: start as nobody, who may read the files but not write the directory
    const nobody = 65534;
    chmodSync(site.dataDir, 0o755);
    for (const f of readdirSync(site.dataDir)) chmodSync(join(site.dataDir, f), 0o644);
    process.seteuid!(nobody);
  } else {
    chmodSync(site.dataDir, 0o555);
    t.teardown(() => chmodSync(site.dataDir, 0o755));
  }
  const g = site.gateway();
  try {
    await g.start();
  } finally {
    if (root) process.seteuid!(0);
  }
  t.match(g.safetyOnly, { cause: 'corrupt', journal: 'volatile', setAside: [], recovery: /could not be set aside and is left at/ });
  t.ok(existsSync(site.dbPath), 'the file is where it was');
  t.match(site.logs.join(''), /cannot set the corrupt .*lockgw\.db aside/);
  await safetyDoorsWork(t, site, g);
});

/**
 * The journal as local access history: acknowledged events stay queryable, the upload queue is
 * unchanged, history is pruned in bounded batches on the Clock, a gateway without a cloud keeps
 * history the same way, and a full journal does not fill itself with its own alarms.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { ManualClock } from '../../src/kernel/clock.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Journal, type JournalEntry, type JournalEvent } from '../../src/journal/journal.js';
import type { JournalOptions } from '../../src/journal/journalOptions.js';
import { UPKEEP_BATCH } from '../../src/journal/historyUpkeep.js';

type LogLine = { level: number; msg: string; reason?: string };
const WARN = 40;
const DAY = 86_400_000;

function setup(t: Test, options: Partial<JournalOptions> & { path?: string } = {}) {
  const path = options.path ?? join(t.testdir(), 'gateway.db');
  const db = openDatabase(path);
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock('2026-03-01T08:00:00Z');
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const journal = new Journal(db, { maxEvents: 1000, clock, logger, ...options });
  t.teardown(async () => {
    await journal.stop();
    if (db.open) db.close();
  });
  return { db, journal, clock, logs, path };
}

const access = (at: number, n: number, door = 'lobby', person = `p-${n % 7}`): JournalEvent => ({
  type: 'access', at, doorId: door, grant: n % 3 !== 0, reason: n % 3 !== 0 ? 'granted' : 'outside_schedule', personId: person, credentialId: `c-${n}`,
});
const tableCount = (db: Db) => db.prepare('SELECT count(*) FROM journal').pluck().get() as number;
const seqs = (entries: JournalEntry[]) => entries.map((e) => e.seq);

t.test('an acknowledged event leaves the upload queue and stays queryable as local history', async (t) => {
  const { journal, clock, db } = setup(t);
  await journal.start();
  for (let i = 1; i <= 10; i++) journal.append(access(clock.now(), i));
  t.same(seqs(journal.read(0, 100)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.equal(journal.acknowledge(6), 6, 'six events left the queue');
  t.match(journal.stats(), { count: 4, firstSeq: 7, history: 6, ackedSeq: 6, lastSeq: 10 });
  t.same(seqs(journal.read(0, 100)), [7, 8, 9, 10], 'the uploader sees only the queue, whatever afterSeq it asks from');
  t.equal(tableCount(db), 10, 'nothing was deleted');
  t.same(seqs(journal.query({ limit: 100 })), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'the history shows every event');
  t.equal(journal.acknowledge(6), 0, 'acknowledging again moves nothing');
  t.equal(journal.acknowledge(50), 4, 'an ack beyond what is written stops at the last written event');
  t.equal(journal.stats().ackedSeq, 10);
  journal.append(access(clock.now(), 11));
  t.same(seqs(journal.read(0, 100)), [11], 'a later event is queued, not taken for acknowledged');
});

t.test('the watermark and the history survive a restart; the queue resumes after the last ack', async (t) => {
  const first = setup(t);
  await first.journal.start();
  for (let i = 1; i <= 5; i++) first.journal.append(access(first.clock.now(), i));
  first.journal.acknowledge(3);
  await first.journal.stop();
  first.db.close();
  const again = setup(t, { path: first.path });
  await again.journal.start();
  t.match(again.journal.stats(), { count: 2, firstSeq: 4, history: 3, ackedSeq: 3, lastSeq: 5 });
  t.same(seqs(again.journal.read(0, 10)), [4, 5]);
});

t.test('a database from before local history: every row is queued, old drops count as reported', async (t) => {
  const path = join(t.testdir(), 'old.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.filter((m) => m.version <= 4)) old.exec(m.sql);
  old.pragma('user_version = 4');
  const insert = old.prepare("INSERT INTO journal (seq, at, type, door_id) VALUES (?, ?, 'access', 'lobby')");
  for (let seq = 41; seq <= 50; seq++) insert.run(seq, Date.parse('2026-03-01T07:00:00Z'));
  old.prepare("INSERT INTO meta (key, value) VALUES ('journal.lastSeq', '50'), ('journal.dropped', '40')").run();
  old.close();
  const { journal, db } = setup(t, { path });
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.at(-1)!.version, 'migrated');
  await journal.start();
  t.match(journal.stats(), { count: 10, firstSeq: 41, history: 0, ackedSeq: 0, dropped: 40 });
  journal.flush();
  t.equal(journal.query({ kind: 'alarm', limit: 10 }).length, 0, 'no alarm for drops an older version already reported');
});

t.test('without a cloud every event is history at once: no queue fills, no drop, no alarm', async (t) => {
  const { journal, clock, db } = setup(t, { upload: false, maxEvents: 1000, batchSize: 100 });
  await journal.start();
  for (let i = 1; i <= 3000; i++) {
    journal.append(access(clock.now(), i));
    clock.advance(10);
  }
  journal.flush();
  t.match(journal.stats(), { count: 0, firstSeq: null, fill: 0, dropped: 0, history: 3000, ackedSeq: 3000 });
  t.equal(tableCount(db), 3000, 'three times maxEvents kept: the queue bound does not apply to history');
  t.same(journal.read(0, 10), [], 'nothing to upload');
  t.equal(journal.query({ kind: 'alarm', limit: 10 }).length, 0);
});

t.test('history older than the retention is pruned on the Clock in bounded batches; the queue is never pruned', async (t) => {
  const { journal, clock, db } = setup(t, { maxEvents: 100_000, batchSize: 5000, history: { retentionMs: 30 * DAY, maxEvents: 1_000_000 } });
  const start = clock.now();
  await journal.start();
  const n = UPKEEP_BATCH * 3 + 110;
  for (let i = 1; i <= n; i++) journal.append(access(start + i, i));
  journal.flush();
  journal.acknowledge(n - 10); // the last 10 stay queued
  clock.advance(60_000);
  t.equal(journal.stats().pruned, 0, 'younger than 30 days: nothing pruned');
  clock.set(start + 31 * DAY); // everything is now older than 30 days (a jump: no timer fires on the way)
  const deletions: number[] = [];
  let last = tableCount(db);
  // each timer tick prunes one batch, and the next follows shortly while batches come back full; between them the event loop is free
  for (let tick = 0; tick < 10 && journal.stats().history > 0; tick++) {
    clock.advance(clock.pending()[0]!);
    const now = tableCount(db);
    deletions.push(last - now);
    last = now;
  }
  t.same(deletions.slice(0, 4), [UPKEEP_BATCH, UPKEEP_BATCH, UPKEEP_BATCH, n - 10 - 3 * UPKEEP_BATCH], `one batch of at most ${UPKEEP_BATCH} rows per tick`);
  t.equal(journal.stats().history, 0, 'the whole expired history went');
  t.equal(tableCount(db), 10, 'the queued events stay, however old');
  t.match(journal.stats(), { count: 10, pruned: n - 10 });
  t.same(seqs(journal.read(0, 100)), Array.from({ length: 10 }, (_, i) => n - 9 + i));
});

t.test('history within the retention is kept; beyond its row cap the oldest go first', async (t) => {
  const { journal, clock } = setup(t, { history: { retentionMs: 30 * DAY, maxEvents: 50 } });
  await journal.start();
  for (let i = 1; i <= 80; i++) journal.append(access(clock.now(), i));
  journal.acknowledge(80);
  clock.advance(60_000);
  t.match(journal.stats(), { history: 50, pruned: 30 });
  t.same(seqs(journal.query({ limit: 100 })).slice(0, 2), [31, 32], 'the oldest 30 went');
  clock.set(clock.now() + 29 * DAY);
  clock.advance(60_000);
  t.equal(journal.stats().history, 50, 'younger than 30 days: kept');
  clock.set(clock.now() + DAY);
  clock.advance(60_000);
  t.equal(journal.stats().history, 0, 'older than 30 days: gone');
});

t.test('pruning waits while the journal is held (another connection holds the write lock)', async (t) => {
  const { journal, clock } = setup(t, { history: { retentionMs: DAY, maxEvents: 1000 } });
  await journal.start();
  for (let i = 1; i <= 20; i++) journal.append(access(clock.now(), i));
  journal.acknowledge(20);
  journal.hold();
  clock.set(clock.now() + 2 * DAY);
  clock.advance(60_000);
  t.equal(journal.stats().history, 20, 'nothing pruned while held');
  journal.release();
  clock.advance(60_000);
  t.equal(journal.stats().history, 0, 'pruned on the next tick after release');
});

t.test('query: since/until, door, person, kind and limit, newest first then shown oldest first', async (t) => {
  const { journal, clock } = setup(t);
  const t0 = clock.now();
  await journal.start();
  for (let i = 1; i <= 60; i++) journal.append(access(t0 + i * 60_000, i, i % 2 === 0 ? 'lobby' : 'garage', i % 5 === 0 ? 'alice' : 'bob'));
  journal.append({ type: 'alarm', at: t0 + 61 * 60_000, doorId: 'lobby', reason: 'door_forced' });
  journal.append({ type: 'security', at: t0 + 62 * 60_000, reason: 'control_refused' });
  journal.acknowledge(30);
  const q = (query: Parameters<Journal['query']>[0]) => journal.query(query);
  t.same(seqs(q({ since: t0 + 55 * 60_000, limit: 100 })), [55, 56, 57, 58, 59, 60, 61, 62], 'since is inclusive');
  t.same(seqs(q({ since: t0 + 10 * 60_000, until: t0 + 13 * 60_000, limit: 100 })), [10, 11, 12], 'until is exclusive');
  t.same(seqs(q({ doorId: 'lobby', personId: 'alice', limit: 100 })), [10, 20, 30, 40, 50, 60], 'door and person together; history and queue alike');
  t.same(seqs(q({ personId: 'alice', limit: 3 })), [50, 55, 60], 'limit keeps the newest');
  t.same(seqs(q({ doorId: 'lobby', kind: 'denied', limit: 100 })), [6, 12, 18, 24, 30, 36, 42, 48, 54, 60]);
  t.same(seqs(q({ kind: 'granted', personId: 'alice', limit: 100 })), [5, 10, 20, 25, 35, 40, 50, 55]);
  t.same(seqs(q({ kind: 'alarm', limit: 100 })), [61]);
  t.same(seqs(q({ kind: 'security', limit: 100 })), [62]);
  t.same(seqs(q({ kind: 'access', since: t0 + 60 * 60_000, limit: 100 })), [60]);
  t.same(q({ doorId: 'nowhere', limit: 10 }), []);
  t.match(q({ kind: 'alarm', limit: 1 })[0], { seq: 61, type: 'alarm', doorId: 'lobby', reason: 'door_forced' }, 'decoded as appended');
  t.throws(() => q({ limit: 0 }), { code: 'INPUT_INVALID', details: { field: 'limit' } });
  t.throws(() => q({ limit: 10, since: 5, until: 5 }), { code: 'INPUT_INVALID', details: { field: 'until' } });
  t.throws(() => q({ limit: 10, kind: 'door' as never }), { code: 'INPUT_INVALID', details: { field: 'kind' } });
  t.throws(() => q({ limit: 10, doorId: '' }), { code: 'INPUT_INVALID', details: { field: 'doorId' } });
  t.throws(() => q({ limit: 10, since: Number.NaN }), { code: 'INPUT_INVALID', details: { field: 'since' } });
});

t.test('every shape of query is answered from an index or a lookup table, never a scan of the journal', async (t) => {
  const { db } = setup(t);
  const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
  const order = 'ORDER BY j.at DESC, j.seq DESC LIMIT 10';
  for (const [sql, index] of [
    [`SELECT j.seq FROM journal j WHERE j.at >= 1 ${order}`, /journal_by_at/],
    [`SELECT j.seq FROM journal j WHERE j.type = 'alarm' AND j.type <> 'access' ${order}`, /journal_by_kind/],
    [`SELECT j.seq FROM journal_by_door l JOIN journal j ON j.seq = l.seq WHERE l.door_id = 'lobby' AND l.at >= 1 AND j.door_id = 'lobby' ORDER BY l.at DESC, l.seq DESC LIMIT 10`, /SEARCH l USING PRIMARY KEY \(door_id=\? AND at>\?\)/],
    [`SELECT j.seq FROM journal_by_person l JOIN journal j ON j.seq = l.seq WHERE l.person_id = 'alice' AND j.person_id = 'alice' ORDER BY l.at DESC, l.seq DESC LIMIT 10`, /SEARCH l USING PRIMARY KEY \(person_id=\?\)/],
    [`SELECT j.seq FROM journal j NOT INDEXED WHERE j.seq > 5 AND j.door_id = 'lobby' ${order}`, /SEARCH j USING INTEGER PRIMARY KEY \(rowid>\?\)/],
  ] as const) {
    const detail = plan(sql);
    t.match(detail, index, detail);
    t.notMatch(detail, /SCAN (j|journal)\b(?! USING)/, 'no full scan');
  }
});

t.test('door and person lookups are filled behind the appends; answers are the same before and after, and pruning removes them', async (t) => {
  const { journal, clock, db } = setup(t, { batchSize: 10, history: { retentionMs: DAY, maxEvents: 10_000 } });
  const t0 = clock.now();
  await journal.start();
  for (let i = 1; i <= 2 * UPKEEP_BATCH; i++) journal.append(access(t0 + i, i, i % 2 === 0 ? 'lobby' : 'garage', i % 10 === 0 ? 'alice' : 'bob'));
  journal.flush();
  const lookups = () => (db.prepare('SELECT count(*) FROM journal_by_door').pluck().get() as number) + (db.prepare('SELECT count(*) FROM journal_by_person').pluck().get() as number);
  const before = [seqs(journal.query({ personId: 'alice', limit: 5 })), seqs(journal.query({ doorId: 'lobby', personId: 'bob', since: t0 + 100, until: t0 + 110, limit: 50 }))];
  t.equal(lookups(), 0, 'nothing looked up yet: the answers came from the rows after journal.lookupSeq');
  clock.advance(50); // the first tick after start: one batch
  t.equal(lookups(), 2 * UPKEEP_BATCH, `one tick looked up ${UPKEEP_BATCH} rows (a door and a person each)`);
  const midway = [seqs(journal.query({ personId: 'alice', limit: 5 })), seqs(journal.query({ doorId: 'lobby', personId: 'bob', since: t0 + 100, until: t0 + 110, limit: 50 }))];
  clock.advance(50);
  t.equal(lookups(), 4 * UPKEEP_BATCH, 'the backlog drained on the next tick, 50 ms later');
  const after = [seqs(journal.query({ personId: 'alice', limit: 5 })), seqs(journal.query({ doorId: 'lobby', personId: 'bob', since: t0 + 100, until: t0 + 110, limit: 50 }))];
  t.same(before, [[460, 470, 480, 490, 500], [102, 104, 106, 108]]);
  t.same(midway, before, 'half looked up, half from the tail: the same answer');
  t.same(after, before, 'all looked up: the same answer');
  journal.acknowledge(2 * UPKEEP_BATCH);
  clock.set(t0 + 2 * DAY);
  clock.advance(60_000);
  clock.advance(60);
  t.equal(journal.stats().history, 0);
  t.equal(lookups(), 0, 'the pruned rows took their lookups with them');
});

t.test('recent() returns written and buffered events after a seq and writes nothing', async (t) => {
  const { journal, clock } = setup(t, { batchSize: 100 });
  await journal.start();
  for (let i = 1; i <= 5; i++) journal.append(access(clock.now(), i));
  journal.flush();
  journal.append(access(clock.now(), 6));
  const commits = journal.stats().commits;
  t.same(seqs(journal.recent(3, 10)), [4, 5, 6], 'two written, one still buffered');
  t.same(seqs(journal.recent(3, 2)), [4, 5], 'at most limit');
  t.same(journal.recent(6, 10), [], 'nothing after the last seq');
  t.equal(journal.stats().commits, commits, 'no commit');
  t.equal(journal.stats().pending, 1, 'the buffered event is still buffered');
});

t.test('a full journal with no acks stays bounded: events_dropped is folded to one alarm per window, and the log is rate-limited', async (t) => {
  const capacity = 1000;
  const { journal, clock, logs, db } = setup(t, { maxEvents: capacity, batchSize: 1, alarmFoldMs: 60_000, history: null });
  await journal.start();
  // the reproduction: the cloud is away, events keep coming, every append is its own flush
  const seconds = 60;
  const perSecond = 200;
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < perSecond; i++) journal.append(access(clock.now(), s * perSecond + i));
    clock.advance(1000);
  }
  journal.flush();
  const stats = journal.stats();
  t.equal(stats.count, capacity, 'the upload queue stays at its bound');
  const queue = journal.read(0, capacity);
  const alarms = queue.filter((e) => e.reason === 'events_dropped');
  t.ok(alarms.length <= 2, `at most one events_dropped per 60 s window in the queue (${alarms.length} of ${capacity} rows)`);
  t.ok(queue.filter((e) => e.type === 'access').length >= capacity - 3, 'the queue holds access events, not its own alarms');
  const written = journal.query({ kind: 'alarm', limit: 100 });
  const droppedAlarms = written.filter((e) => e.reason === 'events_dropped');
  t.ok(droppedAlarms.length <= 3, `events_dropped alarms written in 60 s: ${droppedAlarms.length}`);
  const reported = droppedAlarms.reduce((sum, e) => sum + (e.data?.dropped as number), 0);
  t.ok(reported <= stats.dropped && reported > 0, `the alarms report the drops (${reported} of ${stats.dropped}; the rest fold into the next)`);
  const warns = logs.filter((l) => l.level >= WARN);
  t.ok(warns.length <= 5, `warn lines in 60 s: ${warns.length}`);
  await journal.stop();
  const last = journal.stats();
  const all = db.prepare("SELECT data FROM journal WHERE reason = 'events_dropped'").pluck().all() as string[];
  const total = all.reduce((sum, d) => sum + (JSON.parse(d) as { dropped: number }).dropped, 0);
  t.equal(total, last.dropped, 'after stop every drop is reported by some alarm, none twice');
  t.equal((JSON.parse(all.at(-1)!) as { totalDropped: number }).totalDropped, last.dropped);
});

t.test('drops folded when the process stopped short are alarmed after the restart', async (t) => {
  const first = setup(t, { maxEvents: 10, batchSize: 100, history: null });
  await first.journal.start();
  for (let i = 0; i < 12; i++) first.journal.append(access(first.clock.now(), i));
  first.journal.flush(); // drops, alarmed at once
  for (let i = 0; i < 5; i++) first.journal.append(access(first.clock.now(), i));
  first.journal.flush(); // more drops inside the window: folded
  const dropped = first.journal.stats().dropped;
  // a crash: no stop(), the folded drops were never alarmed
  first.db.close();
  const again = setup(t, { path: first.path, maxEvents: 10, history: null });
  await again.journal.start();
  await new Promise<void>((resolve) => setImmediate(resolve));
  const alarms = again.journal.query({ kind: 'alarm', limit: 10 }).filter((e) => e.reason === 'events_dropped');
  const total = alarms.reduce((sum, e) => sum + (e.data?.dropped as number), 0);
  t.equal(total, again.journal.stats().dropped, `every drop reported after the restart (${dropped} before it, plus the alarm row's own)`);
});

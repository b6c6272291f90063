import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { ManualClock, type TimerHandle } from '../../src/kernel/clock.js';
import { childEnv } from '../support/childEnv.js';
import { migrate } from '../../src/store/database.js';
import { Journal, type JournalEntry } from '../../src/journal/journal.js';
import type { JournalOptions, JournalTimers } from '../../src/journal/journalOptions.js';

type LogLine = { level: number; module?: string; msg: string; [k: string]: unknown };

const WARN = 40;
const ERROR = 50;

/** A real SQLite file in WAL mode with the schema applied by the real migration runner. */
function openDb(t: Test, path: string, options: Database.Options = {}): Db {
  const db = new Database(path, options);
  db.pragma('journal_mode = WAL');
  migrate(db);
  t.teardown(() => {
    if (db.open) db.close();
  });
  return db;
}

/** Timers the test fires by hand. */
class FakeTimers implements JournalTimers {
  pending: Array<{ id: number; callback: () => void; ms: number }> = [];
  private nextId = 1;
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, callback, ms };
    this.pending.push(timer);
    return timer;
  }
  clearTimeout(handle: TimerHandle | null | undefined): void {
    this.pending = this.pending.filter((p) => p !== handle);
  }
  fire(): void {
    const due = this.pending;
    this.pending = [];
    for (const p of due) p.callback();
  }
}

interface Harness {
  db: Db;
  journal: Journal;
  clock: ManualClock;
  timers: FakeTimers;
  logs: LogLine[];
  alarms: JournalEntry[];
  /** the `synchronous` level in force at each journal transaction */
  syncLevels: number[];
  path: string;
}

/**
 * Wraps the connection so the test sees the `synchronous` level each transaction ran with;
 * everything else goes to the real connection.
 */
function observeTransactions(db: Db, syncLevels: number[]): Db {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') {
        return (fn: (...args: unknown[]) => unknown) => {
          const tx = target.transaction(fn);
          const record = () => syncLevels.push(Number(target.pragma('synchronous', { simple: true })));
          const wrapped = (...args: unknown[]) => (record(), tx(...args));
          wrapped.immediate = (...args: unknown[]) => (record(), tx.immediate(...args));
          return wrapped;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function harness(t: Test, options: Partial<JournalOptions> & { path?: string; dbOptions?: Database.Options } = {}): Harness {
  const path = options.path ?? join(t.testdir(), 'gateway.db');
  const db = openDb(t, path, options.dbOptions);
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock('2025-03-01T08:00:00Z');
  const timers = new FakeTimers();
  const logs: LogLine[] = [];
  const alarms: JournalEntry[] = [];
  const syncLevels: number[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const journal = new Journal(observeTransactions(db, syncLevels), {
    maxEvents: 1000,
    clock,
    logger,
    timers,
    onAlarm: (e) => void alarms.push(e),
    // these tests count the flush timers; the history's pruning has its own tests (journalHistory.test.ts)
    history: null,
    ...options,
  });
  return { db, journal, clock, timers, logs, alarms, syncLevels, path };
}

const access = (clock: ManualClock, n: number) => ({
  type: 'access' as const,
  at: clock.now(),
  doorId: 'front',
  grant: n % 2 === 0,
  reason: n % 2 === 0 ? 'granted' : 'outside_schedule',
  personId: `p-${n}`,
  credentialId: `c-${n}`,
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const seqs = (entries: JournalEntry[]) => entries.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** rows as another connection sees them: committed, not buffered */
const committedSeqs = (path: string) => {
  const other = new Database(path, { readonly: true });
  try {
    return other.prepare('SELECT seq FROM journal ORDER BY seq').pluck().all() as number[];
  } finally {
    other.close();
  }
};

t.test('sequence numbers are gap-free across batches and across a close and reopen', async (t) => {
  const h = harness(t, { batchSize: 4 });
  await h.journal.start();
  const first = Array.from({ length: 10 }, (_, i) => h.journal.append(access(h.clock, i)));
  t.same(first, range(1, 10));
  t.same(committedSeqs(h.path), range(1, 8), 'two full batches were written synchronously');
  await h.journal.stop();
  h.db.close();

  const again = harness(t, { path: h.path, batchSize: 4 });
  await again.journal.start();
  t.equal(again.journal.append(access(again.clock, 11)), 11);
  t.same(seqs(again.journal.read(0, 100)), range(1, 11));
  t.equal(again.journal.stats().lastSeq, 11);
  await again.journal.stop();
});

t.test('append returns its seq at once and the event is written on the next turn of the event loop', async (t) => {
  const h = harness(t);
  await h.journal.start();
  t.equal(h.journal.append(access(h.clock, 1)), 1);
  t.equal(h.journal.append(access(h.clock, 2)), 2);
  t.equal(h.journal.stats().pending, 2);
  t.same(committedSeqs(h.path), []);
  await nextTurn();
  t.same(committedSeqs(h.path), [1, 2]);
  t.equal(h.journal.stats().pending, 0);
  t.equal(h.journal.stats().commits, 1, 'both events in one transaction');
  await h.journal.stop();
});

t.test('the sequence continues after every row was acknowledged, across a restart', async (t) => {
  const h = harness(t);
  await h.journal.start();
  for (let i = 0; i < 5; i++) h.journal.append(access(h.clock, i));
  t.equal(h.journal.acknowledge(5), 5, 'acknowledge flushes first, then deletes');
  t.match(h.journal.stats(), { count: 0, firstSeq: null, lastSeq: 5 });
  t.equal(h.journal.acknowledge(5), 0, 'acknowledging again deletes nothing');
  await h.journal.stop();
  h.db.close();

  const again = harness(t, { path: h.path });
  await again.journal.start();
  t.equal(again.journal.stats().lastSeq, 5);
  t.equal(again.journal.append(access(again.clock, 6)), 6);
  await again.journal.stop();
});

t.test('the sequence is derived from the rows when the high-water mark is missing from meta', async (t) => {
  const h = harness(t);
  await h.journal.start();
  for (let i = 0; i < 3; i++) h.journal.append(access(h.clock, i));
  await h.journal.stop();
  h.db.prepare("DELETE FROM meta WHERE key = 'journal.lastSeq'").run();
  const again = new Journal(h.db, { maxEvents: 1000, clock: h.clock, logger: pino({ level: 'silent' }) });
  await again.start();
  t.equal(again.append(access(h.clock, 4)), 4);
  await again.stop();
});

t.test('a full journal evicts the oldest rows first, persists the dropped count and records events_dropped', async (t) => {
  const h = harness(t, { maxEvents: 10, batchSize: 100 });
  await h.journal.start();
  for (let i = 0; i < 7; i++) h.journal.append(access(h.clock, i));
  h.journal.flush();
  t.same(h.alarms, [], '70 % full: no alarm yet');
  for (let i = 7; i < 12; i++) h.journal.append(access(h.clock, i));
  h.journal.flush();

  const entries = h.journal.read(0, 100);
  t.same(seqs(entries), range(5, 14), 'seqs 1-4 evicted; the alarms took 13 and 14');
  t.match(entries[8], { seq: 13, type: 'alarm', reason: 'events_dropped', data: { dropped: 4, totalDropped: 4 } });
  t.match(entries[9], { seq: 14, type: 'alarm', reason: 'journal_80_percent', data: { count: 10, capacity: 10 } });
  t.match(h.journal.stats(), { count: 10, firstSeq: 5, lastSeq: 14, capacity: 10, fill: 1, dropped: 4 });
  t.same(h.alarms.map((a) => a.reason), ['events_dropped', 'journal_80_percent'], 'onAlarm heard both');
  const warned = h.logs.filter((l) => l.level === WARN && l.module === 'store:journal').map((l) => l.reason);
  t.same(warned, ['events_dropped', 'journal_80_percent'], 'both logged at warn by the journal logger');

  for (let i = 12; i < 15; i++) h.journal.append(access(h.clock, i));
  h.journal.flush();
  t.match(h.journal.read(0, 100).at(-1), { seq: 17, type: 'access' }, 'within the fold window the next drops are counted, not alarmed');
  t.equal(h.journal.stats().dropped, 7);
  h.clock.advance(60_000);
  h.timers.fire(); // the fold window ends: one alarm reports the folded drops
  t.match(h.journal.read(0, 100).at(-1), { seq: 18, reason: 'events_dropped', data: { dropped: 4, totalDropped: 8, repeated: 1 } });
  await h.journal.stop();
  h.db.close();

  const again = harness(t, { path: h.path, maxEvents: 10 });
  await again.journal.start();
  t.match(again.journal.stats(), { dropped: 8, count: 10, firstSeq: 9, lastSeq: 18 });
  await again.journal.stop();
});

t.test('the 80 % alarm fires once, survives a restart, and re-arms only below 70 %', async (t) => {
  const h = harness(t, { maxEvents: 100, batchSize: 1000 });
  const fill = (n: number) => {
    for (let i = 0; i < n; i++) h.journal.append(access(h.clock, i));
    h.journal.flush();
  };
  await h.journal.start();
  fill(79);
  t.same(h.alarms, []);
  fill(1);
  t.same(h.alarms.map((a) => a.data), [{ count: 81, capacity: 100 }], 'fires when the batch reaches 80 %');
  fill(5);
  t.equal(h.alarms.length, 1, 'does not fire again while above 70 %');
  await h.journal.stop();
  h.db.close();

  const again = harness(t, { path: h.path, maxEvents: 100, batchSize: 1000 });
  const j = again.journal;
  await j.start();
  j.append(access(again.clock, 0));
  j.flush();
  t.same(again.alarms, [], 'the raised state is persisted');

  j.acknowledge(12); // 87 -> 75 rows: 75 %, still not re-armed
  t.equal(j.stats().count, 75);
  for (let i = 0; i < 5; i++) j.append(access(again.clock, i));
  j.flush();
  t.same(again.alarms, [], '75 % does not re-arm');

  j.acknowledge(32); // 80 -> 60 rows
  t.equal(j.stats().count, 60);
  t.ok(again.logs.some((l) => /re-armed/.test(l.msg)));
  for (let i = 0; i < 19; i++) j.append(access(again.clock, i));
  j.flush();
  t.same(again.alarms, [], '79 %');
  j.append(access(again.clock, 0));
  j.flush();
  t.same(again.alarms.map((a) => a.reason), ['journal_80_percent'], 'fires again after re-arming');
  await j.stop();
});

t.test('read returns entries after afterSeq in seq order, at most limit, decoded as they were appended', async (t) => {
  const h = harness(t);
  await h.journal.start();
  for (let i = 1; i <= 20; i++) h.journal.append(access(h.clock, i));
  h.journal.append({ type: 'mode', at: 1_700_000_000_000, doorId: 'front', keyId: 'k-1', data: { mode: 'lockdown' } });

  const page = h.journal.read(5, 3);
  t.same(seqs(page), [6, 7, 8]);
  t.same(page[0], {
    seq: 6,
    type: 'access',
    at: h.clock.now(),
    doorId: 'front',
    grant: true,
    reason: 'granted',
    personId: 'p-6',
    credentialId: 'c-6',
  });
  t.same(h.journal.read(20, 10), [{ seq: 21, type: 'mode', at: 1_700_000_000_000, doorId: 'front', keyId: 'k-1', data: { mode: 'lockdown' } }]);
  t.same(h.journal.read(21, 10), []);
  t.same(h.journal.read(0, 0), []);
  t.same(seqs(h.journal.read(-5, 100)), range(1, 21));
  t.throws(() => h.journal.read(0, -1), { code: 'INPUT_INVALID' });
  t.throws(() => h.journal.read(0.5, 1), { code: 'INPUT_INVALID' });
  t.throws(() => h.journal.acknowledge(Number.NaN), { code: 'INPUT_INVALID' });
  await h.journal.stop();
});

t.test('read returns only events that are on disk: it syncs committed events first', async (t) => {
  const h = harness(t, { dbOptions: { timeout: 0 } });
  await h.journal.start();
  for (let i = 0; i < 3; i++) h.journal.append(access(h.clock, i));
  h.journal.flush();
  t.same(h.syncLevels, [1], 'committed with NORMAL');
  t.same(seqs(h.journal.read(0, 10)), [1, 2, 3]);
  t.same(h.syncLevels, [1, 2], 'read made them durable before handing them out');
  t.same(seqs(h.journal.read(0, 10)), [1, 2, 3]);
  t.same(h.syncLevels, [1, 2], 'nothing new: no commit');

  h.journal.append(access(h.clock, 4));
  h.journal.flush();
  const other = new Database(h.path, { timeout: 0 });
  t.teardown(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  t.same(seqs(h.journal.read(0, 10)), [1, 2, 3], 'seq 4 is committed but not synced: not handed out');
  t.match(h.journal.stats().lastError, { code: 'SQLITE_BUSY' });
  other.exec('COMMIT');
  t.same(seqs(h.journal.read(0, 10)), [1, 2, 3, 4]);
  await h.journal.stop();
});

t.test('without injected timers the journal uses the clock\'s timers', async (t) => {
  const h = harness(t, { timers: undefined });
  await h.journal.start();
  h.journal.append(access(h.clock, 0));
  h.journal.flush();
  await h.journal.stop();
  t.same(committedSeqs(h.path), [1]);
});

t.test('one flush writes 10,000 buffered events in one transaction', async (t) => {
  const h = harness(t, { maxEvents: 20_000, batchSize: 20_000 });
  await h.journal.start();
  for (let i = 0; i < 10_000; i++) h.journal.append(access(h.clock, i));
  t.equal(h.journal.stats().pending, 10_000);
  h.journal.flush();
  t.equal(h.syncLevels.length, 1, 'one transaction');
  t.match(h.journal.stats(), { commits: 1, count: 10_000, pending: 0, firstSeq: 1, lastSeq: 10_000 });
  t.equal(committedSeqs(h.path).length, 10_000);
  await h.journal.stop();
});

t.test('batches commit with synchronous=NORMAL and with FULL once durableIntervalMs has passed on the clock', async (t) => {
  const h = harness(t, { durableIntervalMs: 1000 });
  h.db.pragma('synchronous = FULL'); // what the state-table code leaves on the shared connection
  await h.journal.start();
  const durableBefore = h.journal.stats().durableCommits;
  const commitOne = () => {
    h.journal.append(access(h.clock, 0));
    h.journal.flush();
  };
  commitOne();
  h.clock.advance(999);
  commitOne();
  t.same(h.syncLevels, [1, 1], 'NORMAL until the interval has passed');
  t.equal(h.journal.stats().durableCommits, durableBefore);
  h.clock.advance(1);
  commitOne();
  t.same(h.syncLevels, [1, 1, 2], 'FULL at 1000 ms');
  t.equal(h.journal.stats().durableCommits, durableBefore + 1);
  commitOne();
  t.same(h.syncLevels, [1, 1, 2, 1], 'the interval restarts at the durable commit');
  t.equal(h.db.pragma('synchronous', { simple: true }), 2, 'the connection keeps its own level');

  h.db.pragma('synchronous = EXTRA');
  h.clock.advance(1000);
  commitOne();
  t.equal(h.syncLevels.at(-1), 3, 'a durable commit never lowers a stricter connection level');
  await h.journal.stop();
});

t.test('committed events become durable after durableIntervalMs even when no more events arrive', async (t) => {
  const h = harness(t, { durableIntervalMs: 1000 });
  await h.journal.start();
  h.journal.append(access(h.clock, 0));
  h.journal.flush();
  t.same(h.timers.pending.map((p) => p.ms), [1000], 'the backstop is armed by a NORMAL commit');
  const before = h.journal.stats().durableCommits;
  h.timers.fire();
  t.same(h.syncLevels, [1, 2], 'the backstop commits with FULL although nothing was buffered');
  t.equal(h.journal.stats().durableCommits, before + 1);
  t.same(h.timers.pending, [], 'nothing more to sync');
  t.same(committedSeqs(h.path), [1]);
  await h.journal.stop();
  t.equal(h.syncLevels.length, 2, 'a stop with nothing to write commits nothing');
});

t.test('credential-like data fields are redacted before they are written or logged', async (t) => {
  const h = harness(t);
  await h.journal.start();
  const data = { pin: '4711', pinCode: '0815', nested: { Card: '26:12:34567', value: 'abc' }, list: [{ secret: 's3cr3t' }], door: 'front' };
  h.journal.append({ type: 'security', at: h.clock.now(), reason: 'duress', data });
  const [entry] = h.journal.read(0, 1);
  t.same(entry?.data, {
    pin: '[redacted]',
    pinCode: '[redacted]',
    nested: { Card: '[redacted]', value: '[redacted]' },
    list: [{ secret: '[redacted]' }],
    door: 'front',
  });
  t.equal(data.pin, '4711', "the caller's object is not changed");
  const raw = JSON.stringify(h.db.prepare('SELECT * FROM journal').all()) + JSON.stringify(h.logs);
  for (const secret of ['4711', '0815', '34567', 'abc', 's3cr3t']) t.notMatch(raw, secret, `${secret} is nowhere`);
  t.match(h.logs.find((l) => l.level === WARN), { fields: ['pin', 'pinCode', 'Card', 'value', 'secret'] });
  await h.journal.stop();
});

t.test('a full disk keeps events buffered, never throws into append, and they are written once space is back', async (t) => {
  const h = harness(t);
  await h.journal.start();
  h.db.pragma(`max_page_count = ${Number(h.db.pragma('page_count', { simple: true }))}`);
  const padding = 'x'.repeat(200);
  for (let i = 0; i < 200; i++) h.journal.append({ ...access(h.clock, i), data: { padding } });
  h.journal.flush();
  t.match(h.journal.stats(), { pending: 200, count: 0, lastSeq: 200, lastError: { code: 'SQLITE_FULL', failures: 1 } });
  t.same(committedSeqs(h.path), [], 'the failed transaction left nothing behind');
  t.equal(h.db.pragma('synchronous', { simple: true }), 1, 'synchronous restored after the failure');

  h.clock.advance(5000);
  h.journal.flush();
  h.journal.append(access(h.clock, 200));
  t.equal(h.journal.stats().lastError?.failures, 2);
  const errors = h.logs.filter((l) => l.level === ERROR);
  t.equal(errors.length, 1, 'a repeated failure is not logged at error again within a minute');
  t.match(errors[0], { module: 'store:journal', code: 'SQLITE_FULL', pending: 200 });

  h.db.pragma('max_page_count = 1073741823');
  h.journal.flush();
  t.same(committedSeqs(h.path), range(1, 201), 'every event written, in order, none lost');
  t.match(h.journal.stats(), { pending: 0, lastError: null, count: 201 });
  t.ok(h.logs.some((l) => l.msg === 'journal writes recovered'));
  await h.journal.stop();
});

t.test('another process holding the write lock delays the flush, never the door', async (t) => {
  const h = harness(t, { batchSize: 512, dbOptions: { timeout: 0 } });
  await h.journal.start();
  const other = new Database(h.path, { timeout: 0 });
  t.teardown(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < 600; i++) h.journal.append(access(h.clock, i));
  await nextTurn();
  t.match(h.journal.stats(), { pending: 600, lastError: { code: 'SQLITE_BUSY', failures: 1 } }, 'tried once at 512, then backs off');
  t.same(h.timers.pending.map((p) => p.ms), [1000], 'a retry is scheduled');

  h.timers.fire();
  t.equal(h.journal.stats().lastError?.failures, 2, 'the retry failed too');
  t.same(h.timers.pending.map((p) => p.ms), [2000], 'and backs off further');

  other.exec('COMMIT');
  h.timers.fire();
  t.match(h.journal.stats(), { pending: 0, count: 600, lastError: null });
  t.equal(h.syncLevels.at(-1), 2, 'the retry commits durably');
  await h.journal.stop();
});

t.test('while writes fail, events beyond capacity are shed oldest first and counted', async (t) => {
  const h = harness(t, { maxEvents: 10, batchSize: 5 });
  await h.journal.start();
  h.db.pragma(`max_page_count = ${Number(h.db.pragma('page_count', { simple: true }))}`);
  const padding = 'z'.repeat(2000);
  for (let i = 0; i < 30; i++) h.journal.append({ ...access(h.clock, i), data: { padding } });
  t.match(h.journal.stats(), { pending: 10, dropped: 20, lastSeq: 30 });
  t.ok(h.logs.some((l) => l.level === ERROR && l.shed === 5));

  h.db.pragma('max_page_count = 1073741823');
  h.journal.flush();
  const entries = h.journal.read(0, 100);
  t.same(seqs(entries), range(23, 32), 'the newest events, then the two alarms');
  t.match(entries.at(-2), { reason: 'events_dropped', data: { dropped: 22, totalDropped: 22 } });
  t.match(h.journal.stats(), { dropped: 22, count: 10 });
  await h.journal.stop();
});

t.test('append, read and acknowledge before start or after stop throw NOT_STARTED', async (t) => {
  const h = harness(t);
  const notStarted = { code: 'NOT_STARTED' };
  t.throws(() => h.journal.append(access(h.clock, 0)), notStarted);
  t.throws(() => h.journal.read(0, 1), notStarted);
  h.journal.flush(); // a no-op, not an error
  await h.journal.stop(); // likewise
  await h.journal.start();
  await h.journal.start(); // idempotent
  h.journal.append(access(h.clock, 0));
  await h.journal.stop();
  t.throws(() => h.journal.append(access(h.clock, 0)), notStarted);
  t.throws(() => h.journal.acknowledge(1), notStarted);
});

t.test('stop writes the buffer durably and cancels the scheduled flush', async (t) => {
  const h = harness(t);
  await h.journal.start();
  for (let i = 0; i < 3; i++) h.journal.append(access(h.clock, i));
  await h.journal.stop();
  t.same(committedSeqs(h.path), [1, 2, 3]);
  t.same(h.syncLevels, [2], 'one FULL commit');
  t.same(h.timers.pending, []);
  await nextTurn();
  t.equal(h.syncLevels.length, 1, 'no flush after stop');
});

t.test('a stop whose last flush fails says so; a restart keeps the buffered events and their seqs', async (t) => {
  const h = harness(t);
  await h.journal.start();
  h.db.pragma(`max_page_count = ${Number(h.db.pragma('page_count', { simple: true }))}`);
  for (let i = 0; i < 50; i++) h.journal.append({ ...access(h.clock, i), data: { padding: 'y'.repeat(300) } });
  await h.journal.stop();
  t.match(h.logs.at(-1), { level: ERROR, pending: 50, firstPending: 1 });

  h.db.pragma('max_page_count = 1073741823');
  await h.journal.start();
  t.equal(h.journal.append(access(h.clock, 51)), 51);
  h.journal.flush();
  t.same(committedSeqs(h.path), range(1, 51));
  await h.journal.stop();
});

t.test('a flush asked for inside another transaction waits until that transaction is over', async (t) => {
  const h = harness(t);
  await h.journal.start();
  h.journal.append(access(h.clock, 0));
  h.db.transaction(() => {
    h.journal.flush();
    t.equal(h.journal.stats().pending, 1, 'not written into a transaction that might roll back');
    t.throws(() => h.journal.acknowledge(1), { code: 'INPUT_INVALID' });
  })();
  t.same(h.timers.pending.map((p) => p.ms), [100]);
  h.timers.fire();
  t.same(committedSeqs(h.path), [1]);
  await h.journal.stop();
});

t.test('odd events are stored, never thrown: cyclic data, a bad timestamp, an unknown type, a function', async (t) => {
  const h = harness(t);
  await h.journal.start();
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  h.journal.append({ type: 'system', at: Number.NaN, reason: 'cyclic', data: cyclic });
  h.journal.append({ type: 'bogus' as 'system', at: 12.7 });
  h.journal.append({ type: 'system', at: 1, data: (() => 0) as unknown as Record<string, unknown> });
  const [first, second, third] = h.journal.read(0, 10);
  t.same(first, { seq: 1, type: 'system', at: h.clock.now(), reason: 'cyclic', data: { unserializable: true } });
  t.same(second, { seq: 2, type: 'system', at: 12, data: { originalType: 'bogus' } });
  t.same(third, { seq: 3, type: 'system', at: 1 }, 'data that is not JSON at all is left out');
  t.ok(h.logs.some((l) => l.level === WARN && /serialisable/.test(l.msg)));
  await h.journal.stop();
});

t.test('a throwing onAlarm listener is logged and does not break the journal', async (t) => {
  const h = harness(t, {
    maxEvents: 10,
    onAlarm: () => {
      throw new Error('listener bug');
    },
  });
  await h.journal.start();
  for (let i = 0; i < 12; i++) h.journal.append(access(h.clock, i));
  h.journal.flush();
  t.equal(h.journal.stats().count, 10);
  t.ok(h.logs.some((l) => l.level === ERROR && l.msg === 'journal onAlarm listener threw'));
  t.equal(h.journal.append(access(h.clock, 13)), 15);
  await h.journal.stop();
});

t.test('bad options and a store without the schema are refused with stable codes', async (t) => {
  const clock = new ManualClock(0);
  const logger = pino({ level: 'silent' });
  const db = new Database(join(t.testdir(), 'empty.db'));
  t.teardown(() => db.close());
  const configInvalid = (field: string) => ({ code: 'CONFIG_INVALID', details: { field } });
  t.throws(() => new Journal(db, { maxEvents: 5, clock, logger }), configInvalid('journal.maxEvents'));
  t.throws(() => new Journal(db, { maxEvents: 100, batchSize: 0, clock, logger }), configInvalid('journal.batchSize'));
  t.throws(() => new Journal(db, { maxEvents: 100, durableIntervalMs: -1, clock, logger }), configInvalid('journal.durableIntervalMs'));
  await t.rejects(new Journal(db, { maxEvents: 100, clock, logger }).start(), { code: 'STORE_CORRUPT' });

  migrate(db);
  db.prepare("INSERT INTO meta (key, value) VALUES ('journal.lastSeq', 'banana')").run();
  await t.rejects(new Journal(db, { maxEvents: 100, clock, logger }).start(), { code: 'STORE_CORRUPT', details: { id: 'journal.lastSeq' } });
});

t.test('a process crash loses only the events still buffered; committed events survive', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'gateway.db');
  openDb(t, path).close();
  const journalUrl = pathToFileURL(fileURLToPath(new URL('../../src/journal/journal.ts', import.meta.url))).href;
  const clockUrl = pathToFileURL(fileURLToPath(new URL('../../src/kernel/clock.ts', import.meta.url))).href;
  const script = join(dir, 'crash.ts');
  writeFileSync(
    script,
    `import Database from 'better-sqlite3';
     import { pino } from 'pino';
     import { Journal } from ${JSON.stringify(journalUrl)};
     import { ManualClock } from ${JSON.stringify(clockUrl)};
     const db = new Database(${JSON.stringify(path)});
     db.pragma('journal_mode = WAL');
     const journal = new Journal(db, { maxEvents: 100, durableIntervalMs: 3_600_000, clock: new ManualClock(1), logger: pino({ level: 'silent' }) });
     await journal.start();
     for (let i = 0; i < 5; i++) journal.append({ type: 'access', at: 1, doorId: 'front', grant: true });
     journal.flush();
     for (let i = 0; i < 3; i++) journal.append({ type: 'access', at: 1, doorId: 'front', grant: false });
     process.kill(process.pid, 'SIGKILL');
    `,
  );
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd, env: childEnv(), encoding: 'utf8' });
  t.equal(child.signal, 'SIGKILL', child.stderr);
  t.same(committedSeqs(path), range(1, 5), 'the NORMAL commit survived the crash; the buffer did not');
  const h = harness(t, { path });
  await h.journal.start();
  t.same(seqs(h.journal.read(0, 10)), range(1, 5));
  t.same(h.syncLevels, [2], 'rows the crashed process committed are fsynced before they are handed out');
  t.equal(h.journal.append(access(h.clock, 6)), 6, 'the seqs of lost buffered events are handed out again: no gap in what the cloud sees');
  await h.journal.stop();
});

t.test('the journal id is a UUID created once, kept across a restart, and new with a new database', async (t) => {
  const h = harness(t);
  t.throws(() => h.journal.id, { code: 'NOT_STARTED' });
  await h.journal.start();
  const id = h.journal.id;
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  await h.journal.stop();
  const again = new Journal(h.db, { maxEvents: 1000, clock: h.clock, logger: pino({ level: 'silent' }) });
  await again.start();
  t.equal(again.id, id, 'same database, same id');
  const other = harness(t, { path: join(t.testdir(), 'other.db') });
  await other.journal.start();
  t.not(other.journal.id, id, 'a new database gets a new id');
});

t.test('hold(): appends stay in memory, read() hands out only what was written before, release() writes them in order', async (t) => {
  const h = harness(t, { batchSize: 4, durableIntervalMs: 0 });
  await h.journal.start();
  for (let i = 1; i <= 3; i++) h.journal.append(access(h.clock, i));
  t.same(seqs(h.journal.read(0, 100)), [1, 2, 3]);
  h.journal.hold();
  for (let i = 4; i <= 13; i++) h.journal.append(access(h.clock, i)); // more than a batch
  h.timers.fire();
  t.same(seqs(h.journal.read(0, 100)), [1, 2, 3], 'nothing written while held, not even a full batch or a timer flush');
  t.equal(h.journal.stats().pending, 10);
  h.journal.release();
  t.same(seqs(h.journal.read(0, 100)), range(1, 13), 'written in order at release');
  await h.journal.stop();
});

t.test('stop() while held writes the buffered events', async (t) => {
  const h = harness(t, { batchSize: 4 });
  await h.journal.start();
  h.journal.hold();
  for (let i = 1; i <= 6; i++) h.journal.append(access(h.clock, i));
  await h.journal.stop();
  const again = harness(t, { path: h.path });
  await again.journal.start();
  t.same(seqs(again.journal.read(0, 100)), range(1, 6));
  await again.journal.stop();
});

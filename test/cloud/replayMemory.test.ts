import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { ReplayMemory } from '../../src/cloud/replayMemory.js';
import type { ReplayEntry, ReplayLedger } from '../../src/cloud/replayLedger.js';
import { openDatabase } from '../../src/store/database.js';
import { CommandReplayStore } from '../../src/store/commandReplayStore.js';

const logger = pino({ level: 'silent' });
const memory = (maxEntries: number, clock = new ManualClock(0), ledger?: ReplayLedger) =>
  new ReplayMemory({ maxEntries, clock, logger, ...(ledger === undefined ? {} : { ledger }) });

t.test('an entry is known until its expiry, then forgotten', async (t) => {
  const m = memory(10);
  m.set(['a'], 'ok', 1_000, 0);
  t.equal(m.get('a', 999), 'ok');
  t.equal(m.get('a', 1_000), undefined);
  t.equal(m.size, 0, 'an expired entry is dropped when looked up');
});

t.test('when full, expired entries go first, then the oldest', async (t) => {
  const m = memory(3);
  m.set(['old-long'], '1', 10_000, 0);
  m.set(['short'], '2', 100, 0);
  m.set(['mid'], '3', 10_000, 0);
  m.set(['new'], '4', 10_000, 200);
  t.equal(m.get('short', 200), undefined, 'the expired one made room');
  t.equal(m.get('old-long', 200), '1', 'the oldest live one was kept while an expired one could go');
  m.set(['newer'], '5', 10_000, 200);
  t.equal(m.get('old-long', 200), undefined, 'then the oldest goes');
  t.same([m.get('mid', 200), m.get('new', 200), m.get('newer', 200)], ['3', '4', '5']);
  t.equal(m.size, 3);
});

t.test('setting a key again replaces and renews it', async (t) => {
  const m = memory(2);
  m.set(['a'], '1', 100, 0);
  m.set(['b'], '2', 100, 0);
  m.set(['a'], '3', 500, 50);
  m.set(['c'], '4', 500, 50);
  t.equal(m.get('a', 200), '3', 'a was renewed, so b was the oldest');
  t.equal(m.get('b', 60), undefined);
});

t.test('with a ledger, a second memory started on the same database knows what the first remembered', async (t) => {
  const path = `${t.testdir()}/gateway.db`;
  const clock = new ManualClock(1_000);
  const db = openDatabase(path);
  const first = memory(3, clock, new CommandReplayStore(db));
  await first.start();
  first.set(['c:1', 'j:1'], 'ok', 60_000, clock.now());
  first.set(['c:2', 'j:2'], 'unavailable', 60_000, clock.now());
  await first.stop();
  db.close();

  const again = openDatabase(path);
  t.teardown(() => again.close());
  const second = memory(3, clock, new CommandReplayStore(again));
  await second.start();
  t.teardown(() => second.stop());
  t.equal(second.get('c:2', clock.now()), 'unavailable');
  t.equal(second.get('j:2', clock.now()), 'unavailable');
  t.equal(second.get('j:1', clock.now()), 'ok', 'the newest 3 of 4 keys');
  t.equal(second.get('c:1', clock.now()), undefined, 'the oldest went to keep the bound, in the ledger too');
  t.equal(second.size, 3);
});

t.test('expired entries are deleted from the ledger on the clock, not per command', async (t) => {
  const clock = new ManualClock(0);
  const calls: string[] = [];
  const ledger: ReplayLedger = {
    load: () => ({ entries: [], skipped: 0 }),
    remember: (entries: readonly ReplayEntry[]) => { calls.push(`remember ${entries.length}`); },
    prune: (now, keep) => { calls.push(`prune ${now} ${keep}`); return 0; },
  };
  const m = memory(4, clock, ledger);
  await m.start();
  m.set(['a', 'b'], 'ok', 1_000, 0);
  t.same(calls, ['remember 2'], 'one write for both keys of a command, no prune');
  clock.advance(10 * 60_000);
  t.same(calls, ['remember 2', 'prune 600000 4']);
  await m.stop();
  clock.advance(10 * 60_000);
  t.equal(calls.length, 2, 'stopped: no more pruning');
});

t.test('a ledger that fails is logged; the memory still works for this process', async (t) => {
  const clock = new ManualClock(0);
  const ledger: ReplayLedger = {
    load: () => { throw new Error('disk I/O error'); },
    remember: () => { throw new Error('SQLITE_FULL'); },
    prune: () => 0,
  };
  const m = memory(4, clock, ledger);
  await m.start();
  t.teardown(() => m.stop());
  m.set(['a'], 'ok', 1_000, 0);
  t.equal(m.get('a', 1), 'ok');
});

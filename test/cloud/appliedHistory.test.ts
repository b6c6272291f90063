import t from 'tap';
import { AppliedHistory } from '../../src/cloud/appliedHistory.js';
import type { Delta } from '../../src/wire/messages.js';
import { parseBatch } from '../../src/store/batchOp.js';
import { up } from '../support/storeFixture.js';

const h = (c: string) => c.repeat(64);
const delta = (fromVersion: number, toVersion: number, hash: string, name = 'Bob'): Delta =>
  ({ fromVersion, toVersion, hash, operations: parseBatch([up('person', { id: 'bob', name })]) });

t.test('the delta that was applied again is a duplicate; its transaction does not count', async (t) => {
  const history = new AppliedHistory();
  history.deltas([delta(1, 2, h('a'))]);
  t.same(history.judge({ ...delta(1, 2, h('a')), transaction: 'tx-1' }, { revision: 2, hash: h('a') }), { duplicate: true });
});

t.test('another hash for a revision reached by a delta or a snapshot is a conflict', async (t) => {
  const history = new AppliedHistory();
  history.snapshot({ revision: 1, hash: h('1') });
  history.deltas([delta(1, 2, h('a'))]);
  t.match(history.judge(delta(0, 1, h('f')), { revision: 2, hash: h('a') }), { duplicate: false, detail: /revision 1 was reached with hash 1111/ });
  t.match(history.judge(delta(1, 2, h('f')), { revision: 2, hash: h('a') }), { duplicate: false });
  t.same(history.judge(delta(0, 1, h('1')), { revision: 2, hash: h('a') }), { duplicate: true }, 'the snapshot\'s hash: cannot be told from a duplicate');
});

t.test('the same range with the same hash but other operations is a conflict; another range to the same revision is judged by its hash', async (t) => {
  const history = new AppliedHistory();
  history.deltas([delta(1, 2, h('a'))]);
  history.deltas([delta(2, 3, h('b'))]);
  t.match(history.judge(delta(2, 3, h('b'), 'Mallory'), { revision: 3, hash: h('b') }), { duplicate: false, detail: /other operations/ });
  t.same(history.judge(delta(1, 3, h('b'), 'Mallory'), { revision: 3, hash: h('b') }), { duplicate: true });
});

t.test('without a memory of the revision (a restart): the running revision by its hash, older ones are duplicates', async (t) => {
  const history = new AppliedHistory();
  t.match(history.judge(delta(4, 5, h('c')), { revision: 5, hash: h('d') }), { duplicate: false });
  t.same(history.judge(delta(4, 5, h('d')), { revision: 5, hash: h('d') }), { duplicate: true });
  t.same(history.judge(delta(3, 4, h('c')), { revision: 5, hash: h('d') }), { duplicate: true });
});

t.test('bounded: the oldest revisions are forgotten first', async (t) => {
  const history = new AppliedHistory();
  for (let v = 1; v <= 1001; v++) history.deltas([delta(v - 1, v, h('a'))]);
  t.same(history.judge(delta(0, 1, h('f')), { revision: 1001, hash: h('a') }), { duplicate: true }, 'revision 1 is forgotten');
  t.match(history.judge(delta(1, 2, h('f')), { revision: 1001, hash: h('a') }), { duplicate: false }, 'revision 2 is remembered');
});

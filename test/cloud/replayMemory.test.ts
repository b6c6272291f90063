import t from 'tap';
import { ReplayMemory } from '../../src/cloud/replayMemory.js';

t.test('an entry is known until its expiry, then forgotten', async (t) => {
  const memory = new ReplayMemory<string>(10);
  memory.set('a', 'ok', 1_000, 0);
  t.equal(memory.get('a', 999), 'ok');
  t.equal(memory.get('a', 1_000), undefined);
  t.equal(memory.size, 0, 'an expired entry is dropped when looked up');
});

t.test('when full, expired entries go first, then the oldest', async (t) => {
  const memory = new ReplayMemory<number>(3);
  memory.set('old-long', 1, 10_000, 0);
  memory.set('short', 2, 100, 0);
  memory.set('mid', 3, 10_000, 0);
  memory.set('new', 4, 10_000, 200);
  t.equal(memory.get('short', 200), undefined, 'the expired one made room');
  t.equal(memory.get('old-long', 200), 1, 'the oldest live one was kept while an expired one could go');
  memory.set('newer', 5, 10_000, 200);
  t.equal(memory.get('old-long', 200), undefined, 'then the oldest goes');
  t.same([memory.get('mid', 200), memory.get('new', 200), memory.get('newer', 200)], [3, 4, 5]);
  t.equal(memory.size, 3);
});

t.test('setting a key again replaces and renews it', async (t) => {
  const memory = new ReplayMemory<number>(2);
  memory.set('a', 1, 100, 0);
  memory.set('b', 2, 100, 0);
  memory.set('a', 3, 500, 50);
  memory.set('c', 4, 500, 50);
  t.equal(memory.get('a', 200), 3, 'a was renewed, so b was the oldest');
  t.equal(memory.get('b', 60), undefined);
});

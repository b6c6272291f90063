import t from 'tap';
import { ManualClock, SystemClock } from '../../src/kernel/clock.js';

t.test('a manual clock fires due timers in order as time advances, and only then', async (t) => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now() - Date.parse('2026-01-01T00:00:00Z')}`), 200);
  clock.setTimeout(() => fired.push(`a@${clock.now() - Date.parse('2026-01-01T00:00:00Z')}`), 100);
  const cancelled = clock.setTimeout(() => fired.push('never'), 150);
  clock.clearTimeout(cancelled);
  t.same(clock.pending(), [100, 200]);
  clock.advance(99);
  t.same(fired, []);
  clock.advance(101);
  t.same(fired, ['a@100', 'b@200']);
  t.equal(clock.now(), Date.parse('2026-01-01T00:00:00.200Z'));
});

t.test('a timer set by a timer fires within the same advance when due', async (t) => {
  const clock = new ManualClock(0);
  const fired: number[] = [];
  clock.setTimeout(() => {
    fired.push(clock.now());
    clock.setTimeout(() => fired.push(clock.now()), 50);
  }, 50);
  clock.advance(100);
  t.same(fired, [50, 100]);
  clock.set(1000);
  t.equal(clock.now(), 1000);
});

t.test('the system clock reads the wall clock and its timers can be cancelled', async (t) => {
  const clock = new SystemClock();
  t.ok(Math.abs(clock.now() - Date.now()) < 1000);
  const h = clock.setTimeout(() => t.fail('cancelled timer fired'), 10_000);
  clock.clearTimeout(h);
  clock.clearTimeout(null);
});

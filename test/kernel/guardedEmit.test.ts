import t from 'tap';
import { EventEmitter, once } from 'node:events';
import { guardedEmit } from '../../src/kernel/guardedEmit.js';

type Events = { tick: [number] };

t.test('a listener that throws is handed to the handler with the event, and the other listeners still run', async (t) => {
  const emitter = new EventEmitter<Events>();
  const failures: [string, string][] = [];
  const onError = (err: unknown, event: string) => failures.push([event, (err as Error).message]);
  const seen: number[] = [];
  emitter.on('tick', () => { throw new Error('buggy listener'); });
  emitter.on('tick', (n) => seen.push(n));
  t.equal(guardedEmit(emitter, onError, 'tick', 1), true);
  t.equal(guardedEmit(emitter, onError, 'tick', 2), true);
  t.same(seen, [1, 2]);
  t.same(failures, [['tick', 'buggy listener'], ['tick', 'buggy listener']]);
});

t.test('a listener whose promise rejects is handed to the handler, not left unhandled', async (t) => {
  const emitter = new EventEmitter<Events>();
  const failures: string[] = [];
  emitter.on('tick', async () => { throw new Error('async bug'); });
  guardedEmit(emitter, (err) => failures.push((err as Error).message), 'tick', 1);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(failures, ['async bug']);
});

t.test('once listeners run once and are removed; no listeners returns false', async (t) => {
  const emitter = new EventEmitter<Events>();
  const fail = () => t.fail('no listener throws');
  let calls = 0;
  emitter.once('tick', () => calls++);
  const next = once(emitter, 'tick');
  guardedEmit(emitter, fail, 'tick', 7);
  guardedEmit(emitter, fail, 'tick', 8);
  t.equal(calls, 1);
  t.same(await next, [7]);
  t.equal(emitter.listenerCount('tick'), 0);
  t.equal(guardedEmit(emitter, fail, 'tick', 9), false);
});

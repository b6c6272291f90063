import t from 'tap';
import { MessageInbox } from '../../src/cloud/messageInbox.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function inbox(options: { throwOn?: string } = {}) {
  const handled: string[] = [];
  const errors: string[] = [];
  const box = new MessageInbox<string>({
    handle: (item) => {
      if (item === options.throwOn) throw new Error(`cannot handle ${item}`);
      handled.push(item);
    },
    onError: (err, item) => errors.push(`${item}: ${(err as Error).message}`),
  });
  return { box, handled, errors };
}

t.test('messages are handled one per turn of the event loop, never in the turn they arrive', async (t) => {
  const { box, handled } = inbox();
  box.push('a');
  box.push('b');
  box.pushOrdered('c');
  t.same(handled, [], 'nothing in the turn they arrived');
  await turn();
  t.same(handled, ['a']);
  await turn();
  t.same(handled, ['a', 'b']);
  await turn();
  t.same(handled, ['a', 'b', 'c']);
  const idle: string[] = [];
  box.whenEmpty(() => idle.push('idle'));
  await turn();
  t.same([handled, idle], [['a', 'b', 'c'], ['idle']], 'nothing is left: the next turn handles no message and finds the inbox empty');
});

t.test('a sync message still being decoded holds back the sync messages behind it, not commands', async (t) => {
  const { box, handled } = inbox();
  const chunk = deferred();
  box.pushOrdered('chunk-0', chunk.promise);
  box.pushOrdered('delta-1');
  box.push('command');
  for (let i = 0; i < 5; i++) await turn();
  t.same(handled, ['command'], 'the command is answered while the chunk is decoded elsewhere');
  box.push('heartbeat');
  await turn();
  t.same(handled, ['command', 'heartbeat']);
  chunk.resolve();
  for (let i = 0; i < 5; i++) await turn();
  t.same(handled, ['command', 'heartbeat', 'chunk-0', 'delta-1'], 'sync messages keep their order');
});

t.test('sync messages decoded out of order are still handled in the order they arrived', async (t) => {
  const { box, handled } = inbox();
  const first = deferred();
  const second = deferred();
  box.pushOrdered('chunk-0', first.promise);
  box.pushOrdered('chunk-1', second.promise);
  second.resolve();
  for (let i = 0; i < 5; i++) await turn();
  t.same(handled, [], 'chunk-1 waits for chunk-0');
  first.resolve();
  for (let i = 0; i < 5; i++) await turn();
  t.same(handled, ['chunk-0', 'chunk-1']);
});

t.test('whenEmpty runs once everything received so far is handled, including what is being decoded', async (t) => {
  const { box, handled } = inbox();
  const chunk = deferred();
  const ran: string[][] = [];
  box.pushOrdered('chunk-0', chunk.promise);
  box.push('command');
  box.whenEmpty(() => ran.push([...handled]));
  for (let i = 0; i < 5; i++) await turn();
  t.same(ran, [], 'the chunk is not handled yet');
  chunk.resolve();
  for (let i = 0; i < 5; i++) await turn();
  t.same(ran, [['command', 'chunk-0']], 'ran once, after both');
  box.whenEmpty(() => ran.push(['empty']));
  await turn();
  t.same(ran.at(-1), ['empty'], 'on an empty inbox: on the next turn');
});

t.test('a handler that throws is reported and the next message is still handled', async (t) => {
  const { box, handled, errors } = inbox({ throwOn: 'bad' });
  box.push('bad');
  box.push('good');
  for (let i = 0; i < 3; i++) await turn();
  t.same(errors, ['bad: cannot handle bad']);
  t.same(handled, ['good']);
});

import t from 'tap';
import { once } from 'node:events';
import { IDLE_MS, MAX_CONNECTIONS, MAX_UNREAD_BYTES } from '../../src/control/controlServer.js';
import { controlRig, rawClient } from '../support/controlRig.js';

/** what one read of a Unix socket by libuv returns at most */
const READ_CHUNK = 64 * 1024;

t.test('60,000 pipelined requests never read: the daemon stops reading, holds a bounded amount, then answers them all', async (t) => {
  const { server, socketPath } = await controlRig(t);
  const c = rawClient(socketPath);
  await c.connected;
  c.socket.pause(); // the client reads nothing
  const paused = once(server, 'paused');
  c.socket.write('{"command":"status"}\n'.repeat(60_000));
  const [held] = (await paused) as [number];
  const oneReply = (await rawStatusLength(socketPath));
  // unread replies and the reply that crossed the bound, the parser's unparsed chunk, and the one chunk the paused stream read ahead
  const bound = MAX_UNREAD_BYTES + oneReply + 2 * READ_CHUNK;
  t.ok(held <= bound, `held ${held} bytes when it stopped reading (bound ${bound})`);
  t.ok(server.stats().bufferedBytes <= bound, `still ${server.stats().bufferedBytes} bytes`);
  let answered = 0;
  let partial = '';
  c.socket.removeAllListeners('data');
  const all = new Promise<void>((resolve) => {
    c.socket.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      answered += parts.length;
      if (answered >= 60_000) resolve();
    });
  });
  let peak = 0;
  server.on('paused', (bytes: number) => (peak = Math.max(peak, bytes)));
  c.socket.resume();
  await all;
  t.equal(answered, 60_000, 'every request answered, in the end');
  t.comment(`held ${held} bytes when it stopped reading; peak ${peak} while the client read; bound ${bound}`);
  t.ok(peak <= bound, `the most it held while the client read: ${peak} bytes`);
  c.socket.destroy();
});

t.test('3,000 connections: the first 32 are served, every other is told BUSY and closed', async (t) => {
  const { server, socketPath } = await controlRig(t);
  const clients = [];
  for (let i = 0; i < 3_000; i++) {
    const c = rawClient(socketPath);
    clients.push(c);
    await Promise.race([c.connected, c.closed]); // one at a time: the kernel's listen backlog is not what is tested
  }
  const busy = clients.slice(MAX_CONNECTIONS);
  await Promise.all(busy.map((c) => c.closed));
  t.ok(busy.every((c) => c.lines.length === 1 && JSON.parse(c.lines[0]!).code === 'BUSY'), 'each refused one got one BUSY line');
  t.equal(server.stats().connections, MAX_CONNECTIONS);
  t.equal(server.stats().refusedBusy, 3_000 - MAX_CONNECTIONS);
  const served = clients[0]!;
  served.socket.write('{"command":"status"}\n');
  t.match(JSON.parse((await served.nextLines(1))[0]!), { ok: true }, 'the served ones are answered');
  for (const c of clients) c.socket.destroy();
  await Promise.all(clients.slice(0, MAX_CONNECTIONS).map((c) => c.closed));
});

t.test('an idle connection is closed after the idle time on the injected clock, not before', async (t) => {
  const { f, server, socketPath } = await controlRig(t);
  const c = rawClient(socketPath);
  c.socket.write('{"command":"status"}\n');
  await c.nextLines(1);
  f.clock.advance(IDLE_MS - 1);
  c.socket.write('{"command":"status"}\n'); // a request restarts the idle time
  await c.nextLines(2);
  f.clock.advance(IDLE_MS - 1);
  t.equal(server.stats().connections, 1, 'not idle long enough yet');
  f.clock.advance(1);
  await c.closed;
  t.match(JSON.parse(c.lines[2]!), { ok: false, code: 'IDLE_TIMEOUT', error: /no request for 60 s/ });
  t.equal(server.stats().connections, 0);
});

t.test('a client that never reads and never sends again is cut off when idle', async (t) => {
  const { f, server, socketPath } = await controlRig(t);
  const c = rawClient(socketPath);
  await c.connected;
  c.socket.pause();
  const paused = once(server, 'paused');
  c.socket.write('{"command":"status"}\n'.repeat(20_000));
  await paused;
  f.clock.advance(IDLE_MS);
  await c.closed;
  t.equal(server.stats().connections, 0);
  t.equal(server.stats().bufferedBytes, 0, 'nothing held for it any more');
});

/** the size of one status reply of this site (what crossed the bound last) */
async function rawStatusLength(path: string): Promise<number> {
  const probe = rawClient(path);
  probe.socket.write('{"command":"status"}\n');
  const [line] = await probe.nextLines(1);
  probe.socket.destroy();
  return line!.length + 1;
}

import t from 'tap';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { gatewayFixture } from '../support/gatewayFixture.js';
import { controlServer, rawClient } from '../support/controlRig.js';

const listen = (server: Server, path: string) => new Promise<void>((resolve) => server.listen(path, () => resolve()));
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

t.test('a regular file at the socket path is left untouched and the start refused, naming the path', async (t) => {
  const f = await gatewayFixture(t);
  const path = join(f.dataDir, 'lockgw.sock');
  writeFileSync(path, 'precious');
  const server = controlServer(f);
  await t.rejects(server.start(), { code: 'CONFIG_INVALID', message: `${path} exists and is not a socket: refusing to delete it to make the control socket` });
  t.equal(readFileSync(path, 'utf8'), 'precious');
});

t.test('the database file (or its -wal/-shm/-journal) is never the socket', async (t) => {
  const f = await gatewayFixture(t);
  for (const name of ['lockgw.db', 'lockgw.db-wal', 'lockgw.db-shm', 'lockgw.db-journal']) {
    const server = controlServer(f, { path: join(f.dataDir, name) });
    await t.rejects(server.start(), { code: 'CONFIG_INVALID', message: /is the database file/ }, name);
  }
  t.ok(statSync(join(f.dataDir, 'lockgw.db')).isFile());
  t.match(f.gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }), { reason: String }, 'the gateway still reads its database');
});

t.test('a live socket of another server is not unlinked', async (t) => {
  const f = await gatewayFixture(t);
  const path = join(f.dataDir, 'lockgw.sock');
  const other = createServer((s) => { s.on('error', () => undefined); s.end('other\n'); });
  await listen(other, path);
  t.teardown(() => close(other));
  await t.rejects(controlServer(f).start(), { code: 'UNAVAILABLE', message: `another process answers on the control socket ${path} (is another lockgw daemon running?): leaving it alone` });
  const c = rawClient(path);
  t.same(await c.nextLines(1), ['other'], 'the other server still answers on its socket');
});

t.test('a stale socket (nobody answers) is ours to replace', async (t) => {
  const f = await gatewayFixture(t);
  const path = join(f.dataDir, 'lockgw.sock');
  const old = createServer();
  await listen(old, join(f.dataDir, 'old.sock'));
  linkSync(join(f.dataDir, 'old.sock'), path);
  await close(old); // libuv unlinks old.sock; the link at `path` stays, a socket nobody listens on
  t.ok(statSync(path).isSocket());
  const server = controlServer(f);
  await server.start();
  const c = rawClient(path);
  c.socket.write('{"command":"status"}\n');
  t.match(JSON.parse((await c.nextLines(1))[0]!), { ok: true });
  c.socket.destroy();
  await server.stop();
  t.notOk(existsSync(path), 'our own socket is removed at stop');
});

t.test('at stop, a file that replaced our socket stays', async (t) => {
  const f = await gatewayFixture(t);
  const path = join(f.dataDir, 'lockgw.sock');
  const server = controlServer(f);
  await server.start();
  renameSync(path, join(f.dataDir, 'moved.sock'));
  writeFileSync(path, 'someone else');
  await server.stop();
  t.equal(readFileSync(path, 'utf8'), 'someone else');
  t.ok(statSync(join(f.dataDir, 'moved.sock')).isSocket(), 'and nothing else was touched either');
  t.same(readdirSync(f.dataDir).filter((n) => n.startsWith('.lockgw-listen-')), [], 'the private bind directory is gone');
});

t.test('a directory others can write to is refused', async (t) => {
  const f = await gatewayFixture(t);
  const open = join(f.dataDir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  await t.rejects(controlServer(f, { path: join(open, 's.sock') }).start(), { code: 'CONFIG_INVALID', message: /open is writable by every user/ });
  chmodSync(open, 0o770);
  await t.rejects(controlServer(f, { path: join(open, 's.sock') }).start(), { code: 'CONFIG_INVALID', message: /group-writable but not sticky/ });
  chmodSync(open, 0o1770);
  const server = controlServer(f, { path: join(open, 's.sock') });
  await server.start();
  await server.stop();
});

t.test('a path too long for a Unix socket is refused', async (t) => {
  const f = await gatewayFixture(t);
  await t.rejects(controlServer(f, { path: join(f.dataDir, 'x'.repeat(120)) }).start(), { code: 'CONFIG_INVALID', message: /longer than a Unix socket allows/ });
});

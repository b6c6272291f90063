import t from 'tap';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/kernel/clock.js';
import { SystemdNotify, watchdogIntervalMs } from '../../src/app/systemdNotify.js';
import { NotifySender } from '../../src/app/notifySender.js';
import { notifySocketPeer, notifyToolsAvailable } from '../support/notifySocketPeer.js';

const tools = notifyToolsAvailable();
const skip = tools ? false : 'perl is missing';

function logSink(): { logger: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { records.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } }));
  return { logger, records };
}

t.test('the watchdog interval is half of WATCHDOG_USEC, for this process only', async (t) => {
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '20000000' }, 42), 10_000);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '42' }, 42), 10_000);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '41' }, 42), null, 'inherited from a parent: not ours to feed');
  t.equal(watchdogIntervalMs({}, 42), null);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42), null);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42), null);
});

t.test('outside a Type=notify unit (no NOTIFY_SOCKET) there is no notifier', async (t) => {
  const { logger } = logSink();
  t.equal(SystemdNotify.fromEnv({}, { clock: new ManualClock(0), logger }), null);
  t.equal(SystemdNotify.fromEnv({ NOTIFY_SOCKET: '' }, { clock: new ManualClock(0), logger }), null);
  const n = SystemdNotify.fromEnv({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '4000000', WATCHDOG_PID: String(process.pid) }, { clock: new ManualClock(0), logger });
  t.equal(n?.socket, '/run/systemd/notify', 'nothing started: the sender starts with start()');
  t.equal(n?.watchdogMs, 2_000);
});

t.test('READY=1 with a one-line status, WATCHDOG=1 every half period on the clock, STOPPING=1 and no more pings', { skip }, async (t) => {
  const peer = await notifySocketPeer(t);
  const clock = new ManualClock(0);
  const { logger } = logSink();
  const notify = new SystemdNotify(new NotifySender(peer.path), 5_000, { clock, logger });
  await notify.start();
  notify.ready('ready: 5 doors\ncloud off');
  t.equal(await peer.next((m) => m.startsWith('READY=1')), 'READY=1\nSTATUS=ready: 5 doors; cloud off');
  t.same(clock.pending(), [5_000], 'the first ping is due at half the watchdog period');

  clock.advance(4_999);
  notify.status('marker 1');
  await peer.next((m) => m === 'STATUS=marker 1');
  t.notOk(peer.messages.includes('WATCHDOG=1'), 'no ping before it is due (notifications arrive in order)');

  clock.advance(1);
  await peer.next((m) => m === 'WATCHDOG=1');
  clock.advance(5_000);
  await peer.next((m) => m === 'WATCHDOG=1', { from: peer.messages.length });
  t.same(clock.pending(), [5_000], 'and the next one is due half a period later');

  await notify.stopping('stopping (SIGTERM)');
  t.equal(peer.messages.at(-1), 'STOPPING=1\nSTATUS=stopping (SIGTERM)', 'delivered once stopping() resolves');
  t.same(clock.pending(), [], 'no ping is scheduled after STOPPING=1');
});

t.test('pings that fall due while one is still waiting to be sent are sent once', { skip }, async (t) => {
  const peer = await notifySocketPeer(t);
  const clock = new ManualClock(0);
  const notify = new SystemdNotify(new NotifySender(peer.path), 1_000, { clock, logger: logSink().logger });
  notify.ready('ready');
  clock.advance(10_000); // ten pings fall due while READY=1 is being delivered
  notify.status('marker');
  await peer.next((m) => m === 'STATUS=marker');
  t.same(peer.messages, ['READY=1\nSTATUS=ready', 'WATCHDOG=1', 'STATUS=marker']);
  await notify.stopping();
});

t.test('without a watchdog READY=1 schedules nothing', { skip }, async (t) => {
  const peer = await notifySocketPeer(t);
  const clock = new ManualClock(0);
  const notify = new SystemdNotify(new NotifySender(peer.path), null, { clock, logger: logSink().logger });
  notify.ready('ready');
  await peer.next((m) => m.startsWith('READY=1'));
  t.same(clock.pending(), []);
  await notify.stopping();
});

t.test('a ping that cannot be delivered is logged once (not once per ping) and the daemon goes on', { skip }, async (t) => {
  const clock = new ManualClock(0);
  const { logger, records } = logSink();
  const dir = t.testdir();
  const notify = new SystemdNotify(new NotifySender(`${dir}/nobody-listens.sock`), 1_000, { clock, logger });
  notify.ready('ready');
  clock.advance(1_000);
  clock.advance(1_000);
  await notify.stopping();
  const errors = records.filter((r) => r.level === 50);
  t.equal(errors.length, 1, 'said once, not once per ping');
  t.match(errors[0], { module: 'systemd', notification: 'READY=1', msg: /cannot notify systemd: No such file or directory \(systemd will time out/ });
});

t.test('a sender that cannot start (no perl) is an error in the log, once, not a crash', async (t) => {
  const clock = new ManualClock(0);
  const { logger, records } = logSink();
  const notify = new SystemdNotify(new NotifySender('/run/systemd/notify', '/nonexistent/perl'), 1_000, { clock, logger });
  await notify.start();
  notify.ready('ready');
  clock.advance(3_000);
  await notify.stopping();
  const errors = records.filter((r) => r.level === 50);
  t.equal(errors.length, 1);
  t.match(errors[0], { msg: /cannot notify systemd: cannot start the systemd notification sender: \/nonexistent\/perl: spawn \/nonexistent\/perl ENOENT/ });
});

t.test('a sender that died is started again by the next notification', { skip }, async (t) => {
  const peer = await notifySocketPeer(t);
  const { logger, records } = logSink();
  const sender = new NotifySender(peer.path);
  const notify = new SystemdNotify(sender, null, { clock: new ManualClock(0), logger });
  await notify.start();
  notify.ready('ready');
  await peer.next((m) => m.startsWith('READY=1'));
  const first = sender.pid;
  process.kill(first!, 'SIGKILL');
  notify.status('after the kill');
  notify.status('again');
  await peer.next((m) => m === 'STATUS=again');
  t.not(sender.pid, first, 'a new sender process');
  // what was in flight when it died (an answer not yet read, or the first status) is said once
  const lost = records.filter((r) => r.level === 50);
  t.ok(lost.length <= 1 && lost.every((r) => /the sender exited \(SIGKILL\)/.test(String(r.msg))), JSON.stringify(lost));
  await notify.stopping();
});

t.test('the sender ignores SIGTERM (systemd signals the whole cgroup at stop): STOPPING=1 still goes out', { skip }, async (t) => {
  const peer = await notifySocketPeer(t);
  const sender = new NotifySender(peer.path);
  const notify = new SystemdNotify(sender, null, { clock: new ManualClock(0), logger: logSink().logger });
  await notify.start();
  notify.ready('ready');
  await peer.next((m) => m.startsWith('READY=1'));
  process.kill(sender.pid!, 'SIGTERM');
  await notify.stopping('stopping (SIGTERM)');
  t.equal(peer.messages.at(-1), 'STOPPING=1\nSTATUS=stopping (SIGTERM)');
  t.equal(sender.running, false, 'and it exits once its pipe closes');
});

t.test('a sender that never answers does not hold the stop: stopping() gives up after 3 s on the clock', async (t) => {
  const dir = t.testdir({ 'mute-sender': '#!/bin/sh\necho up\nexec cat >/dev/null\n' });
  chmodSync(join(dir, 'mute-sender'), 0o755);
  const clock = new ManualClock(0);
  const sender = new NotifySender('/run/systemd/notify', join(dir, 'mute-sender'));
  t.teardown(() => (sender.pid !== undefined ? process.kill(sender.pid, 'SIGKILL') : undefined));
  const notify = new SystemdNotify(sender, null, { clock, logger: logSink().logger });
  await notify.start();
  notify.ready('ready');
  let stopped = false;
  const stop = notify.stopping().then(() => (stopped = true));
  clock.advance(2_999);
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(stopped, 'still waiting just before the limit');
  clock.advance(1);
  await stop;
  t.ok(stopped);
});

import t from 'tap';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/kernel/clock.js';
import { SystemdNotify, watchdogIntervalMs } from '../../src/app/systemdNotify.js';
import { notifySocketPeer, notifyToolsAvailable } from '../support/notifySocketPeer.js';

const tools = notifyToolsAvailable();

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
  t.equal(n?.socket, '/run/systemd/notify');
  t.equal(n?.watchdogMs, 2_000);
});

t.test('READY=1 with a one-line status, WATCHDOG=1 every half period on the clock, STOPPING=1 and no more pings', { skip: tools ? false : 'perl or systemd-notify missing' }, async (t) => {
  const peer = await notifySocketPeer(t);
  const clock = new ManualClock(0);
  const { logger } = logSink();
  const notify = new SystemdNotify(peer.path, 5_000, { clock, logger });
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

t.test('pings that fall due while one is still waiting to be sent are sent once', { skip: tools ? false : 'perl or systemd-notify missing' }, async (t) => {
  const peer = await notifySocketPeer(t);
  const clock = new ManualClock(0);
  const notify = new SystemdNotify(peer.path, 1_000, { clock, logger: logSink().logger });
  notify.ready('ready');
  clock.advance(10_000); // ten pings fall due while READY=1 is being delivered
  notify.status('marker');
  await peer.next((m) => m === 'STATUS=marker');
  t.same(peer.messages, ['READY=1\nSTATUS=ready', 'WATCHDOG=1', 'STATUS=marker']);
  await notify.stopping();
});

t.test('without a watchdog READY=1 schedules nothing', { skip: tools ? false : 'perl or systemd-notify missing' }, async (t) => {
  const peer = await notifySocketPeer(t);
  const clock = new ManualClock(0);
  const notify = new SystemdNotify(peer.path, null, { clock, logger: logSink().logger });
  notify.ready('ready');
  await peer.next((m) => m.startsWith('READY=1'));
  t.same(clock.pending(), []);
  await notify.stopping();
});

t.test('a ping that cannot be delivered is logged once (not once per ping) and the daemon goes on', { skip: tools ? false : 'perl or systemd-notify missing' }, async (t) => {
  const clock = new ManualClock(0);
  const { logger, records } = logSink();
  const dir = t.testdir();
  const notify = new SystemdNotify(`${dir}/nobody-listens.sock`, 1_000, { clock, logger });
  notify.ready('ready');
  clock.advance(1_000);
  clock.advance(1_000);
  await notify.stopping();
  const errors = records.filter((r) => r.level === 50);
  t.equal(errors.length, 1, 'said once, not once per ping');
  t.match(errors[0], { module: 'systemd', notification: 'READY=1', msg: /cannot notify systemd: systemd-notify exited 1: .*systemd will time out/ });
});

t.test('a missing systemd-notify program is an error in the log, not a crash', async (t) => {
  const clock = new ManualClock(0);
  const { logger, records } = logSink();
  const notify = new SystemdNotify('/run/systemd/notify', null, { clock, logger, command: '/nonexistent/systemd-notify' });
  notify.ready('ready');
  await notify.stopping();
  t.match(records.find((r) => r.level === 50), { msg: /cannot notify systemd: \/nonexistent\/systemd-notify: spawn .* ENOENT/ });
});

import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { HeartbeatMonitor, type HeartbeatEvents } from '../../src/cloud/heartbeatMonitor.js';
import { HeartbeatSchema, type Heartbeat } from '../../src/wire/messages.js';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const MINUTE = 60_000;

async function setup(t: { teardown(fn: () => unknown): void }, options: { maxClockSkewMs?: number; staleRepeatMs?: number } = {}) {
  const clock = new ManualClock(NOW);
  const monitor = new HeartbeatMonitor({ clock, logger: pino({ level: 'silent' }), staleAfterMs: 5 * MINUTE, ...options });
  const seen: { event: keyof HeartbeatEvents; args: unknown[] }[] = [];
  for (const event of ['stale', 'stillStale', 'fresh', 'behind'] as const) {
    monitor.on(event, (...args: unknown[]) => seen.push({ event, args }));
  }
  /** a heartbeat sent now by a cloud whose clock is `offsetMs` ahead */
  const hb = (revision: number, offsetMs = 0): Heartbeat => HeartbeatSchema.parse({ revision, time: clock.now() + offsetMs });
  const events = (name: keyof HeartbeatEvents) => seen.filter((s) => s.event === name).map((s) => s.args[0]);
  await monitor.start();
  t.teardown(() => monitor.stop());
  return { clock, monitor, hb, events };
}

t.test('without heartbeats the link turns stale after the period, once per episode', async (t) => {
  const { clock, monitor, events } = await setup(t);
  t.same(monitor.status(), { stale: false, lastHeartbeatAt: null, cloudRevision: null, behind: false, clock: { trust: 'unknown', offsetMs: null } });
  clock.advance(5 * MINUTE - 1);
  t.equal(monitor.status().stale, false);
  clock.advance(1);
  t.equal(monitor.status().stale, true);
  t.same(events('stale'), [{ sinceMs: 5 * MINUTE }]);
  clock.advance(60 * MINUTE);
  t.equal(events('stale').length, 1, 'raised once for the whole episode');
});

t.test('while stale, stillStale follows every staleRepeatMs until a heartbeat ends the episode', async (t) => {
  const { clock, monitor, hb, events } = await setup(t, { staleRepeatMs: MINUTE });
  clock.advance(5 * MINUTE);
  t.same(events('stale'), [{ sinceMs: 5 * MINUTE }]);
  clock.advance(MINUTE - 1);
  t.same(events('stillStale'), [], 'not before staleRepeatMs');
  clock.advance(1);
  clock.advance(2 * MINUTE);
  t.same(events('stillStale'), [{ sinceMs: 6 * MINUTE }, { sinceMs: 7 * MINUTE }, { sinceMs: 8 * MINUTE }]);
  monitor.onHeartbeat(hb(1), 1);
  clock.advance(5 * MINUTE - 1);
  t.equal(events('stillStale').length, 3, 'a heartbeat ends the repeats');
  t.same(clock.pending(), [1], 'one timer: the stale wait');
  clock.advance(1);
  t.equal(events('stale').length, 2, 'the next episode begins with stale again');
  await monitor.stop();
  t.same(clock.pending(), [], 'stop() disarms the repeat');
});

t.test('a heartbeat clears staleness and restarts the period', async (t) => {
  const { clock, monitor, hb, events } = await setup(t);
  clock.advance(4 * MINUTE);
  t.same(monitor.onHeartbeat(hb(3), 3), { accepted: true });
  t.equal(monitor.status().lastHeartbeatAt, NOW + 4 * MINUTE);
  clock.advance(4 * MINUTE);
  t.equal(monitor.status().stale, false, 'the period counts from the last heartbeat');
  clock.advance(MINUTE);
  t.same(events('stale'), [{ sinceMs: 5 * MINUTE }]);
  monitor.onHeartbeat(hb(3), 3);
  t.equal(monitor.status().stale, false);
  t.equal(events('fresh').length, 1);
  clock.advance(5 * MINUTE);
  t.equal(events('stale').length, 2, 'a new episode is raised again');
});

t.test('behind: the cloud has a newer revision than the one applied', async (t) => {
  const { monitor, hb, events, clock } = await setup(t);
  monitor.onHeartbeat(hb(5), 5);
  t.match(monitor.status(), { cloudRevision: 5, behind: false });
  t.same(events('behind'), []);
  clock.advance(1_000);
  monitor.onHeartbeat(hb(7), 5);
  t.match(monitor.status(), { cloudRevision: 7, behind: true });
  t.same(events('behind'), [{ cloudRevision: 7, appliedRevision: 5 }]);
  monitor.onApplied(7);
  t.equal(monitor.status().behind, false, 'applying the revision catches up');
});

t.test('clock offset: within the tolerated skew trusted, beyond it skewed (an observation: the offline trust raises the alarm)', async (t) => {
  const { monitor, hb, clock } = await setup(t);
  monitor.onHeartbeat(hb(1, 90_000), 1);
  t.same(monitor.status().clock, { trust: 'trusted', offsetMs: 90_000 });
  clock.advance(1_000);
  monitor.onHeartbeat(hb(1, 10 * MINUTE), 1);
  t.same(monitor.status().clock, { trust: 'skewed', offsetMs: 10 * MINUTE });
  clock.advance(1_000);
  monitor.onHeartbeat(hb(1, 11 * MINUTE), 1);
  t.same(monitor.status().clock, { trust: 'skewed', offsetMs: 11 * MINUTE }, 'the newest offset');
  clock.advance(10 * MINUTE); // the heartbeat must still be newer than the last one (replay rule)
  monitor.onHeartbeat(hb(1, 120_000), 1);
  t.same(monitor.status().clock, { trust: 'trusted', offsetMs: 120_000 }, 'a cloud clock ahead by exactly the limit is trusted');
});

t.test('a tighter skew limit can be configured; a cloud behind us counts too', async (t) => {
  const { monitor, hb } = await setup(t, { maxClockSkewMs: 5_000 });
  monitor.onHeartbeat(hb(1, -6_000), 1);
  t.same(monitor.status().clock, { trust: 'skewed', offsetMs: -6_000 });
});

t.test('a replayed heartbeat is ignored: it neither refreshes nor moves the revision', async (t) => {
  const { clock, monitor, hb, events } = await setup(t);
  const first = hb(4);
  monitor.onHeartbeat(first, 4);
  clock.advance(MINUTE);
  monitor.onHeartbeat(hb(6), 6);
  clock.advance(MINUTE);
  t.same(monitor.onHeartbeat(first, 4), { accepted: false, reason: 'replay' }, 'an older heartbeat');
  t.equal(monitor.status().cloudRevision, 6);
  clock.advance(4 * MINUTE - 1);
  t.same(monitor.onHeartbeat({ ...first, time: first.time + MINUTE }, 6), { accepted: false, reason: 'replay' }, 'the newest one again');
  clock.advance(1);
  t.equal(monitor.status().stale, true, 'replays do not keep the link fresh');
  t.equal(events('stale').length, 1);
  t.equal(monitor.status().lastHeartbeatAt, NOW + MINUTE);
});

t.test('a throwing listener does not stop the others; stop() disarms the timer', async (t) => {
  const { clock, monitor } = await setup(t);
  let reached = false;
  monitor.prependListener('stale', () => { throw new Error('listener bug'); });
  monitor.on('stale', () => { reached = true; });
  clock.advance(5 * MINUTE);
  t.equal(reached, true);
  await monitor.stop();
  t.same(clock.pending(), []);
  await monitor.start();
  t.equal(monitor.status().stale, false, 'a restart begins a new wait');
  t.same(clock.pending(), [5 * MINUTE]);
  await monitor.start();
  t.same(clock.pending(), [5 * MINUTE], 'starting twice arms one timer');
});

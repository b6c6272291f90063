import t from 'tap';
import { ClockTrust, freshRecord } from '../../src/engine/clockTrust.js';

const T0 = Date.parse('2026-11-23T09:00:00Z');
const LIMITS = { behindToleranceMs: 5_000, maxStepMs: 300_000, expectedGapMs: 10_000, maxSkewMs: 120_000 };
const fresh = () => new ClockTrust(freshRecord(T0), LIMITS);

t.test('behind the last reading: trusted at exactly the tolerance, untrusted 1 ms beyond', async (t) => {
  const at = fresh();
  t.equal(at.observe(T0 - 5_000), null);
  t.ok(at.trusted);
  const beyond = fresh();
  t.same(beyond.observe(T0 - 5_001), { to: 'untrusted', reason: 'clock_behind', skewMs: -5_001 });
  t.notOk(beyond.trusted);
  t.equal(beyond.record.untrusted?.since, T0, 'since the last-trusted time');
});

t.test('a jump forward: trusted up to the expected gap plus the step, untrusted 1 ms beyond', async (t) => {
  const at = fresh();
  t.equal(at.observe(T0 + 310_000), null);
  t.ok(at.trusted);
  const beyond = fresh();
  t.same(beyond.observe(T0 + 310_001), { to: 'untrusted', reason: 'clock_step', skewMs: 310_001 });
  t.equal(beyond.staleForMs, 310_001, 'a jump forward counts for the lease (fail secure)');
});

t.test('after a restart any time forward is downtime; behind is still untrusted', async (t) => {
  const forward = fresh();
  t.equal(forward.observe(T0 + 30 * 86_400_000, true), null);
  t.ok(forward.trusted);
  t.equal(forward.staleForMs, 30 * 86_400_000, 'the downtime counts for the lease');
  const behind = fresh();
  t.same(behind.observe(T0 - 5_001, true), { to: 'untrusted', reason: 'clock_behind', skewMs: -5_001 });
});

t.test('while untrusted the timeline moves forward with the clock and never back', async (t) => {
  const c = fresh();
  c.observe(T0 - 3_600_000); // set back an hour
  t.equal(c.record.trustedAt, T0);
  c.observe(T0 - 3_600_000 + 10_000);
  t.equal(c.record.trustedAt, T0 + 10_000, 'ten seconds later on the clock: ten seconds later on the timeline');
  c.observe(T0 - 7_200_000);
  t.equal(c.record.trustedAt, T0 + 10_000, 'set back again: the timeline does not move back');
  t.equal(c.staleForMs, 10_000);
});

t.test('trust returns only with a heartbeat that agrees, at exactly the skew and not 1 ms beyond', async (t) => {
  const c = fresh();
  c.observe(T0 - 3_600_000);
  const wall = T0 - 3_600_000 + 1_000;
  t.same(c.heartbeat(wall, wall + 120_001, true), null, 'disagrees: still untrusted');
  t.notOk(c.trusted);
  t.equal(c.record.untrusted?.skewMs, 120_001);
  t.equal(c.record.untrusted?.reason, 'clock_behind', 'the first reason stays');
  t.same(c.heartbeat(wall + 1, wall + 1 + 120_000, true), { to: 'trusted', skewMs: 120_000, wasUntrustedFor: 1_001 }, "untrusted for 1,001 ms of the timeline");
  t.ok(c.trusted);
  t.equal(c.record.trustedAt, wall + 1, 'the timeline is the clock again');
  t.equal(c.staleForMs, 0);
  const minus = fresh();
  minus.observe(T0 - 3_600_000);
  t.same(minus.heartbeat(T0 - 3_600_000, T0 - 3_600_000 - 120_000, true)?.to, 'trusted', 'a cloud behind by exactly the skew agrees too');
});

t.test('a heartbeat that disagrees makes a trusted clock untrusted (cloud_disagrees)', async (t) => {
  const c = fresh();
  t.same(c.heartbeat(T0 + 1_000, T0 + 1_000 - 120_001, true), { to: 'untrusted', reason: 'cloud_disagrees', skewMs: -120_001 });
  t.equal(c.heartbeat(T0 + 2_000, T0 + 2_000 - 120_000, true)?.to, 'trusted');
});

t.test('the rules are verified by an up-to-date heartbeat or an apply, not by a heartbeat the gateway is behind', async (t) => {
  const c = fresh();
  c.observe(T0 + 10_000);
  c.heartbeat(T0 + 20_000, T0 + 20_000, false);
  t.equal(c.staleForMs, 20_000, 'behind the cloud: not verified');
  c.heartbeat(T0 + 30_000, T0 + 30_000, true);
  t.equal(c.staleForMs, 0);
  c.observe(T0 + 40_000);
  c.applied(T0 + 45_000);
  t.equal(c.staleForMs, 0);
  t.equal(c.record.verifiedAt, T0 + 45_000);
});

t.test('an apply renews the lease but does not give an untrusted clock its trust back', async (t) => {
  const c = fresh();
  c.observe(T0 - 60_000);
  c.applied(T0 - 50_000);
  t.notOk(c.trusted);
  t.equal(c.staleForMs, 0);
});

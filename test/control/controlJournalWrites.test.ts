/**
 * What a control request costs the journal: one that journals nothing commits nothing and
 * syncs nothing; one that journals follows the normal flush schedule (its events are in the
 * answer while still buffered); a lockdown by an operator is made durable before it is answered.
 */
import t from 'tap';
import { ControlSession, proveCaller } from '../../src/cli/controlClient.js';
import { controlRig } from '../support/controlRig.js';

async function session(t: { teardown(fn: () => unknown): void }, path: string): Promise<ControlSession> {
  const s = await ControlSession.open(path);
  t.teardown(() => s.close());
  return s;
}

t.test('requests that journal nothing neither commit nor fsync, however many', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  const journal = f.gateway.journal;
  // a grant committed with NORMAL and not yet synced: before the fix, the next request fsynced it
  f.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  journal.flush();
  t.equal(journal.stats().pending, 0);
  const before = journal.stats();
  for (let i = 0; i < 50; i++) {
    t.match(await s.request({ command: 'door', door: 'gym', position: 'closed' }), { ok: true, events: [], note: /no change/ });
    t.match(await s.request({ command: 'status' }), { ok: true });
  }
  const after = journal.stats();
  t.equal(after.commits, before.commits, '100 requests, no commit');
  t.equal(after.durableCommits, before.durableCommits, 'and no fsync');
});

t.test('a request that journals answers with its events at once and leaves them to the normal flush schedule', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  const journal = f.gateway.journal;
  const before = journal.stats();
  const r = await s.request({ command: 'present', door: 'lobby', card: '26:12:34567' });
  t.match(r, { ok: true, events: [{ type: 'access', doorId: 'lobby', grant: true, reason: 'granted', personId: 'alice' }] }, 'the event is in the answer');
  t.equal(journal.stats().durableCommits, before.durableCommits, 'answered without an fsync');
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.equal(journal.stats().pending, 0, 'written on the next turn, as every append is');
  f.clock.advance(1_000); // journal.durableIntervalMs: the backstop
  t.equal(journal.stats().durableCommits, before.durableCommits + 1, 'made durable by the backstop, on the schedule');
});

t.test('a lockdown is durable before the operator is answered: who asked survives a power cut like the lockdown itself', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  t.match(await proveCaller(s), { ok: true, caller: { operator: true } });
  const journal = f.gateway.journal;
  const before = journal.stats();
  const r = await s.request({ command: 'lockdown', door: 'lobby', on: true });
  t.match(r, { ok: true, events: [{ reason: 'control_lockdown' }, { reason: 'lockdown_on' }] });
  t.equal(journal.stats().pending, 0, 'written before the answer');
  t.equal(journal.stats().durableCommits, before.durableCommits + 1, 'with an fsync');
  // a refused lockdown is a security event on the normal schedule: a flood of refusals is no flood of fsyncs
  const stranger = await session(t, socketPath);
  const mid = journal.stats();
  t.match(await stranger.request({ command: 'lockdown', door: 'lobby', on: false }), { ok: false, code: 'NOT_AUTHORISED' });
  t.equal(journal.stats().durableCommits, mid.durableCommits, 'the refusal is journaled without an fsync');
});

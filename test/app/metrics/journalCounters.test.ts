/** The journal-fed counters on a real prom-client Registry, read back from its exposition text. */
import t from 'tap';
import { Registry } from 'prom-client';
import { JournalCounters } from '../../../src/app/metrics/journalCounters.js';
import type { JournalEntry } from '../../../src/journal/journal.js';
import { parseExposition, sampleValue } from '../../support/promExposition.js';

let seq = 0;
const entry = (e: Omit<JournalEntry, 'seq' | 'at'>): JournalEntry => ({ seq: ++seq, at: 0, ...e });

t.test('an alarm is counted when raised, never when it ends', async (t) => {
  const registry = new Registry();
  const counters = new JournalCounters(registry);
  for (const reason of ['clock_untrusted', 'clock_trusted', 'offline_lease_expired', 'offline_lease_renewed', 'rules_unavailable', 'rules_restored', 'fire_input_offline', 'fire_input_online', 'sync_stale_cleared']) {
    counters.count(entry({ type: 'alarm', reason }));
  }
  counters.count(entry({ type: 'alarm', doorId: 'lobby', reason: 'held_open' }));
  counters.count(entry({ type: 'alarm', doorId: 'lobby', reason: 'held_open_cleared' }));
  counters.count(entry({ type: 'alarm', doorId: 'lobby', reason: 'held_open' }));
  const s = parseExposition(await registry.metrics());
  const alarms = s.filter((x) => x.name === 'lockgw_alarms_total');
  t.same(alarms.map((x) => [x.labels.door, x.labels.kind, x.value]).sort(), [
    ['', 'clock_untrusted', 1], ['', 'fire_input_offline', 1], ['', 'offline_lease_expired', 1], ['', 'rules_unavailable', 1], ['lobby', 'held_open', 2],
  ]);
});

t.test('decisions carry door, result and reason only; other entries are not decisions', async (t) => {
  const registry = new Registry();
  const counters = new JournalCounters(registry);
  counters.count(entry({ type: 'access', doorId: 'gym', grant: true, reason: 'granted', personId: 'alice', credentialId: 'alice-card', keyId: 'k1', data: { kind: 'card' } }));
  counters.count(entry({ type: 'access', doorId: 'gym', grant: false, reason: 'pin_wrong', personId: 'carol' }));
  counters.count(entry({ type: 'mode', doorId: 'gym', reason: 'lockdown_on' }));
  const s = parseExposition(await registry.metrics());
  t.equal(sampleValue(s, 'lockgw_decisions_total', { door: 'gym', result: 'granted', reason: 'granted' }), 1);
  t.equal(sampleValue(s, 'lockgw_decisions_total', { door: 'gym', result: 'denied', reason: 'pin_wrong' }), 1);
  t.equal(s.filter((x) => x.name === 'lockgw_decisions_total').length, 2, 'the mode change is not a decision');
  for (const x of s.filter((x) => x.name === 'lockgw_decisions_total')) t.same(Object.keys(x.labels).sort(), ['door', 'reason', 'result'], 'no person, credential or key label');
  t.notOk(JSON.stringify(s).match(/alice|carol|k1/), 'nothing of the person, credential or key anywhere');
});

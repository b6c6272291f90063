import t from 'tap';
import { ManualClock } from '../../src/kernel/clock.js';
import { Gateway } from '../../src/app/gateway.js';
import { gatewayFixture } from '../support/gatewayFixture.js';

t.test('a fresh gateway seeds the demo site and decides', async (t) => {
  const { gateway } = await gatewayFixture(t);
  t.equal(gateway.index.siteName, 'Demo Apartments');
  t.equal(gateway.index.revision, 1);
  t.match(gateway.index.hash, /^[0-9a-f]{64}$/);
  const v = gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' });
  t.match(v, { grant: true, reason: 'granted', personId: 'alice', keyId: 'resident' });
});

t.test('every decision is journaled, a duress grant with an alarm, with no credential value', async (t) => {
  const { gateway, logs } = await gatewayFixture(t);
  gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:99999' });
  gateway.decide({ doorId: 'lobby', kind: 'pin', value: gateway.hashPin('9111') });
  const events = gateway.journal.recent(0, 10);
  t.match(events, [
    { seq: 1, type: 'access', doorId: 'lobby', grant: false, reason: 'unknown_credential' },
    { seq: 2, type: 'access', grant: true, reason: 'duress', personId: 'carol', credentialId: 'carol-duress' },
    { seq: 3, type: 'alarm', reason: 'duress', personId: 'carol' },
  ]);
  const text = JSON.stringify(events) + logs.join('');
  t.notOk(text.includes('99999'), 'the unknown card number is not recorded');
  t.notOk(text.includes(gateway.hashPin('9111')), 'nor the PIN digest');
});

t.test('a one-time code opens once, across a restart', async (t) => {
  const { gateway } = await gatewayFixture(t);
  const once = { doorId: 'lobby', kind: 'pin', value: gateway.hashPin('5555') } as const;
  t.equal(gateway.decide(once).reason, 'granted');
  t.equal(gateway.decide(once).reason, 'use_limit_reached');
  const again = new Gateway(gateway.config, { clock: new ManualClock('2026-11-23T10:00:00Z'), logger: (await import('pino')).pino({ level: 'silent' }) });
  await gateway.stop();
  await again.start();
  t.equal(again.decide(once).reason, 'use_limit_reached');
  await again.stop();
  await gateway.start();
});

t.test('applyBatch swaps in a new index; lockdown is journaled', async (t) => {
  const { gateway } = await gatewayFixture(t);
  const before = gateway.index.hash;
  const r = gateway.applyBatch([{ op: 'upsert', entity: 'person', record: { id: 'zoe', name: 'Zoe' } }], { source: 'local' });
  t.equal(r.revision, 2);
  t.not(r.hash, before);
  t.equal(gateway.index.hash, r.hash);
  gateway.setLockdown('lobby', true);
  t.equal(gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'locked_down');
  t.match(gateway.journal.recent(0, 10).at(-1), { type: 'access', reason: 'locked_down' });
  t.match(gateway.journal.recent(0, 10).find((e) => e.type === 'mode'), { doorId: 'lobby', reason: 'lockdown_on' });
});

t.test('a bad batch leaves the running index untouched', async (t) => {
  const { gateway } = await gatewayFixture(t);
  const before = gateway.index;
  t.throws(() => gateway.applyBatch([{ op: 'upsert', entity: 'credential', record: { id: 'x', personId: 'nobody', kind: 'pin', pin: '8888' } }], { source: 'local' }), { code: 'REFERENCE_MISSING' });
  t.equal(gateway.index, before);
});

t.test('methods before start say so', async (t) => {
  const { gateway } = await gatewayFixture(t);
  const cold = new Gateway(gateway.config, { clock: new ManualClock(0), logger: (await import('pino')).pino({ level: 'silent' }) });
  t.throws(() => cold.index, { code: 'NOT_STARTED' });
  await cold.stop();
});

t.test('lockdown changes the running index without a rebuild, exactly as a rebuild would', async (t) => {
  const { compileIndex } = await import('../../src/access/compileIndex.js');
  const f = await gatewayFixture(t);
  const before = f.gateway.index;
  for (const [door, on] of [['lobby', true], [null, true], ['gym', true], [null, false], ['lobby', false]] as const) {
    f.gateway.setLockdown(door, on);
    const rebuilt = f.gateway.store.snapshot(compileIndex);
    t.same([...f.gateway.index.doorLocked], [...rebuilt.doorLocked], `doors after ${door ?? 'site'} ${on}`);
    t.equal(f.gateway.index.siteLocked, rebuilt.siteLocked);
  }
  t.equal(f.gateway.index.credentials, before.credentials, 'the credential table was not rebuilt');
  t.equal(f.gateway.index.hash, before.hash, 'lockdown is not content');
});

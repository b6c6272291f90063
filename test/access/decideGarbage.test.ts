import t from 'tap';
import fc from 'fast-check';
import { decide } from '../../src/access/decide.js';
import { REASONS } from '../../src/access/verdict.js';
import { hashPin, smallSite, storeFixture, up } from '../support/storeFixture.js';

t.test('decide is total: random garbage never throws and never grants', async (t) => {
  const f = storeFixture(t);
  f.apply([
    ...smallSite(),
    up('person', { id: 'ann', name: 'Ann' }),
    up('holding', { personId: 'ann', keyId: 'k-lobby' }),
    up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567' }),
    up('credential', { id: 'ann-pin', personId: 'ann', kind: 'pin', pin: '1234' }),
  ]);
  const index = f.index();
  const knownValues = ['26:12:34567', hashPin('1234'), 'lobby-fp:3'];
  const nearlyValid = fc.record(
    {
      doorId: fc.oneof(fc.constantFrom('lobby', 'gym', 'vault', ''), fc.string(), fc.anything()),
      kind: fc.oneof(fc.constantFrom('card', 'pin', 'fingerprint', 'mobile', 'CARD', 'face'), fc.anything()),
      value: fc.oneof(fc.constantFrom(...knownValues), fc.string({ maxLength: 600 }), fc.anything()),
      pinDigest: fc.oneof(fc.constant(hashPin('1234')), fc.string(), fc.anything()),
    },
    { requiredKeys: [] },
  );
  const presentation = fc.oneof(fc.anything(), nearlyValid, fc.constantFrom(null, undefined, 0, '', [], Symbol('x')));
  const now = fc.oneof(fc.integer({ min: 0, max: 8.64e15 }), fc.double(), fc.constantFrom(NaN, Infinity, -Infinity), fc.anything());
  let granted = 0;
  fc.assert(
    fc.property(presentation, now, (p, n) => {
      const v = decide(index, p, n as number);
      if (!REASONS.includes(v.reason)) return false;
      if (typeof v.grant !== 'boolean' || typeof v.revision !== 'number') return false;
      if (v.grant !== (v.reason === 'granted' || v.reason === 'duress')) return false;
      const wellFormed = typeof p === 'object' && p !== null && typeof (p as { value?: unknown }).value === 'string' &&
        knownValues.includes((p as { value: string }).value) && typeof n === 'number' && Number.isFinite(n);
      if (v.grant) granted++;
      return !v.grant || wellFormed; // only a known credential at a sane instant can ever open
    }),
    { numRuns: 20_000 },
  );
  t.pass(`20,000 random presentations, ${granted} legitimately granted`);
});

t.test('a corrupt index still yields a denial, not an exception', async (t) => {
  const v = decide({} as never, { doorId: 'lobby', kind: 'card', value: '26:1:1' }, 0);
  t.match(v, { grant: false });
  t.match(decide(null as never, { doorId: 'lobby', kind: 'card', value: '26:1:1' }, 0), { grant: false });
});

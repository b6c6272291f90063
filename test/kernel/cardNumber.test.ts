import t from 'tap';
import { maskCardValue, parseCardNumber } from '../../src/kernel/cardNumber.js';

t.test('a 26-bit card with leading zeros normalises to the same value', async (t) => {
  t.same(parseCardNumber('26:012:034567'), { ok: true, value: '26:12:34567' });
});

t.test('a facility code too wide for H10301 is rejected with the format named', async (t) => {
  const r = parseCardNumber('26:300:1');
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.reason, /H10301/);
});

t.test('a card number too wide for H10304 is rejected', async (t) => {
  t.equal(parseCardNumber('37:1:600000').ok, false);
  t.same(parseCardNumber('37:4000:300000'), { ok: true, value: '37:4000:300000' });
});

t.test('raw frames are normalised to lower-case hex without leading zeros', async (t) => {
  t.same(parseCardNumber('raw:40:00AB12'), { ok: true, value: 'raw:40:ab12' });
  t.equal(parseCardNumber('raw:4:fff').ok, false, 'payload wider than the frame');
});

t.test('garbage is a reason, never an exception, and never echoes the full number', async (t) => {
  for (const g of [undefined, null, 42, {}, '', 'abc', '26:12', '26:12:34567:1', 'raw:0:1']) {
    const r = parseCardNumber(g);
    t.equal(r.ok, false, `rejects ${String(g)}`);
  }
  const r = parseCardNumber('123456789');
  t.equal(r.ok, false);
  if (!r.ok) t.notMatch(r.reason, /123456789/);
});

t.test('a masked card keeps the facility and the last two digits', async (t) => {
  t.equal(maskCardValue('26:12:34567'), '26:12:***67');
  t.equal(maskCardValue('raw:40:ab12'), 'raw:40:**12');
});

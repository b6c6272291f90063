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

t.test('Corporate 1000 card numbers: company and card within their widths, normalised like the others', async (t) => {
  t.same(parseCardNumber('35:04090:0007473'), { ok: true, value: '35:4090:7473' });
  t.same(parseCardNumber('35:4095:1048575'), { ok: true, value: '35:4095:1048575' });
  t.match(parseCardNumber('35:4096:1'), { ok: false, reason: /corporate1000-35 \(35-bit, max 4095\)/ });
  t.match(parseCardNumber('35:1:1048576'), { ok: false, reason: /card number 1048576 does not fit corporate1000-35/ });
  t.same(parseCardNumber('48:4194303:8388607'), { ok: true, value: '48:4194303:8388607' });
  t.match(parseCardNumber('48:4194304:1'), { ok: false, reason: /corporate1000-48/ });
  t.match(parseCardNumber('48:1:8388608'), { ok: false, reason: /corporate1000-48/ });
});

t.test('lengths of custom formats accept any facility and number width, facility 0 for formats without one', async (t) => {
  t.same(parseCardNumber('36:012:0345678'), { ok: true, value: '36:12:345678' });
  t.same(parseCardNumber('30:0:9876543'), { ok: true, value: '30:0:9876543' });
  t.same(parseCardNumber('40:4294967295:549755813887'), { ok: true, value: '40:4294967295:549755813887' }, 'the widest fields a custom format may have (32 and 39 bits)');
});

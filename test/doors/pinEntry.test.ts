import t from 'tap';
import { ManualClock } from '../../src/kernel/clock.js';
import { PinEntry } from '../../src/doors/pinEntry.js';
import { afterFailure, afterSuccess, isLockedOut, NO_LOCKOUT } from '../../src/access/pinLockout.js';
import { PinPolicySchema } from '../../src/doors/doorConfig.js';

t.test('a PIN entry collects digits, submits on #, clears on *, refuses a ninth digit', async (t) => {
  const clock = new ManualClock(0);
  let abandoned = 0;
  const pin = new PinEntry(clock, 5_000, () => abandoned++);
  t.same(pin.press('#'), { kind: 'empty_submit' });
  t.same(pin.press('A'), { kind: 'ignored' });
  for (const d of '12345678') pin.press(d);
  t.same(pin.press('9'), { kind: 'too_long' });
  t.same(pin.press('4'), { kind: 'digit', length: 1 }, 'a too-long entry is discarded');
  t.same(pin.press('*'), { kind: 'cleared' });
  for (const d of '2468') pin.press(d);
  t.same(pin.press('#'), { kind: 'submitted', digits: '2468' });
  pin.press('1');
  clock.advance(5_000);
  t.equal(abandoned, 1);
  t.same(clock.pending(), [], 'no timer after the timeout');
  t.same(pin.press('#'), { kind: 'empty_submit' }, 'the abandoned digits are gone');
});

t.test('lockouts double up to the cap and a grant resets them', async (t) => {
  const policy = PinPolicySchema.parse({ maxFailures: 2, lockoutMs: 1_000, maxLockoutMs: 3_000 });
  let s = NO_LOCKOUT;
  const lockouts: (number | null)[] = [];
  for (let i = 0; i < 8; i++) {
    const r = afterFailure(s, policy, 0);
    s = r.state;
    lockouts.push(r.lockedOutForMs);
  }
  t.same(lockouts, [null, 1_000, null, 2_000, null, 3_000, null, 3_000]);
  t.ok(isLockedOut(s, 2_999));
  t.notOk(isLockedOut(s, 3_000));
  t.same(afterSuccess(), NO_LOCKOUT);
});

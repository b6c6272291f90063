import t from 'tap';
import { parseInstant } from '../../src/cli/parseInstant.js';

t.test('an impossible date with an offset is refused, not rolled over into the next month', async (t) => {
  for (const text of ['2027-02-30T10:00Z', '2027-02-29T10:00:00Z', '2026-04-31T10:00+02:00', '2027-13-01T10:00Z', '2027-00-10T10:00Z']) {
    t.throws(() => parseInstant(text, 'Europe/Berlin'), { code: 'INPUT_INVALID', details: { field: 'at' }, message: /is not a calendar date/ }, text);
  }
  t.equal(parseInstant('2028-02-29T10:00Z', 'Europe/Berlin'), Date.parse('2028-02-29T10:00:00Z'), 'a leap day exists in a leap year');
});

t.test('an impossible local date or time of day is refused, not rolled over', async (t) => {
  t.throws(() => parseInstant('2027-13-01T10:00', 'Europe/Berlin'), { code: 'INPUT_INVALID', message: /is not a calendar date/ });
  t.throws(() => parseInstant('2027-02-29', 'Europe/Berlin'), { code: 'INPUT_INVALID', message: /2027-02 has no day 29/ });
  for (const text of ['2027-01-01T25:00', '2027-01-01T24:00Z', '2027-01-01T10:60', '2027-01-01T10:00:60']) {
    t.throws(() => parseInstant(text, 'Europe/Berlin'), { code: 'INPUT_INVALID', message: /is not (a time of day|a date-time)/ }, text);
  }
});

t.test('an offset is applied as written; a bad offset or a free-form date is refused', async (t) => {
  t.equal(parseInstant('2026-07-01T09:00+02:00', 'UTC'), Date.parse('2026-07-01T07:00:00Z'));
  t.equal(parseInstant('2026-07-01T09:00:30.250-05:30', 'UTC'), Date.parse('2026-07-01T14:30:30.250Z'));
  t.throws(() => parseInstant('2026-07-01T09:00+24:00', 'UTC'), { code: 'INPUT_INVALID', message: /no such UTC offset/ });
  t.throws(() => parseInstant('Tue, 30 Feb 2027 10:00 Z', 'UTC'), { code: 'INPUT_INVALID', message: /is not a date-time/ });
});

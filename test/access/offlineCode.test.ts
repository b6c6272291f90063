import t from 'tap';
import { codeMessage, deriveCode, parseWall, typeDigit, typeOfDigit, wallText, windowProblem, OFFLINE_CODE_TYPES } from '../../src/access/offlineCode.js';
import { checkOfflineCode, type OfflineCodeSettings } from '../../src/access/offlineCodeCheck.js';
import { VECTOR_SECRET } from './offlineCodeVectors.js';

const wall = (text: string): number => parseWall(text)!;
const stay = { checkIn: 15 * 60, checkOut: 11 * 60 };
const settings: OfflineCodeSettings = { secret: VECTOR_SECRET, length: 10, stay };
const hourly = { scope: 'door:front', type: 'hourly' as const, singleUse: true, start: wall('2027-03-14T09:00'), end: wall('2027-03-14T12:00') };
const code = deriveCode(VECTOR_SECRET, hourly, 10);

t.test('the first digit names the type and the use, and no code starts with 0, 7, 8 or 9', async (t) => {
  for (const type of OFFLINE_CODE_TYPES) {
    for (const singleUse of [false, true]) t.same(typeOfDigit(String(typeDigit(type, singleUse))), { type, singleUse });
  }
  for (const d of ['0', '7', '8', '9', 'x']) t.equal(typeOfDigit(d), null, d);
  t.equal(code[0], '2', 'hourly, single use');
  t.equal(code.length, 10);
});

t.test('wall-clock text round-trips and impossible dates are refused', async (t) => {
  t.equal(wallText(wall('2027-03-14T09:00')), '2027-03-14T09:00');
  for (const bad of ['2027-02-30T10:00', '2027-13-01T00:00', '2027-03-14T24:00', '2027-03-14 09:00', '2027-03-14T09:00Z']) t.equal(parseWall(bad), null, bad);
  t.equal(codeMessage(hourly), 'lockgw-doorcode/1|door:front|hourly|single|2027-03-14T09:00|2027-03-14T12:00');
});

t.test('a code is valid from the first minute of its window to the last, and recognised 6 hours either side', async (t) => {
  const check = (at: string) => checkOfflineCode(settings, ['door:front'], code, wall(at)).kind;
  t.equal(check('2027-03-14T08:59'), 'not_yet_valid');
  t.equal(check('2027-03-14T09:00'), 'valid');
  t.equal(check('2027-03-14T11:59'), 'valid');
  t.equal(check('2027-03-14T12:00'), 'expired');
  t.equal(check('2027-03-14T17:59'), 'expired', 'up to 6 hours after its end');
  t.equal(check('2027-03-14T18:00'), 'unknown', 'then it is just a wrong code');
  t.equal(check('2027-03-14T03:00'), 'not_yet_valid', '6 hours before its start');
  t.equal(check('2027-03-14T02:59'), 'unknown');
});

t.test('the code opens only in its scope, and a wrong, short or malformed code is unknown', async (t) => {
  const at = wall('2027-03-14T10:00');
  t.equal(checkOfflineCode(settings, ['door:back'], code, at).kind, 'unknown');
  t.same(checkOfflineCode(settings, ['door:back', 'door:front'], code, at), { kind: 'valid', window: hourly });
  const wrong = `${code.slice(0, 9)}${(Number(code[9]) + 1) % 10}`;
  t.equal(checkOfflineCode(settings, ['door:front'], wrong, at).kind, 'unknown');
  t.equal(checkOfflineCode(settings, ['door:front'], code.slice(1), at).kind, 'unknown', 'nine digits on a ten-digit site');
  t.equal(checkOfflineCode(settings, ['door:front'], `9${code.slice(1)}`, at).kind, 'unknown', 'no type 9');
  t.equal(checkOfflineCode(settings, ['door:front'], `${code.slice(0, 9)}#`, at).kind, 'unknown');
  t.equal(checkOfflineCode({ ...settings, secret: Buffer.alloc(32, 7) }, ['door:front'], code, at).kind, 'unknown', 'another site\'s secret');
});

t.test('every grid window of each type is found, longest included', async (t) => {
  const cases = [
    { type: 'hourly' as const, start: '2027-03-14T00:00', end: '2027-03-15T00:00', at: '2027-03-14T23:59' },
    { type: 'hourly' as const, start: '2027-03-14T23:00', end: '2027-03-15T00:00', at: '2027-03-14T23:00' },
    { type: 'daily' as const, start: '2027-03-01T00:00', end: '2027-04-01T00:00', at: '2027-03-31T23:59' },
    { type: 'daily' as const, start: '2027-03-14T00:00', end: '2027-03-15T00:00', at: '2027-03-14T00:00' },
    { type: 'multi-day' as const, start: '2027-03-14T15:00', end: '2027-03-15T11:00', at: '2027-03-15T10:59' },
    { type: 'multi-day' as const, start: '2027-03-01T15:00', end: '2027-04-01T11:00', at: '2027-03-01T15:00' },
  ];
  for (const c of cases) {
    for (const singleUse of [false, true]) {
      const w = { scope: 'group:amenities', type: c.type, singleUse, start: wall(c.start), end: wall(c.end) };
      t.equal(windowProblem(w.type, w.start, w.end, stay), null, `${c.type} ${c.start}–${c.end} is on the grid`);
      const found = checkOfflineCode(settings, ['door:gym', 'group:amenities'], deriveCode(VECTOR_SECRET, w, 10), wall(c.at));
      t.same(found, { kind: 'valid', window: w }, `${c.type} ${c.start}–${c.end} at ${c.at}`);
    }
  }
});

t.test('a window off its type\'s grid is refused with a reason', async (t) => {
  const problem = (type: 'hourly' | 'daily' | 'multi-day', from: string, to: string, times: typeof stay | null = stay) => windowProblem(type, wall(from), wall(to), times);
  t.match(problem('hourly', '2027-03-14T09:30', '2027-03-14T10:00'), /whole hour/);
  t.match(problem('hourly', '2027-03-14T09:00', '2027-03-15T10:00'), /at most 24 hours/);
  t.match(problem('hourly', '2027-03-14T09:00', '2027-03-14T09:00'), /ends before it starts/);
  t.match(problem('daily', '2027-03-14T01:00', '2027-03-15T00:00'), /midnight/);
  t.match(problem('daily', '2027-03-01T00:00', '2027-04-02T00:00'), /at most 31 days/);
  t.match(problem('multi-day', '2027-03-14T14:00', '2027-03-15T11:00'), /check-in time \(15:00\)/);
  t.match(problem('multi-day', '2027-03-14T15:00', '2027-03-15T12:00'), /check-out time \(11:00\)/);
  t.match(problem('multi-day', '2027-03-14T15:00', '2027-03-14T23:00', { checkIn: 900, checkOut: 1380 }), /1 to 31 nights/);
  t.match(problem('multi-day', '2027-03-14T15:00', '2027-03-15T11:00', null), /no check-in and check-out times/);
  t.equal(checkOfflineCode({ ...settings, stay: null }, ['door:unit-4'], deriveCode(VECTOR_SECRET, { scope: 'door:unit-4', type: 'multi-day', singleUse: true, start: wall('2027-03-14T15:00'), end: wall('2027-03-17T11:00') }, 10), wall('2027-03-15T09:00')).kind, 'unknown', 'a site without stay times takes no multi-day code');
});

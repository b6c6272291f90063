import t, { type Test } from 'tap';
import type { Key } from '../../../src/access/model.js';
import { parseCsv } from '../../../src/access/site/csvRecords.js';
import { parseBulkUsersCsv, parseExpiryDate, personIdForEmail } from '../../../src/access/site/bulkUsersCsv.js';
import { startOfLocalDay } from '../../../src/access/site/localDate.js';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';

const key = (id: string, name: string): Key => ({ id, name, mayShare: false, system: false, doors: [] });
const KEYS = [key('resident', 'Resident'), key('gym', 'Gym & Pool'), key('staff-24-7', 'Employee All Access 24/7')];
const CONTEXT = { timeZone: 'Europe/Berlin', keys: KEYS };
const parse = (text: string, keys = KEYS) => parseBulkUsersCsv(text, 'users.csv', { ...CONTEXT, keys });

function refused(t: Test, text: string, message: RegExp): void {
  try {
    parse(text);
    t.fail(`expected an error matching ${message}`);
  } catch (err) {
    t.ok(isGatewayError(err, 'INPUT_INVALID'), 'INPUT_INVALID');
    t.match((err as Error).message, message);
  }
}

t.test('RFC 4180: quoted fields hold commas, line breaks and doubled quotes; CRLF, LF and a BOM are fine', async (t) => {
  const rows = parseCsv('\ufeffname,note\r\n"Doe, Jane","said ""hi""\r\nthen left"\r\n\r\nplain,\n', 'x.csv');
  t.same(rows.map((r) => r.fields.map((f) => f.value)), [['name', 'note'], ['Doe, Jane', 'said "hi"\r\nthen left'], ['plain', '']]);
  t.same(rows.map((r) => r.line), [1, 2, 5], 'blank lines are skipped, lines are counted inside quotes');
  t.same(rows[1]!.fields.map((f) => [f.line, f.column]), [[2, 1], [2, 13]]);
  t.same(parseCsv('', 'x.csv'), []);
  t.same(parseCsv('a\rb', 'x.csv').map((r) => r.line), [1, 2], 'a lone CR ends a record too');
});

t.test('RFC 4180 violations name line and column', async (t) => {
  for (const [text, message] of [
    ['a,b\n1,x"y\n', /^x\.csv:2:4: a quote inside an unquoted field/],
    ['a,b\n1,"xy"z\n', /^x\.csv:2:7: text after the closing quote/],
    ['a,b\n1,"x\ny\n', /^x\.csv:2:3: this quoted field is never closed/],
  ] as const) {
    try {
      parseCsv(text, 'x.csv');
      t.fail(message.source);
    } catch (err) {
      t.match((err as Error).message, message);
    }
  }
});

t.test('users become people with stable ids and holdings valid through the end of the expiry day where the site is', async (t) => {
  const users = parse([
    'EMAIL ADDRESS,unit_number,Expiration Date,Keys,Place',
    'Ann@Example.com,205C,2027-06-30,resident;gym & pool,Building A',
    'maint@example.com,N/A,12/31/2027,Employee All Access 24/7 | resident,',
    'cleaner@example.com,,31.03.2027,staff-24-7,',
    'forever@example.com,7,,resident,',
  ].join('\r\n'));
  t.same(users.people.map((p) => [p.id, p.name, p.kind, p.unit, p.place]), [
    ['user:ann@example.com', 'Ann@Example.com', 'resident', '205C', 'Building A'],
    ['user:maint@example.com', 'maint@example.com', 'staff', undefined, undefined],
    ['user:cleaner@example.com', 'cleaner@example.com', 'resident', undefined, undefined],
    ['user:forever@example.com', 'forever@example.com', 'resident', '7', undefined],
  ], 'unit and place are fields of the person, not folded into the name; staff (unit n/a) have no unit');
  t.same(users.holdings.map((h) => [h.personId, h.keyId, h.validUntil]), [
    ['user:ann@example.com', 'resident', Date.parse('2027-07-01T00:00:00+02:00')],
    ['user:ann@example.com', 'gym', Date.parse('2027-07-01T00:00:00+02:00')],
    ['user:maint@example.com', 'staff-24-7', Date.parse('2028-01-01T00:00:00+01:00')],
    ['user:maint@example.com', 'resident', Date.parse('2028-01-01T00:00:00+01:00')],
    ['user:cleaner@example.com', 'staff-24-7', Date.parse('2027-04-01T00:00:00+02:00')],
    ['user:forever@example.com', 'resident', undefined],
  ], 'keys by id or by name; a date in any accepted form ends at the next local midnight (CET or CEST)');
  t.equal(users.where('person', 'user:maint@example.com'), 'users.csv:3');
  t.equal(users.where('holding', 'user:ann@example.com/gym'), 'users.csv:2');
  t.equal(users.where('key', 'resident'), undefined);
});

t.test('person ids derive from the email alone, case-insensitively; an address an id cannot hold is hashed', async (t) => {
  t.equal(personIdForEmail(' Ann@Example.COM '), 'user:ann@example.com');
  t.match(personIdForEmail('ann+gym@example.com'), /^user:h-[0-9a-f]{32}$/);
  t.equal(personIdForEmail('ann+gym@example.com'), personIdForEmail('ANN+gym@example.com'));
});

t.test('expiry dates: ISO, US and dotted forms; impossible days are refused', async (t) => {
  t.equal(parseExpiryDate('2028-02-29'), '2028-02-29');
  t.equal(parseExpiryDate('2/3/2027'), '2027-02-03', 'slashes are month/day (the US template)');
  t.equal(parseExpiryDate('2.3.2027'), '2027-03-02', 'dots are day.month');
  t.equal(parseExpiryDate('2027-02-29'), null);
  t.equal(parseExpiryDate('13/01/2027'), null);
  t.equal(parseExpiryDate('next week'), null);
  t.equal(startOfLocalDay('2024-09-08', 'America/Santiago'), Date.parse('2024-09-08T01:00:00-03:00'), 'a day whose midnight does not exist starts at the jump');
});

t.test('an unknown key names its line and column, and every bad row is counted', async (t) => {
  refused(t, 'Email,Unit,Expiry Date,Keys\nann@example.com,1,2027-01-01,resident\nbob@example.com,2,2027-01-01,"resident;sauna"\n', /^users\.csv:3:30 \(Keys\): unknown key "sauna" \(keys: resident, gym, staff-24-7\)$/);
  refused(t, 'Email,Keys\nann@example.com,sauna\nbob@example.com,spa\n', /^users\.csv:2:17 \(Keys\): unknown key "sauna" .*\(and 1 more problem\)$/);
  refused(t, 'Email,Keys\nann@example.com,x\n', /unknown key "x"/);
  try {
    parse('Email,Keys\na@example.com,x\n', []);
  } catch (err) {
    t.match((err as Error).message, /unknown key "x" \(the site has no keys\)/);
  }
});

t.test('bad rows say what is wrong and where', async (t) => {
  refused(t, 'Email,Keys\nnot-an-email,resident\n', /^users\.csv:2:1 \(Email\): "not-an-email" is not an email address/);
  refused(t, 'Email,Keys\n,resident\n', /users\.csv:2:1 \(Email\): no email address/);
  refused(t, 'Email,Keys\nann@example.com,resident\nANN@example.com,gym\n', /^users\.csv:3:1 \(Email\): ANN@example.com is already on line 2/);
  refused(t, 'Email,Expiry Date,Keys\nann@example.com,2027-02-30,resident\n', /^users\.csv:2:17 \(Expiry Date\): "2027-02-30" is not a date: use YYYY-MM-DD/);
  refused(t, 'Email,Keys\nann@example.com, ; |\n', /^users\.csv:2:17 \(Keys\): no key/);
  refused(t, 'Email,Keys\nann@example.com,resident,extra\n', /^users\.csv:2:17: 3 fields, but the header has 2/);
  refused(t, 'Email,Keys\nann@example.com\n', /^users\.csv:2:1: 1 field, but the header has 2/);
  refused(t, 'Email,Key,Keys\nann@example.com,resident,gym\n', /^users\.csv:1:11: column "Keys" repeats column 2 \(Key\)/);
  const twins = [...KEYS, key('gym-2', 'gym & pool')];
  try {
    parse('Email,Keys\nann@example.com,Gym & Pool\n', twins);
    t.fail('ambiguous');
  } catch (err) {
    t.match((err as Error).message, /key name "Gym & Pool" is ambiguous \(keys gym, gym-2\): use the key id/);
  }
});

t.test('a header without the needed columns lists what it found; a semicolon file gets a hint', async (t) => {
  refused(t, 'Mail,Unit,Keys\nann@example.com,1,resident\n', /^users\.csv:1:1: the header has no "email" column \(found: "Mail", "Unit", "Keys"\)/);
  try {
    parse('Email;Unit;Keys\nann@example.com;1;resident\n');
  } catch (err) {
    t.match(err, { details: { hint: /use ; between columns/ } });
  }
  refused(t, '', /^users\.csv: the file is empty/);
});

import t from 'tap';
import type { Interval } from '../../src/access/model.js';
import { HolidayCalendar, localDayNumber, weekdayOfDay } from '../../src/access/holidayCalendar.js';
import {
  MaskInterner,
  alwaysMask,
  compileIntervals,
  maskAllows,
  maskAllowsIgnoringHolidays,
  unionMasks,
  type ScheduleMask,
} from '../../src/access/scheduleMask.js';
import { ZoneClock } from '../../src/access/zoneClock.js';

type Holidays = { date: string; type: 1 | 2 | 3 }[];

function iv(days: Interval['days'], start: string, end: string, holidayTypes: Interval['holidayTypes'] = []): Interval {
  return { days, holidayTypes, start, end };
}

/** A site: its clock, holidays and one schedule, asked at instants given in ISO 8601 with offset. */
function site(timeZone: string, intervals: Interval[] | ScheduleMask, holidays: Holidays = []) {
  const clock = new ZoneClock(timeZone);
  const calendar = new HolidayCalendar(holidays);
  const mask = Array.isArray(intervals) ? compileIntervals(intervals) : intervals;
  const at = (instant: string | number): number => clock.localMinutes(typeof instant === 'number' ? instant : Date.parse(instant));
  return {
    open: (instant: string | number): boolean => maskAllows(mask, at(instant), calendar),
    openIgnoringHolidays: (instant: string | number): boolean => maskAllowsIgnoringHolidays(mask, at(instant)),
    /** real minutes the door is open between two instants */
    openMinutes(from: string, to: string): number {
      let n = 0;
      for (let u = Date.parse(from); u < Date.parse(to); u += 60_000) if (this.open(u)) n++;
      return n;
    },
  };
}

// 2024-12-23 is a Monday.
t.test('a Monday night shift 22:00–06:00 runs from Monday 22:00 to Tuesday 06:00', async (t) => {
  const s = site('UTC', [iv(['mon'], '22:00', '06:00')]);
  t.equal(s.open('2024-12-23T21:59:00Z'), false, 'Monday 21:59');
  t.equal(s.open('2024-12-23T22:00:00Z'), true, 'Monday 22:00, start included');
  t.equal(s.open('2024-12-24T00:00:00Z'), true, 'Tuesday midnight');
  t.equal(s.open('2024-12-24T05:59:59Z'), true, 'Tuesday 05:59');
  t.equal(s.open('2024-12-24T06:00:00Z'), false, 'Tuesday 06:00, end excluded');
  t.equal(s.open('2024-12-24T22:30:00Z'), false, 'Tuesday night is not a Monday night');
  t.equal(s.open('2024-12-23T03:00:00Z'), false, 'Monday morning belongs to Sunday night');
});

t.test('an interval ending at 24:00 runs to the last minute of its day and not past midnight', async (t) => {
  const s = site('UTC', [iv(['fri'], '18:00', '24:00')]);
  t.equal(s.open('2024-12-27T23:59:00Z'), true, 'Friday 23:59');
  t.equal(s.open('2024-12-28T00:00:00Z'), false, 'Saturday 00:00');
  const allDay = site('UTC', [iv(['sat'], '00:00', '24:00')]);
  t.equal(allDay.open('2024-12-28T00:00:00Z'), true);
  t.equal(allDay.open('2024-12-28T23:59:59Z'), true);
  t.equal(allDay.open('2024-12-29T00:00:00Z'), false);
});

t.test('an interval 22:00–00:00 crosses midnight and ends exactly at midnight', async (t) => {
  const s = site('UTC', [iv(['mon'], '22:00', '00:00')]);
  t.equal(s.open('2024-12-23T23:59:00Z'), true);
  t.equal(s.open('2024-12-24T00:00:00Z'), false);
});

t.test('a holiday closes the weekday intervals of its date; only intervals of its type start on it', async (t) => {
  // 2024-12-25 is a Wednesday.
  const office = [iv(['mon', 'tue', 'wed', 'thu', 'fri'], '08:00', '18:00'), iv([], '10:00', '14:00', [1])];
  const s = site('Europe/Berlin', office, [{ date: '2024-12-25', type: 1 }]);
  t.equal(s.open('2024-12-24T08:00:00+01:00'), true, 'Tuesday is a working day');
  t.equal(s.open('2024-12-25T09:00:00+01:00'), false, 'the holiday closes the weekday interval');
  t.equal(s.openIgnoringHolidays('2024-12-25T09:00:00+01:00'), true, 'so the reason is "holiday"');
  t.equal(s.open('2024-12-25T10:00:00+01:00'), true, 'the holiday-type interval opens');
  t.equal(s.open('2024-12-25T14:00:00+01:00'), false);
  t.equal(s.openIgnoringHolidays('2024-12-25T11:00:00+01:00'), true);

  const other = site('Europe/Berlin', office, [{ date: '2024-12-25', type: 2 }]);
  t.equal(other.open('2024-12-25T11:00:00+01:00'), false, 'a type-2 holiday does not open type-1 intervals');
});

t.test('a night shift that started on a weekday runs into a holiday until its end', async (t) => {
  // Monday 2024-12-23 night shift, Tuesday 2024-12-24 is a holiday.
  const s = site('UTC', [iv(['mon', 'tue'], '22:00', '06:00')], [{ date: '2024-12-24', type: 1 }]);
  t.equal(s.open('2024-12-24T05:00:00Z'), true, 'Monday night continues into the holiday');
  t.equal(s.open('2024-12-24T06:00:00Z'), false);
  t.equal(s.open('2024-12-24T22:00:00Z'), false, 'no Tuesday night shift starts on the holiday');
  t.equal(s.open('2024-12-25T03:00:00Z'), false, 'and none runs into Wednesday');
  t.equal(s.openIgnoringHolidays('2024-12-24T22:00:00Z'), true);
});

t.test('a holiday-type night interval continues into the next, normal morning', async (t) => {
  const s = site('UTC', [iv([], '22:00', '02:00', [3])], [{ date: '2024-12-31', type: 3 }]);
  t.equal(s.open('2024-12-31T21:59:00Z'), false);
  t.equal(s.open('2024-12-31T22:00:00Z'), true);
  t.equal(s.open('2025-01-01T01:59:00Z'), true, 'New Year morning, governed by the holiday before it');
  t.equal(s.open('2025-01-01T02:00:00Z'), false);
  t.equal(s.openIgnoringHolidays('2025-01-01T01:00:00Z'), false);
});

t.test('New York spring forward (2024-03-10, 02:00 EST -> 03:00 EDT)', async (t) => {
  t.test('an interval starting at 02:30 opens when the clock shows 03:00', async (t) => {
    const s = site('America/New_York', [iv(['sun'], '02:30', '04:00')]);
    t.equal(s.open('2024-03-10T01:59:00-05:00'), false);
    t.equal(s.open('2024-03-10T03:00:00-04:00'), true, 'the first wall minute after the gap');
    t.equal(s.open('2024-03-10T03:59:00-04:00'), true);
    t.equal(s.open('2024-03-10T04:00:00-04:00'), false);
    t.equal(s.openMinutes('2024-03-10T00:00:00-05:00', '2024-03-10T06:00:00-04:00'), 60, 'one real hour');
  });
  t.test('an interval inside the gap does not happen that day', async (t) => {
    const s = site('America/New_York', [iv(['sun'], '02:00', '02:45')]);
    t.equal(s.openMinutes('2024-03-09T00:00:00-05:00', '2024-03-11T00:00:00-04:00'), 0);
    t.equal(s.open('2024-03-17T02:10:00-04:00'), true, 'the next Sunday it does');
  });
  t.test('an interval ending inside the gap ends at the gap', async (t) => {
    const s = site('America/New_York', [iv(['sun'], '01:00', '02:30')]);
    t.equal(s.open('2024-03-10T01:59:00-05:00'), true);
    t.equal(s.open('2024-03-10T03:00:00-04:00'), false);
  });
});

t.test('New York fall back (2024-11-03, 02:00 EDT -> 01:00 EST): repeated wall minutes are open both times', async (t) => {
  const s = site('America/New_York', [iv(['sun'], '01:00', '01:30')]);
  t.equal(s.open('2024-11-03T01:00:00-04:00'), true, 'first 01:00 (EDT)');
  t.equal(s.open('2024-11-03T01:29:00-04:00'), true);
  t.equal(s.open('2024-11-03T01:30:00-04:00'), false, 'first 01:30 (EDT)');
  t.equal(s.open('2024-11-03T01:00:00-05:00'), true, 'second 01:00 (EST)');
  t.equal(s.open('2024-11-03T01:30:00-05:00'), false);
  t.equal(s.openMinutes('2024-11-03T00:00:00-04:00', '2024-11-03T04:00:00-05:00'), 60, 'one real hour');
  const night = site('America/New_York', [iv(['sat'], '22:00', '06:00')]);
  t.equal(night.openMinutes('2024-11-02T20:00:00-04:00', '2024-11-03T08:00:00-05:00'), 9 * 60, 'a night shift is an hour longer');
});

t.test('Lord Howe shifts by 30 minutes', async (t) => {
  // 2024-10-06 02:00 (+10:30) -> 02:30 (+11:00); 2024-04-07 02:00 (+11:00) -> 01:30 (+10:30). Both Sundays.
  const gap = site('Australia/Lord_Howe', [iv(['sun'], '02:00', '02:30')]);
  t.equal(gap.openMinutes('2024-10-05T12:00:00+10:30', '2024-10-06T12:00:00+11:00'), 0, 'the skipped half hour never occurs');
  const late = site('Australia/Lord_Howe', [iv(['sun'], '02:15', '03:00')]);
  t.equal(late.open('2024-10-06T01:59:00+10:30'), false);
  t.equal(late.open('2024-10-06T02:30:00+11:00'), true, 'opens when the clock shows 02:30');
  t.equal(late.openMinutes('2024-10-05T12:00:00+10:30', '2024-10-06T12:00:00+11:00'), 30);
  const overlap = site('Australia/Lord_Howe', [iv(['sun'], '01:30', '02:00')]);
  t.equal(overlap.open('2024-04-07T01:45:00+11:00'), true);
  t.equal(overlap.open('2024-04-07T01:45:00+10:30'), true);
  t.equal(overlap.openMinutes('2024-04-06T12:00:00+11:00', '2024-04-07T12:00:00+10:30'), 60, 'the repeated half hour counts twice');
});

t.test('Kolkata is +05:30 all year', async (t) => {
  // 2024-06-03 is a Monday.
  const s = site('Asia/Kolkata', [iv(['mon'], '09:00', '17:30')]);
  t.equal(s.open('2024-06-03T03:29:00Z'), false, '08:59 IST');
  t.equal(s.open('2024-06-03T03:30:00Z'), true, '09:00 IST');
  t.equal(s.open('2024-06-03T11:59:00Z'), true, '17:29 IST');
  t.equal(s.open('2024-06-03T12:00:00Z'), false, '17:30 IST');
  const clock = new ZoneClock('Asia/Kolkata');
  for (const u of [Date.UTC(2000, 0, 1), Date.UTC(2024, 6, 1, 12, 34, 56), Date.UTC(2099, 11, 31, 23, 59)]) {
    t.equal(clock.offsetMs(u), 19_800_000);
    t.equal(clock.localMinutes(u), Math.floor((u + 19_800_000) / 60_000));
  }
});

t.test('zones with negative and odd offsets', async (t) => {
  const stJohns = new ZoneClock('America/St_Johns');
  t.equal(stJohns.offsetMs(Date.parse('2024-01-15T12:00:00Z')), -210 * 60_000, 'NST -03:30');
  t.equal(stJohns.offsetMs(Date.parse('2024-07-15T12:00:00Z')), -150 * 60_000, 'NDT -02:30');
  t.equal(stJohns.localMinutes(Date.parse('2024-07-15T12:00:00Z')), Date.parse('2024-07-15T09:30:00Z') / 60_000);
  const monrovia = new ZoneClock('Africa/Monrovia');
  t.equal(monrovia.offsetMs(Date.parse('1971-06-01T00:00:00Z')), -(44 * 60 + 30) * 1000, 'offsets to the second (-00:44:30 until 1972)');
  t.equal(monrovia.localMinutes(Date.parse('1971-06-01T00:00:00Z')), Date.parse('1971-05-31T23:15:00Z') / 60_000, 'floors the half minute');
  t.equal(monrovia.offsetMs(Date.parse('1980-06-01T00:00:00Z')), 0);
});

t.test('a ZoneClock gives the same answers whatever order it is asked in', async (t) => {
  const times = [2024, 1975, 2150, 2024, 2200, 1999, 2024].flatMap((y) => [Date.UTC(y, 2, 10, 6, 59), Date.UTC(y, 2, 10, 7), Date.UTC(y, 10, 3, 6)]);
  const warm = new ZoneClock('America/New_York');
  const forward = times.map((u) => warm.localMinutes(u));
  const backward = times.reverse().map((u) => new ZoneClock('America/New_York').localMinutes(u)).reverse();
  t.same(forward, backward);
});

t.test('a ZoneClock never throws, even outside 1900–9999 or for non-numbers', async (t) => {
  const clock = new ZoneClock('America/New_York');
  t.equal(clock.offsetMs(-8.64e15), -5 * 3600_000, 'before 1900: the offset of 1900-01-01');
  t.equal(clock.offsetMs(-1e300), -5 * 3600_000);
  t.equal(clock.offsetMs(8.64e15), -5 * 3600_000, 'after 9999: the offset at its end');
  t.equal(clock.offsetMs(Infinity), -5 * 3600_000);
  t.equal(clock.offsetMs(NaN), 0);
  t.equal(clock.localMinutes(Date.UTC(1899, 0, 1)), (Date.UTC(1899, 0, 1) - 5 * 3600_000) / 60_000);
  t.equal(clock.offsetMs(Date.UTC(5000, 6, 1)), -4 * 3600_000, 'far future uses the last rule: summer time in July');
  t.equal(clock.timeZone, 'America/New_York');
});

t.test('non-finite local minutes are never allowed', async (t) => {
  const calendar = new HolidayCalendar([]);
  for (const lm of [NaN, Infinity, -Infinity]) {
    t.equal(maskAllows(alwaysMask(), lm, calendar), false);
    t.equal(maskAllowsIgnoringHolidays(alwaysMask(), lm), false);
  }
});

t.test('equal schedules share one interned mask', async (t) => {
  const interner = new MaskInterner();
  const a = compileIntervals([iv(['mon', 'tue'], '08:00', '12:00'), iv(['mon'], '13:00', '17:00')]);
  const b = compileIntervals([iv(['mon'], '13:00', '17:00'), iv(['tue', 'mon'], '08:00', '12:00')]);
  const c = compileIntervals([iv(['mon'], '08:00', '12:00')]);
  const idA = interner.intern(a);
  t.equal(interner.intern(b), idA, 'same content, same id');
  const idC = interner.intern(c);
  t.not(idC, idA);
  t.equal(interner.size, 2);
  t.same(interner.get(idA), a);
  a.fill(0);
  const monday9 = Date.UTC(2024, 11, 23, 9) / 60_000;
  t.equal(maskAllows(interner.get(idA), monday9, new HolidayCalendar([])), true, 'the interner keeps its own copy');
  t.equal(interner.intern(compileIntervals([])), 2);
  t.throws(() => interner.get(99), RangeError);
});

t.test('alwaysMask opens every minute of every day, holidays included', async (t) => {
  const calendar = new HolidayCalendar([
    { date: '2024-12-24', type: 1 },
    { date: '2024-12-25', type: 2 },
    { date: '2024-12-26', type: 3 },
  ]);
  const mask = alwaysMask();
  const start = Date.UTC(2024, 11, 20) / 60_000;
  let closed = 0;
  for (let lm = start; lm < start + 10 * 1440; lm++) if (!maskAllows(mask, lm, calendar)) closed++;
  t.equal(closed, 0);
  const interner = new MaskInterner();
  const everything = compileIntervals([iv(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], '00:00', '24:00', [1, 2, 3])]);
  t.equal(interner.intern(mask), interner.intern(everything), 'the same as all days and holidays 00:00–24:00');
});

t.test('several schedules on one door: open when any of them is', async (t) => {
  const morning = compileIntervals([iv(['mon'], '08:00', '12:00')]);
  const night = compileIntervals([iv(['mon'], '22:00', '02:00')]);
  const s = site('UTC', unionMasks([morning, night]));
  t.equal(s.open('2024-12-23T09:00:00Z'), true);
  t.equal(s.open('2024-12-23T13:00:00Z'), false);
  t.equal(s.open('2024-12-24T01:00:00Z'), true);
  const none = site('UTC', unionMasks([]));
  t.equal(none.open('2024-12-23T09:00:00Z'), false, 'a union of nothing is never open');
});

t.test('invalid intervals contribute nothing (fail secure) and do not throw', async (t) => {
  const bad = [
    iv(['mon'], '08:00', '08:00'),
    iv(['mon'], '24:00', '06:00'),
    iv(['mon'], '8:00', '09:00'),
    iv(['mon'], '08:00', '24:30'),
    iv(['mon'], '08:60', '09:00'),
    { days: ['funday'], holidayTypes: [4], start: '08:00', end: '09:00' } as unknown as Interval,
    { start: '08:00', end: '09:00' } as unknown as Interval,
  ];
  const interner = new MaskInterner();
  t.equal(interner.intern(compileIntervals(bad)), interner.intern(compileIntervals([])));
});

t.test('local day numbers and weekdays', async (t) => {
  t.equal(localDayNumber('1970-01-01'), 0);
  t.equal(localDayNumber('1969-12-31'), -1);
  t.equal(localDayNumber('2000-03-01'), Date.UTC(2000, 2, 1) / 86_400_000);
  t.equal(localDayNumber('2024-02-29'), Date.UTC(2024, 1, 29) / 86_400_000);
  t.equal(localDayNumber('1600-01-01'), Date.UTC(1600, 0, 1) / 86_400_000);
  t.equal(weekdayOfDay(0), 4, '1970-01-01 was a Thursday');
  t.equal(weekdayOfDay(-1), 3, '1969-12-31 was a Wednesday');
  t.equal(weekdayOfDay(-4), 0);
  t.equal(weekdayOfDay(localDayNumber('1600-01-01')), new Date(Date.UTC(1600, 0, 1)).getUTCDay());
  for (const bad of ['2023-02-29', '2024-13-01', '2024-04-31', '2024-00-10', '24-01-01', '']) {
    t.throws(() => localDayNumber(bad), RangeError, bad);
  }
  t.equal(localDayNumber('1900-02-28') + 1, localDayNumber('1900-03-01'), '1900 is not a leap year');
});

t.test('a holiday calendar answers by local day', async (t) => {
  const calendar = new HolidayCalendar([
    { date: '2024-12-25', type: 1 },
    { date: '2024-12-26', type: 2 },
    { date: '2024-12-25', type: 3 },
  ]);
  t.equal(calendar.size, 2);
  t.equal(calendar.typeOn(localDayNumber('2024-12-25')), 3, 'a date listed twice takes its highest type');
  t.equal(calendar.typeOn(localDayNumber('2024-12-26')), 2);
  t.equal(calendar.typeOn(localDayNumber('2024-12-24')), 0);
  t.equal(calendar.typeOn(localDayNumber('2024-12-27')), 0);
  t.equal(calendar.typeOn(NaN), 0);
  const wide = new HolidayCalendar([
    { date: '1800-01-01', type: 1 },
    { date: '2400-01-01', type: 2 },
  ]);
  t.equal(wide.typeOn(localDayNumber('1800-01-01')), 1, 'holidays centuries apart');
  t.equal(wide.typeOn(localDayNumber('2400-01-01')), 2);
  t.equal(wide.typeOn(localDayNumber('2000-01-01')), 0);
  const empty = new HolidayCalendar([]);
  t.equal(empty.size, 0);
  t.equal(empty.typeOn(0), 0);
  t.throws(() => new HolidayCalendar([{ date: '2024-02-30', type: 1 }]), RangeError);
  t.throws(() => new HolidayCalendar([{ date: '2024-02-01', type: 4 as 1 }]), RangeError);
});

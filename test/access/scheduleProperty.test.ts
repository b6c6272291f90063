/**
 * The compiled path (ZoneClock + compileIntervals/unionMasks + HolidayCalendar + maskAllows)
 * against the brute-force reference, over random schedules, zones and instants biased to DST
 * transitions. fast-check prints the seed and the shrunk counterexample on failure.
 */
import t from 'tap';
import fc from 'fast-check';
import type { Interval } from '../../src/access/model.js';
import { HolidayCalendar } from '../../src/access/holidayCalendar.js';
import { MaskInterner, compileIntervals, maskAllows, maskAllowsIgnoringHolidays, unionMasks } from '../../src/access/scheduleMask.js';
import { ZoneClock } from '../../src/access/zoneClock.js';
import { referenceAllows, referenceLocalDate, referenceLocalMinutes, referenceWall } from './referenceSchedule.js';

const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'America/Sao_Paulo',
  'Pacific/Chatham',
  'America/St_Johns',
];
const RUNS_PER_ZONE = 3_000;
const WALK_RUNS_PER_ZONE = 200;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2000, 0, 1);
const TO = Date.UTC(2100, 0, 1);

/** Offset changes of a zone in 2000–2100, found by weekly Intl samples bisected to the minute. */
function transitions(timeZone: string): number[] {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  const offset = (u: number): string | undefined => fmt.formatToParts(u).find((p) => p.type === 'timeZoneName')?.value;
  const found: number[] = [];
  for (let u = FROM; u < TO; u += 7 * DAY) {
    if (offset(u) === offset(u + 7 * DAY)) continue;
    let lo = u / MINUTE;
    let hi = (u + 7 * DAY) / MINUTE;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offset(mid * MINUTE) === offset(u)) lo = mid;
      else hi = mid;
    }
    found.push(hi * MINUTE);
  }
  return found;
}

const minuteOfDay = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
// Times near DST transitions and midnight are drawn more often than their share.
const startArb = fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.constantFrom(0, 60, 90, 105, 120, 150, 165, 180, 210, 1380, 1410, 1439));
const endArb = fc.oneof(fc.integer({ min: 1, max: 1440 }), fc.constantFrom(1440, 30, 60, 120, 150, 165, 180, 225, 360));
const intervalArb: fc.Arbitrary<Interval> = fc
  .record({
    days: fc.subarray(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const),
    holidayTypes: fc.subarray([1, 2, 3] as const),
    start: startArb,
    end: endArb,
  })
  .filter((r) => r.start !== r.end)
  .map((r) => ({ days: [...r.days], holidayTypes: [...r.holidayTypes], start: minuteOfDay(r.start), end: minuteOfDay(r.end) }));

function instantArb(near: number[]): fc.Arbitrary<number> {
  const random = fc.integer({ min: FROM, max: TO });
  if (near.length === 0) return random;
  const index = fc.integer({ min: 0, max: near.length - 1 });
  const pick = (i: number): number => near[i] ?? FROM;
  return fc.oneof(
    random,
    // anywhere within two days of a transition, to the millisecond
    fc.tuple(index, fc.integer({ min: -2 * DAY, max: 2 * DAY })).map(([i, d]) => pick(i) + d),
    // whole minutes within three hours of a transition, and the millisecond before each
    fc.tuple(index, fc.integer({ min: -180, max: 180 }), fc.boolean()).map(([i, m, before]) => pick(i) + m * MINUTE - (before ? 1 : 0)),
  );
}

/** holidays as days relative to the instant's local date, so they land on today, yesterday and around */
const holidayOffsetsArb = fc.array(fc.record({ day: fc.integer({ min: -2, max: 2 }), type: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3> }), {
  maxLength: 4,
});

const caseArb = (near: number[]) =>
  fc.record({
    intervals: fc.array(intervalArb, { minLength: 1, maxLength: 5 }),
    split: fc.nat(5),
    instant: instantArb(near),
    holidays: holidayOffsetsArb,
  });

const TRANSITIONS = new Map(ZONES.map((zone) => [zone, transitions(zone)]));

for (const timeZone of ZONES) {
  const near = TRANSITIONS.get(timeZone) ?? [];

  t.test(`${timeZone}: compiled schedules agree with the reference (${RUNS_PER_ZONE} cases, ${near.length} transitions)`, async (t) => {
    if (timeZone !== 'Asia/Kolkata') t.ok(near.length >= 30, 'the zone has DST transitions to aim at');
    const clock = new ZoneClock(timeZone); // one per site, warm across cases like in the gateway
    const interner = new MaskInterner();
    fc.assert(
      fc.property(caseArb(near), ({ intervals, split, instant, holidays: offsets }) => {
        const wall = referenceWall(timeZone, instant);
        const holidays = offsets.map((h) => ({ date: referenceLocalDate(wall, h.day), type: h.type }));
        // Several schedules on one door: split the intervals in two and union the masks.
        const cut = Math.min(split, intervals.length);
        const mask =
          cut === 0 ? compileIntervals(intervals) : unionMasks([compileIntervals(intervals.slice(0, cut)), compileIntervals(intervals.slice(cut))]);
        const id = interner.intern(mask);
        const lm = clock.localMinutes(instant);
        const compiled = maskAllows(interner.get(id), lm, new HolidayCalendar(holidays));
        const reference = referenceAllows(intervals, holidays, timeZone, instant);
        const ignoring = maskAllowsIgnoringHolidays(mask, lm);
        const referenceIgnoring = referenceAllows(intervals, [], timeZone, instant);
        return compiled === reference && ignoring === referenceIgnoring;
      }),
      { numRuns: RUNS_PER_ZONE },
    );
    t.pass('agree');
  });

  t.test(`${timeZone}: a fresh ZoneClock walking through time agrees with the reference`, async (t) => {
    fc.assert(
      fc.property(
        instantArb(near),
        fc.array(
          fc.oneof(
            fc.integer({ min: 1, max: 30 }).map((m) => m * MINUTE), // lands exactly on transitions
            fc.integer({ min: 1, max: 10 * MINUTE }),
            fc.integer({ min: -HOUR, max: 3 * DAY }),
          ),
          { minLength: 1, maxLength: 30 },
        ),
        (start, steps) => {
          const clock = new ZoneClock(timeZone);
          let u = start;
          for (const step of steps) {
            u += step;
            if (clock.localMinutes(u) !== referenceLocalMinutes(timeZone, u)) return false;
          }
          return true;
        },
      ),
      { numRuns: WALK_RUNS_PER_ZONE },
    );
    t.pass('agree');
  });
}

t.test('every transition 2000–2100: just before, exactly at and just after, on a warm and a cold clock', async (t) => {
  let checked = 0;
  for (const timeZone of ZONES) {
    const warm = new ZoneClock(timeZone);
    for (const [i, at] of (TRANSITIONS.get(timeZone) ?? []).entries()) {
      for (const u of [at - 1, at, at - 1, at + 1, at - MINUTE, at + MINUTE]) {
        const expected = referenceLocalMinutes(timeZone, u);
        if (warm.localMinutes(u) !== expected) {
          t.fail(`${timeZone} at ${new Date(u).toISOString()}`);
        }
        checked++;
      }
      if (i % 10 === 0 && new ZoneClock(timeZone).localMinutes(at) !== referenceLocalMinutes(timeZone, at)) t.fail(`${timeZone} cold at ${new Date(at).toISOString()}`);
    }
  }
  t.ok(checked > 5_000, `${checked} instants checked`);
});

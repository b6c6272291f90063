/**
 * Local wall-clock time in one IANA time zone, fast enough for the decision hot path.
 *
 * The zone's offset changes only at transitions (DST, law changes). A ZoneClock finds them once
 * per UTC year with Intl.DateTimeFormat (daily samples, each change bisected to the second) and
 * remembers the segment [from, to) of the last answer, so consecutive calls inside the same DST
 * period cost two comparisons. Results are deterministic: the caches only save work.
 *
 * Instants between 1900 and 9999 use the zone's real rules. Earlier instants use the offset in
 * force on 1900-01-01, later ones the offset at the end of 9999. NaN has offset 0. Never throws
 * for any number.
 */

const MINUTE_MS = 60_000;
const SECOND_MS = 1_000;
const DAY_MS = 86_400_000;
const AVERAGE_YEAR_MS = 31_556_952_000;
const FIRST_YEAR = 1900;
const LAST_YEAR = 9999;
const FIRST_MS = Date.UTC(FIRST_YEAR, 0, 1);
const END_MS = Date.UTC(LAST_YEAR + 1, 0, 1);

/** The offset segments of one UTC year: segment i starts at starts[i] and has offsets[i]. */
interface YearTable {
  readonly starts: readonly number[];
  readonly offsets: readonly number[];
  /** start of the next UTC year */
  readonly end: number;
}

export class ZoneClock {
  readonly timeZone: string;
  /** the last segment answered: offset `offset` holds for from <= utcMs < to */
  private from = Number.NaN;
  private to = Number.NaN;
  private offset = 0;
  private formatter: Intl.DateTimeFormat | undefined;
  private readonly years = new Map<number, YearTable>();

  /** Cheap: nothing is computed until the first call. The zone must already be validated. */
  constructor(timeZone: string) {
    this.timeZone = timeZone;
  }

  /** UTC offset in ms at this instant (local = utc + offset). */
  offsetMs(utcMs: number): number {
    if (utcMs >= this.from && utcMs < this.to) return this.offset;
    return this.locate(utcMs);
  }

  /** Local wall-clock minutes since 1970-01-01T00:00 local: floor((utcMs + offsetMs(utcMs)) / 60000). */
  localMinutes(utcMs: number): number {
    return Math.floor((utcMs + this.offsetMs(utcMs)) / MINUTE_MS);
  }

  /** Slow path: find the segment holding utcMs, remember it, return its offset. */
  private locate(utcMs: number): number {
    if (Number.isNaN(utcMs)) return 0;
    if (utcMs < FIRST_MS) {
      const first = this.table(FIRST_YEAR).offsets[0] ?? 0;
      return this.remember(-Infinity, FIRST_MS, first);
    }
    if (utcMs >= END_MS) {
      const offsets = this.table(LAST_YEAR).offsets;
      return this.remember(END_MS, Infinity, offsets[offsets.length - 1] ?? 0);
    }
    const table = this.table(utcYear(utcMs));
    const { starts, offsets } = table;
    let i = starts.length - 1;
    while (i > 0 && (starts[i] ?? 0) > utcMs) i--;
    const to = i + 1 < starts.length ? (starts[i + 1] ?? table.end) : table.end;
    return this.remember(starts[i] ?? 0, to, offsets[i] ?? 0);
  }

  private remember(from: number, to: number, offset: number): number {
    this.from = from;
    this.to = to;
    this.offset = offset;
    return offset;
  }

  private table(year: number): YearTable {
    const cached = this.years.get(year);
    if (cached) return cached;
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const starts = [start];
    const offsets = [this.probe(start)];
    let prevAt = start;
    let prevOffset = offsets[0] ?? 0;
    for (let sample = start + DAY_MS; prevAt < end; sample += DAY_MS) {
      const at = Math.min(sample, end);
      const offset = this.probe(at);
      // One or more transitions in (prevAt, at]: bisect each down to the second.
      while (offset !== prevOffset) {
        let lo = prevAt / SECOND_MS;
        let hi = at / SECOND_MS;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.probe(mid * SECOND_MS) === prevOffset) lo = mid;
          else hi = mid;
        }
        const transition = hi * SECOND_MS;
        if (transition >= end) break; // belongs to the next year's table
        prevAt = transition;
        prevOffset = this.probe(transition);
        starts.push(transition);
        offsets.push(prevOffset);
      }
      prevAt = at;
    }
    const table: YearTable = { starts, offsets, end };
    this.years.set(year, table);
    return table;
  }

  /** The offset at a whole-second instant, from the wall clock Intl reports for it. */
  private probe(utcMs: number): number {
    this.formatter ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.formatter.formatToParts(utcMs)) {
      const value = Number(part.value);
      if (part.type === 'year') year = value;
      else if (part.type === 'month') month = value;
      else if (part.type === 'day') day = value;
      else if (part.type === 'hour') hour = value % 24;
      else if (part.type === 'minute') minute = value;
      else if (part.type === 'second') second = value;
    }
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    return wall - Math.floor(utcMs / SECOND_MS) * SECOND_MS;
  }
}

/** The UTC year of an instant between FIRST_MS and END_MS. */
function utcYear(utcMs: number): number {
  let year = 1970 + Math.floor(utcMs / AVERAGE_YEAR_MS);
  while (Date.UTC(year, 0, 1) > utcMs) year--;
  while (Date.UTC(year + 1, 0, 1) <= utcMs) year++;
  return year;
}

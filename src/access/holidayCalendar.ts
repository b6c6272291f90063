/**
 * The site's holidays as local day numbers (days since 1970-01-01 on the local calendar), so
 * the decision hot path asks "is this local day a holiday, of which type?" with one array read.
 */

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Holidays spanning at most this many days are kept in a flat array; wider sets in a Map. */
const DENSE_SPAN_DAYS = 1 << 17;

/** Days since 1970-01-01 for a local date 'YYYY-MM-DD'. Throws RangeError for anything else. */
export function localDayNumber(date: string): number {
  const m = LOCAL_DATE.exec(date);
  if (!m) throw new RangeError(`not a local date YYYY-MM-DD: ${JSON.stringify(date)}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`not a calendar date: ${date}`);
  }
  // Proleptic Gregorian days from civil (H. Hinnant), exact for every year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** 0 = Sunday .. 6 = Saturday. 1970-01-01 (day 0) was a Thursday. Correct for negative days. */
export function weekdayOfDay(dayNumber: number): number {
  const r = (dayNumber + 4) % 7;
  return r < 0 ? r + 7 : r;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Holiday lookup by local day number. A date listed more than once takes the highest type, so
 * the result does not depend on the order of the list. Throws RangeError for a malformed date or
 * a type other than 1, 2, 3 (the model validates both; this is a bug guard).
 */
export class HolidayCalendar {
  /** number of distinct holiday dates */
  readonly size: number;
  private readonly first: number;
  /** dense[day - first] is the type of that day, 0 when none */
  private readonly dense: Uint8Array;
  /** used instead of `dense` when the holidays span too many days */
  private readonly sparse: Map<number, 1 | 2 | 3> | null;

  constructor(holidays: readonly { date: string; type: 1 | 2 | 3 }[]) {
    const types = new Map<number, 1 | 2 | 3>();
    let first = Infinity;
    let last = -Infinity;
    for (const h of holidays) {
      if (h.type !== 1 && h.type !== 2 && h.type !== 3) throw new RangeError(`holiday type must be 1, 2 or 3: ${String(h.type)}`);
      const day = localDayNumber(h.date);
      types.set(day, Math.max(types.get(day) ?? 0, h.type) as 1 | 2 | 3);
      first = Math.min(first, day);
      last = Math.max(last, day);
    }
    this.size = types.size;
    if (types.size === 0 || last - first >= DENSE_SPAN_DAYS) {
      this.first = 0;
      this.dense = new Uint8Array(0);
      this.sparse = types.size === 0 ? null : types;
    } else {
      this.first = first;
      this.dense = new Uint8Array(last - first + 1);
      for (const [day, type] of types) this.dense[day - first] = type;
      this.sparse = null;
    }
  }

  /** 0 when the local day is not a holiday, else its type 1..3. Any number is accepted (NaN: 0). */
  typeOn(dayNumber: number): 0 | 1 | 2 | 3 {
    const i = dayNumber - this.first;
    if (i >= 0 && i < this.dense.length) return (this.dense[i] ?? 0) as 0 | 1 | 2 | 3;
    return this.sparse?.get(dayNumber) ?? 0;
  }
}

/**
 * The baseline: the decision as a typical project writes it straight against SQLite — prepared
 * statements per presentation, schedules parsed from their JSON, the wall clock from
 * Intl.DateTimeFormat on every schedule check, holidays asked of the holidays table. It reads
 * docs/access-model.md and the model's comments directly and shares no code with decide(), so
 * agreement between the two is evidence that both read the rules the same way.
 */
import type { Db } from '../src/store/database.js';
import type { Presentation } from '../src/access/verdict.js';

interface CredentialRow {
  id: string;
  person_id: string;
  status: string;
  valid_from: number | null;
  valid_until: number | null;
  use_limit: number | null;
  duress: number;
  person_status: string;
  host_id: string | null;
}

interface HoldingRow {
  key_id: string;
  valid_from: number | null;
  valid_until: number | null;
  schedule_ids: string;
  may_share: number;
}

interface Interval {
  days: string[];
  holidayTypes: number[];
  start: string;
  end: string;
}

export interface SqlVerdict {
  grant: boolean;
  /** the reason in decide()'s vocabulary, for diagnostics */
  reason: string;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const deny = (reason: string): SqlVerdict => ({ grant: false, reason });
const lower = (v: number | null) => (v === null ? -Infinity : v);
const upper = (v: number | null) => (v === null ? Infinity : v);
const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

export class SqlDecider {
  private readonly q;
  private readonly formatter: Intl.DateTimeFormat;

  constructor(db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.q = {
      door: p(`SELECT d.card_and_pin, coalesce(m.locked_down, 0) AS locked
        FROM doors d LEFT JOIN door_modes m ON m.door_id = d.id WHERE d.id = ?`),
      siteLocked: p(`SELECT value FROM meta WHERE key = 'lockdown.site'`).pluck(),
      credential: p(`SELECT c.id, c.person_id, c.status, c.valid_from, c.valid_until, c.use_limit, c.duress,
          p.status AS person_status, p.host_id
        FROM credentials c JOIN people p ON p.id = c.person_id WHERE c.kind = ? AND c.value = ?`),
      uses: p('SELECT uses FROM credential_uses WHERE credential_id = ?').pluck(),
      person: p('SELECT status, host_id FROM people WHERE id = ?'),
      holdings: p(`SELECT h.key_id, h.valid_from, h.valid_until, kd.schedule_ids, k.may_share
        FROM holdings h
        JOIN key_doors kd ON kd.key_id = h.key_id AND kd.door_id = ?
        JOIN keys k ON k.id = h.key_id
        WHERE h.person_id = ? ORDER BY h.key_id`),
      holding: p('SELECT valid_from, valid_until FROM holdings WHERE person_id = ? AND key_id = ?'),
      schedule: p('SELECT intervals FROM schedules WHERE id = ?').pluck(),
      holiday: p('SELECT type FROM holidays WHERE date = ?').pluck(),
    };
    const site = JSON.parse((db.prepare(`SELECT value FROM meta WHERE key = 'site'`).pluck().get() as string | undefined) ?? '{}') as { timeZone?: string };
    this.formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: site.timeZone ?? 'UTC', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    });
  }

  decide(presentation: Presentation, now: number): SqlVerdict {
    const q = this.q;
    const door = q.door.get(presentation.doorId) as { card_and_pin: number; locked: number } | undefined;
    if (!door) return deny('unknown_door');
    const c = q.credential.get(presentation.kind, presentation.value) as CredentialRow | undefined;
    if (!c) return deny('unknown_credential');
    if (q.siteLocked.get() === '1' || door.locked === 1) return deny('locked_down');
    const blocked = this.credentialBlocked(c, now);
    if (blocked) return deny(blocked);

    const holdings = q.holdings.all(presentation.doorId, c.person_id) as HoldingRow[];
    if (holdings.length === 0) return deny('door_not_in_key');
    let granted = false;
    let why = 'expired';
    for (const h of holdings) {
      const window = this.effectiveWindow(c.host_id, h.key_id, h.may_share === 1, lower(h.valid_from), upper(h.valid_until), new Set([c.person_id]));
      if (window === null || now >= window[1]) continue;
      if (now < window[0]) {
        if (why === 'expired') why = 'not_yet_valid';
        continue;
      }
      const ids = JSON.parse(h.schedule_ids) as string[];
      if (ids.length === 0 || this.anyScheduleAllows(ids, now)) {
        granted = true;
        break;
      }
      why = 'outside_schedule';
    }
    if (!granted) return deny(why);

    let duress = c.duress === 1;
    if (door.card_and_pin === 1 && (presentation.kind === 'card' || presentation.kind === 'pin')) {
      if (presentation.kind === 'pin' || presentation.pinDigest === undefined) return deny('second_factor_required');
      const pin = q.credential.get('pin', presentation.pinDigest) as CredentialRow | undefined;
      if (!pin || pin.person_id !== c.person_id || this.credentialBlocked(pin, now) !== null) return deny('second_factor_mismatch');
      if (pin.duress === 1) duress = true;
    }
    return { grant: true, reason: duress ? 'duress' : 'granted' };
  }

  /** Status, person, host chain, own validity, use limit: why this credential is unusable now. */
  private credentialBlocked(c: CredentialRow, now: number): string | null {
    if (c.status !== 'active') return `credential_${c.status}`;
    if (c.person_status !== 'active') return 'person_suspended';
    const seen = new Set([c.person_id]);
    for (let host = c.host_id; host !== null; ) {
      const h = this.q.person.get(host) as { status: string; host_id: string | null } | undefined;
      if (!h || h.status !== 'active' || seen.has(host)) return 'host_revoked';
      seen.add(host);
      host = h.host_id;
    }
    if (now < lower(c.valid_from)) return 'not_yet_valid';
    if (now >= upper(c.valid_until)) return 'expired';
    if (c.use_limit !== null && ((this.q.uses.get(c.id) as number | undefined) ?? 0) >= c.use_limit) return 'use_limit_reached';
    return null;
  }

  /** A guest's holding counts only for a shareable key their host holds, within the host's own window. */
  private effectiveWindow(hostId: string | null, keyId: string, mayShare: boolean, from: number, until: number, seen: Set<string>): [number, number] | null {
    if (hostId === null) return [from, until];
    if (!mayShare || seen.has(hostId)) return null;
    const hostHolding = this.q.holding.get(hostId, keyId) as { valid_from: number | null; valid_until: number | null } | undefined;
    if (!hostHolding) return null;
    const host = this.q.person.get(hostId) as { host_id: string | null } | undefined;
    seen.add(hostId);
    const hostWindow = this.effectiveWindow(host?.host_id ?? null, keyId, mayShare, lower(hostHolding.valid_from), upper(hostHolding.valid_until), seen);
    return hostWindow === null ? null : [Math.max(from, hostWindow[0]), Math.min(until, hostWindow[1])];
  }

  /** Several schedules on one key door: their union. A schedule that is gone closes the door. */
  private anyScheduleAllows(ids: string[], now: number): boolean {
    const schedules: Interval[][] = [];
    for (const id of ids) {
      const json = this.q.schedule.get(id) as string | undefined;
      if (json === undefined) return false;
      schedules.push(JSON.parse(json) as Interval[]);
    }
    return schedules.some((intervals) => this.scheduleAllows(intervals, now));
  }

  /**
   * An interval applies on its weekdays when the day is not a holiday, and on holidays of its
   * types; end <= start crosses midnight and the tail belongs to the day it started on.
   */
  private scheduleAllows(intervals: Interval[], now: number): boolean {
    const parts = this.formatter.formatToParts(now);
    const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    const y = field('year');
    const m = field('month');
    const d = field('day');
    const minute = (field('hour') % 24) * 60 + field('minute');
    const today = new Date(Date.UTC(y, m - 1, d));
    const yesterday = new Date(Date.UTC(y, m - 1, d - 1));
    const todayType = (this.q.holiday.get(today.toISOString().slice(0, 10)) as number | undefined) ?? 0;
    const yesterdayType = (this.q.holiday.get(yesterday.toISOString().slice(0, 10)) as number | undefined) ?? 0;
    const startsOn = (iv: Interval, day: Date, holidayType: number) =>
      holidayType !== 0 ? iv.holidayTypes.includes(holidayType) : iv.days.includes(DAY_NAMES[day.getUTCDay()]!);
    for (const iv of intervals) {
      const start = minutesOf(iv.start);
      const end = minutesOf(iv.end);
      const crosses = end <= start;
      if (startsOn(iv, today, todayType) && minute >= start && (crosses || minute < end)) return true;
      if (crosses && startsOn(iv, yesterday, yesterdayType) && minute < end) return true;
    }
    return false;
  }
}

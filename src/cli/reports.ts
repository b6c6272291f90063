/** Plain-text reports for the CLI: lists with ACTIVE/UPCOMING/EXPIRED, the doctor's checks, the database's state. */
import { maskCardValue } from '../kernel/cardNumber.js';
import { validityStatus } from '../access/validityStatus.js';
import type { Gateway } from '../app/gateway.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { AccessStore } from '../store/accessStore.js';
import { integrityCheck, schemaVersion } from '../store/database.js';
import { diagnoseStore } from '../store/storeDiagnosis.js';
import { readSafetyStatus, recoveryAdvice, safetyOnlyLines } from '../app/safetyOnly.js';

/** An instant as wall-clock time in the site's zone, to the minute. */
function dateIn(timeZone: string): (ms: number | undefined) => string {
  const f = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  return (ms) => (ms === undefined ? '—' : f.format(ms));
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
}

export const LISTS = ['people', 'keys', 'credentials', 'doors', 'schedules'] as const;

export function listReport(store: AccessStore, what: string | undefined, now: number): string[] {
  switch (what) {
    case 'people': {
      const timeZone = store.site()?.timeZone ?? 'UTC';
      const date = dateIn(timeZone);
      const rows = [['PERSON', 'NAME', 'KIND', 'STATUS', 'KEY', 'HOLDING', `FROM (${timeZone})`, 'UNTIL']];
      for (const p of store.people()) {
        const holdings = [...store.holdings(p.id)];
        const kind = p.hostId ? `${p.kind} of ${p.hostId}` : p.kind;
        if (holdings.length === 0) rows.push([p.id, p.name, kind, p.status, '—', '', '', '']);
        for (const h of holdings) {
          rows.push([p.id, p.name, kind, p.status, h.keyId, validityStatus(h.validFrom, h.validUntil, now), date(h.validFrom), date(h.validUntil)]);
        }
      }
      return table(rows);
    }
    case 'keys': {
      const rows = [['KEY', 'NAME', 'FLAGS', 'DOORS (schedules)']];
      for (const k of store.keys()) {
        const flags = [k.system ? 'system' : '', k.mayShare ? 'may-share' : ''].filter(Boolean).join(',') || '—';
        const doors = k.doors.map((d) => `${d.doorId}(${d.scheduleIds.length ? d.scheduleIds.join('+') : '24/7'})`).join(' ');
        rows.push([k.id, k.name, flags, doors]);
      }
      return table(rows);
    }
    case 'credentials': {
      const rows = [['CREDENTIAL', 'PERSON', 'KIND', 'VALUE', 'STATUS', 'VALIDITY', 'FLAGS']];
      for (const c of store.credentials()) {
        // PINs exist only as digests; card numbers are masked
        const value = c.kind === 'pin' ? '****' : c.kind === 'card' ? maskCardValue(c.value) : c.value;
        const flags = [c.duress ? 'duress' : '', c.useLimit !== undefined ? `uses≤${c.useLimit}` : ''].filter(Boolean).join(',') || '—';
        rows.push([c.id, c.personId, c.kind, value, c.status, validityStatus(c.validFrom, c.validUntil, now), flags]);
      }
      return table(rows);
    }
    case 'doors': {
      const locked = store.lockdown();
      const rows = [['DOOR', 'NAME', 'PLACE', 'MODE']];
      for (const d of store.doors()) {
        const mode = [d.cardAndPin ? 'card+PIN' : '', locked.site || locked.doors.includes(d.id) ? 'LOCKED DOWN' : ''].filter(Boolean).join(', ') || 'normal';
        rows.push([d.id, d.name, d.place, mode]);
      }
      return table(rows);
    }
    case 'schedules': {
      const rows = [['SCHEDULE', 'NAME', 'INTERVALS']];
      for (const s of store.schedules()) {
        const ivs = s.intervals.map((i) => `${[...i.days, ...i.holidayTypes.map((t) => `holiday${t}`)].join(',')} ${i.start}-${i.end}`).join('; ');
        rows.push([s.id, s.name, ivs]);
      }
      return table(rows);
    }
    default:
      throw new GatewayError('INPUT_INVALID', `list what? one of ${LISTS.join(', ')}`, { field: 'list' });
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The records `list` shows, for `--json`: instants in ISO 8601, card numbers masked, PINs never. */
export function listRecords(store: AccessStore, what: string | undefined, now: number): unknown[] {
  switch (what) {
    case 'people':
      return [...store.people()].map((p) => ({
        ...p,
        holdings: [...store.holdings(p.id)].map((h) => ({ keyId: h.keyId, status: validityStatus(h.validFrom, h.validUntil, now), validFrom: iso(h.validFrom), validUntil: iso(h.validUntil) })),
      }));
    case 'keys':
      return [...store.keys()];
    case 'credentials':
      return [...store.credentials()].map((c) => ({
        id: c.id,
        personId: c.personId,
        kind: c.kind,
        value: c.kind === 'pin' ? null : c.kind === 'card' ? maskCardValue(c.value) : c.value,
        status: c.status,
        validity: validityStatus(c.validFrom, c.validUntil, now),
        validFrom: iso(c.validFrom),
        validUntil: iso(c.validUntil),
        duress: c.duress === true,
        useLimit: c.useLimit ?? null,
      }));
    case 'doors': {
      const locked = store.lockdown();
      return [...store.doors()].map((d) => ({ ...d, lockdown: locked.site || locked.doors.includes(d.id) }));
    }
    case 'schedules':
      return [...store.schedules()];
    default:
      throw new GatewayError('INPUT_INVALID', `list what? one of ${LISTS.join(', ')}`, { field: 'list' });
  }
}

export function integrityCheckReport(g: Gateway): { ok: boolean; lines: string[] } {
  const db = g.store;
  const problems = integrityCheck(g.database);
  const ok = problems.length === 1 && problems[0] === 'ok';
  const j = g.journal.stats();
  const idx = g.index;
  return {
    ok,
    lines: [
      `database     ${ok ? 'ok' : `PROBLEMS: ${problems.join('; ')}`} (schema version ${schemaVersion(g.database)})`,
      `site         ${idx.siteName ?? '(none)'} ${idx.timeZone}`,
      `rules        revision ${idx.revision}, hash ${idx.hash}`,
      `contents     ${Object.entries(db.counts()).map(([k, v]) => `${v} ${k}`).join(', ')}`,
      `journal      ${j.count} events (seq ${j.firstSeq ?? '—'}..${j.lastSeq}), ${Math.round(j.fill * 100)}% of ${j.capacity}, ${j.dropped} dropped`,
    ],
  };
}

/** One journal event as a line for people: `#12 10:00:03 lobby GRANTED granted alice via resident`. */
export function formatEvent(e: { seq: number; at: number; type: string; doorId?: string; grant?: boolean; reason?: string; personId?: string; keyId?: string; data?: Record<string, unknown> }, timeZone: string): string {
  const time = new Date(e.at).toLocaleTimeString('sv-SE', { timeZone });
  const what = e.type === 'access' ? `${e.grant ? 'GRANTED' : 'DENIED '} ${e.reason ?? ''}` : `${e.type.toUpperCase()} ${e.reason ?? ''}`;
  const who = [e.personId, e.keyId ? `via ${e.keyId}` : ''].filter(Boolean).join(' ');
  return `#${e.seq} ${time} ${e.doorId ?? 'site'} ${what}${who ? `  ${who}` : ''}`;
}

export function formatDoorStatus(d: { doorId: string; mode: string; actuator: string; open: boolean | undefined; alarms: string[]; health: { state: string; reason: string } }): string {
  const position = d.open === undefined ? 'position unknown' : d.open ? 'OPEN' : 'closed';
  const alarms = d.alarms.length ? `  ALARMS: ${d.alarms.join(', ')}` : '';
  return `${d.doorId.padEnd(12)} ${d.mode.padEnd(8)} ${d.actuator.padEnd(8)} ${position.padEnd(16)} ${d.health.state}${d.health.state === 'online' ? '' : ` (${d.health.reason})`}${alarms}`;
}

/**
 * The database's state, read without changing anything, and the daemon's safety-only status
 * file if it wrote one: for `lockgw doctor` and `lockgw status`. `usable` is false when the CLI
 * cannot open the rules (then the lines say why and what to do, never a stack trace).
 */
export function storeReport(dbPath: string, dataDir: string, cloudManaged: boolean): { usable: boolean; lines: string[] } {
  const d = diagnoseStore(dbPath);
  const daemon = readSafetyStatus(dataDir);
  const lines: string[] = [];
  let usable = true;
  if (d.state === 'absent') {
    lines.push(`database     ${dbPath} does not exist yet: the first start creates it`);
  } else if (d.state === 'problem') {
    usable = false;
    lines.push(`database     PROBLEM: ${d.problem.file} is ${d.problem.cause}: ${d.problem.detail}`);
    if (daemon === null) lines.push(`recovery     ${recoveryAdvice(d.problem, [], cloudManaged)}`);
  } else if (d.pending !== null) {
    usable = false;
    lines.push(`database     ${dbPath} was made in place of a ${d.pending.cause} one and has no rules yet (since ${d.pending.since})`);
    if (daemon === null) lines.push(`recovery     ${recoveryAdvice(d.pending, d.pending.setAside, cloudManaged)}`);
  }
  if (daemon !== null) lines.push(...safetyOnlyLines(daemon).map((l) => (l.startsWith('  ') ? `  ${l}` : `daemon       ${l}`)));
  return { usable, lines };
}

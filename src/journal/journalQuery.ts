/**
 * Questions asked of the local access history: which events, between two times, at a door, of
 * a person, of a kind. Read-only; every row of the `journal` table counts (history and upload
 * queue alike). The answer is the newest `limit` matching events, returned oldest first.
 *
 * Each filter has an index (store/migrations.ts, version 5): time alone by `at`; a kind other
 * than access by (type, at); a door or a person through its lookup table (id, at, seq), which
 * the journal's upkeep fills behind the appends (historyUpkeep.ts), plus a scan of the rows
 * written since. So a query reads about `limit` index entries however large the table is
 * (docs/durability.md quotes them at 1,000,000 rows).
 */
import type { Database, Statement } from 'better-sqlite3';
import { GatewayError } from '../kernel/gatewayError.js';
import { decodeRow, type JournalEntry, type JournalRow } from './journalCodec.js';

/** access events by verdict, or an event type */
export const JOURNAL_KINDS = ['access', 'granted', 'denied', 'alarm', 'security', 'mode', 'system'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export interface JournalQuery {
  /** epoch ms, inclusive */
  since?: number;
  /** epoch ms, exclusive */
  until?: number;
  doorId?: string;
  personId?: string;
  kind?: JournalKind;
  /** 1..MAX_QUERY_LIMIT */
  limit: number;
}

export const MAX_QUERY_LIMIT = 10_000;

const COLUMNS = ['seq', 'at', 'type', 'door_id', '"grant"', 'reason', 'person_id', 'credential_id', 'key_id', 'data'].map((c) => `j.${c}`).join(', ');
const NEWEST_FIRST = (x: JournalRow, y: JournalRow) => y.at - x.at || y.seq - x.seq;

/** The SQL condition (on the journal as `j`) and its parameters for one kind. A kind other than access repeats the partial index's own condition, so the planner may use it. */
function kindClause(kind: JournalKind): { sql: string; params: unknown[] } {
  switch (kind) {
    case 'access':
      return { sql: "j.type = 'access'", params: [] };
    case 'granted':
      return { sql: `j.type = 'access' AND j."grant" = 1`, params: [] };
    case 'denied':
      return { sql: `j.type = 'access' AND j."grant" = 0`, params: [] };
    default:
      return { sql: "j.type = ? AND j.type <> 'access'", params: [kind] };
  }
}

/** Throws INPUT_INVALID naming the field for a query that cannot be answered. */
function checked(q: JournalQuery): JournalQuery {
  const bad = (field: string, message: string) => new GatewayError('INPUT_INVALID', message, { entity: 'journal query', field });
  if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_QUERY_LIMIT) throw bad('limit', `limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`);
  for (const field of ['since', 'until'] as const) {
    const v = q[field];
    if (v !== undefined && !Number.isFinite(v)) throw bad(field, `${field} must be a time (epoch ms)`);
  }
  if (q.since !== undefined && q.until !== undefined && q.since >= q.until) throw bad('until', 'until must be later than since');
  if (q.kind !== undefined && !(JOURNAL_KINDS as readonly string[]).includes(q.kind)) throw bad('kind', `kind must be one of ${JOURNAL_KINDS.join(', ')}`);
  for (const field of ['doorId', 'personId'] as const) {
    const v = q[field];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw bad(field, `${field} must be a non-empty id`);
  }
  return q;
}

export class JournalQueries {
  /** one prepared statement per shape of query (which filters are present) */
  private readonly statements = new Map<string, Statement<unknown[], JournalRow>>();
  private readonly lookupSeq: Statement<[], { value: string }>;
  private readonly inSnapshot: (q: JournalQuery) => JournalRow[];

  constructor(private readonly db: Database) {
    this.lookupSeq = db.prepare("SELECT value FROM meta WHERE key = 'journal.lookupSeq'");
    // one read transaction: the lookup tables and the rows after them seen at one instant
    this.inSnapshot = db.transaction((q: JournalQuery) => this.rows(q));
  }

  /** The newest `limit` events matching every filter given, oldest first. Throws INPUT_INVALID for a bad query. */
  find(query: JournalQuery): JournalEntry[] {
    return this.inSnapshot(checked(query)).reverse().map(decodeRow);
  }

  /**
   * Newest first. Without a door or a person: one statement on the journal (by `at`, or by kind).
   * With one: the lookup table of the person (else the door) for the rows it holds, plus the few
   * rows written since the upkeep last ran (seq > journal.lookupSeq, a range of the primary key),
   * merged.
   */
  private rows(q: JournalQuery): JournalRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.since !== undefined) (where.push('j.at >= ?'), params.push(Math.trunc(q.since)));
    if (q.until !== undefined) (where.push('j.at < ?'), params.push(Math.ceil(q.until)));
    if (q.doorId !== undefined) (where.push('j.door_id = ?'), params.push(q.doorId));
    if (q.personId !== undefined) (where.push('j.person_id = ?'), params.push(q.personId));
    if (q.kind !== undefined) {
      const k = kindClause(q.kind);
      where.push(k.sql);
      params.push(...k.params);
    }
    const order = 'ORDER BY j.at DESC, j.seq DESC LIMIT ?';
    const lookup = q.personId !== undefined ? { table: 'journal_by_person', column: 'person_id', id: q.personId } : q.doorId !== undefined ? { table: 'journal_by_door', column: 'door_id', id: q.doorId } : null;
    const cond = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    if (lookup === null) return this.statement(`SELECT ${COLUMNS} FROM journal j${cond} ${order}`).all(...params, q.limit);
    const after = Number(this.lookupSeq.get()?.value ?? 0);
    // NOT INDEXED: a range of the primary key, never the `at` index's walk through the whole table
    const tail = this.statement(`SELECT ${COLUMNS} FROM journal j NOT INDEXED WHERE j.seq > ? AND ${where.join(' AND ')} ${order}`).all(after, ...params, q.limit);
    // the lookup's own columns carry the time bounds, so its primary key (id, at, seq) serves them
    const bounds: string[] = [];
    const boundParams: unknown[] = [];
    if (q.since !== undefined) (bounds.push('l.at >= ?'), boundParams.push(Math.trunc(q.since)));
    if (q.until !== undefined) (bounds.push('l.at < ?'), boundParams.push(Math.ceil(q.until)));
    const indexed = this.statement(
      `SELECT ${COLUMNS} FROM ${lookup.table} l JOIN journal j ON j.seq = l.seq WHERE l.${lookup.column} = ?${bounds.map((b) => ` AND ${b}`).join('')} AND ${where.join(' AND ')} ORDER BY l.at DESC, l.seq DESC LIMIT ?`,
    ).all(lookup.id, ...boundParams, ...params, q.limit);
    if (tail.length === 0) return indexed;
    const seen = new Set<number>();
    return [...tail, ...indexed].filter((r) => !seen.has(r.seq) && (seen.add(r.seq), true)).sort(NEWEST_FIRST).slice(0, q.limit);
  }

  private statement(sql: string): Statement<unknown[], JournalRow> {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare<unknown[], JournalRow>(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

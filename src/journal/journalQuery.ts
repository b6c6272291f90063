/**
 * Questions asked of the local access history: which events, between two times, at a door, of
 * a person, of a kind. Read-only; every row of the `journal` table counts (history and upload
 * queue alike). The answer is the newest `limit` matching events, returned oldest first.
 *
 * Each filter has an index (store/migrations.ts, version 5): time alone by `at`; a door or a
 * person by (door_id, at) or (person_id, at); a kind other than access by (type, at). So a
 * query reads about `limit` index entries however large the table is (docs/durability.md
 * quotes one at 1,000,000 rows).
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

const COLUMNS = 'seq, at, type, door_id, "grant", reason, person_id, credential_id, key_id, data';

/** The SQL condition and its parameters for one kind. A kind other than access repeats the partial index's own condition, so the planner may use it. */
function kindClause(kind: JournalKind): { sql: string; params: unknown[] } {
  switch (kind) {
    case 'access':
      return { sql: "type = 'access'", params: [] };
    case 'granted':
      return { sql: `type = 'access' AND "grant" = 1`, params: [] };
    case 'denied':
      return { sql: `type = 'access' AND "grant" = 0`, params: [] };
    default:
      return { sql: "type = ? AND type <> 'access'", params: [kind] };
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

  constructor(private readonly db: Database) {}

  /** The newest `limit` events matching every filter given, oldest first. Throws INPUT_INVALID for a bad query. */
  find(query: JournalQuery): JournalEntry[] {
    const q = checked(query);
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.since !== undefined) (where.push('at >= ?'), params.push(Math.trunc(q.since)));
    if (q.until !== undefined) (where.push('at < ?'), params.push(Math.ceil(q.until)));
    if (q.doorId !== undefined) (where.push('door_id = ?'), params.push(q.doorId));
    if (q.personId !== undefined) (where.push('person_id = ?'), params.push(q.personId));
    if (q.kind !== undefined) {
      const k = kindClause(q.kind);
      where.push(k.sql);
      params.push(...k.params);
    }
    const sql = `SELECT ${COLUMNS} FROM journal${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, seq DESC LIMIT ?`;
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare<unknown[], JournalRow>(sql);
      this.statements.set(sql, stmt);
    }
    return stmt.all(...params, q.limit).reverse().map(decodeRow);
  }
}

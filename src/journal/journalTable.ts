/**
 * The SQL side of the journal: prepared statements for the `journal` table and its `meta`
 * counters, and the two transactions (write a batch, delete acknowledged rows). Each
 * transaction runs with the `synchronous` level the caller asks for and restores the
 * connection's own level afterwards (the connection is shared; the pragma cannot change
 * inside a transaction, so it is set before BEGIN).
 */
import { randomUUID } from 'node:crypto';
import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { Logger } from 'pino';
import { GatewayError } from '../kernel/gatewayError.js';
import type { JournalRow } from './journalCodec.js';

export const JOURNAL_META = {
  lastSeq: 'journal.lastSeq',
  dropped: 'journal.dropped',
  /** 'raised' after the 80 % alarm, 'armed' once the fill fell below 70 % */
  fillAlarm: 'journal.fillAlarm',
  durableCommits: 'journal.durableCommits',
  /** a random UUID created once; a new one means a new database, and seq restarts at 1 */
  id: 'journal.id',
} as const;

const SYNC_NORMAL = 1;
const SYNC_FULL = 2;

export interface StoredJournalState {
  /** the persisted high-water mark */
  lastSeq: number;
  /** the highest seq in the table, 0 when empty */
  maxSeq: number;
  count: number;
  firstSeq: number | null;
  dropped: number;
  durableCommits: number;
  fillAlarmRaised: boolean;
}

export interface BatchWrite {
  /** oldest stored rows to delete first */
  evict: number;
  /** rows to insert, in seq order */
  rows: readonly JournalRow[];
  /** index of the first row of `rows` to insert (the ones before are dropped) */
  from: number;
  /** meta key/value pairs to upsert */
  meta: ReadonlyArray<readonly [string, string]>;
}

export interface AckResult {
  deleted: number;
  firstSeq: number | null;
  /** the `afterDelete` callback's answer, already persisted in the same transaction */
  rearmed: boolean;
}

interface Statements {
  insert: Statement<unknown[]>;
  evict: Statement<[number]>;
  deleteUpTo: Statement<[number]>;
  range: Statement<[number, number, number], JournalRow>;
  minSeq: Statement<[], { s: number | null }>;
  maxSeq: Statement<[], { s: number | null }>;
  count: Statement<[], { n: number }>;
  getMeta: Statement<[string], { value: string }>;
  putMeta: Statement<[string, string]>;
}

export class JournalTable {
  private readonly stmts: Statements;
  private readonly writeTx: Transaction<(batch: BatchWrite) => number | null>;
  private readonly ackTx: Transaction<(uptoSeq: number, afterDelete: (deleted: number) => boolean) => AckResult>;

  /** Prepares the statements. Throws STORE_CORRUPT when the tables are missing. */
  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {
    try {
      this.stmts = {
        insert: db.prepare(
          'INSERT INTO journal (seq, at, type, door_id, "grant", reason, person_id, credential_id, key_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ),
        evict: db.prepare('DELETE FROM journal WHERE seq IN (SELECT seq FROM journal ORDER BY seq LIMIT ?)'),
        deleteUpTo: db.prepare('DELETE FROM journal WHERE seq <= ?'),
        range: db.prepare(
          'SELECT seq, at, type, door_id, "grant", reason, person_id, credential_id, key_id, data FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
        ),
        minSeq: db.prepare('SELECT min(seq) AS s FROM journal'),
        maxSeq: db.prepare('SELECT max(seq) AS s FROM journal'),
        count: db.prepare('SELECT count(*) AS n FROM journal'),
        getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
        putMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      };
    } catch (err) {
      throw new GatewayError(
        'STORE_CORRUPT',
        'journal tables are not available',
        { entity: 'journal', hint: 'apply the schema migrations before starting the journal' },
        { cause: err },
      );
    }
    const s = this.stmts;
    this.writeTx = db.transaction((batch: BatchWrite) => {
      if (batch.evict > 0) s.evict.run(batch.evict);
      const { rows } = batch;
      for (let i = batch.from; i < rows.length; i++) {
        const r = rows[i] as JournalRow;
        s.insert.run(r.seq, r.at, r.type, r.door_id, r.grant, r.reason, r.person_id, r.credential_id, r.key_id, r.data);
      }
      for (const [key, value] of batch.meta) s.putMeta.run(key, value);
      return s.minSeq.get()?.s ?? null;
    });
    this.ackTx = db.transaction((uptoSeq: number, afterDelete: (deleted: number) => boolean) => {
      const deleted = s.deleteUpTo.run(uptoSeq).changes;
      const rearmed = afterDelete(deleted);
      if (rearmed) s.putMeta.run(JOURNAL_META.fillAlarm, 'armed');
      return { deleted, firstSeq: s.minSeq.get()?.s ?? null, rearmed };
    });
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  /** Reads the counters and the table's extent. Throws STORE_CORRUPT when a counter is not a number. */
  readState(): StoredJournalState {
    const s = this.stmts;
    return {
      lastSeq: this.counter(JOURNAL_META.lastSeq),
      maxSeq: s.maxSeq.get()?.s ?? 0,
      count: s.count.get()?.n ?? 0,
      firstSeq: s.minSeq.get()?.s ?? null,
      dropped: this.counter(JOURNAL_META.dropped),
      durableCommits: this.counter(JOURNAL_META.durableCommits),
      fillAlarmRaised: s.getMeta.get(JOURNAL_META.fillAlarm)?.value === 'raised',
    };
  }

  /** The journal's id from meta, created (a random UUID) the first time. */
  journalId(): string {
    const row = this.stmts.getMeta.get(JOURNAL_META.id);
    if (row !== undefined) return row.value;
    const id = randomUUID();
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(JOURNAL_META.id, id);
    return id;
  }

  /** One transaction: evict, insert, upsert meta. Returns the first seq left in the table. */
  write(batch: BatchWrite, durable: boolean): number | null {
    return this.withSynchronous(durable, () => this.writeTx.immediate(batch));
  }

  /** One transaction: delete rows <= uptoSeq; when `afterDelete(deleted)` says so, persist the re-armed 80 % alarm. */
  acknowledge(uptoSeq: number, durable: boolean, afterDelete: (deleted: number) => boolean): AckResult {
    return this.withSynchronous(durable, () => this.ackTx.immediate(uptoSeq, afterDelete));
  }

  /** Rows with afterSeq < seq <= uptoSeq, in seq order, at most `limit`. */
  range(afterSeq: number, uptoSeq: number, limit: number): JournalRow[] {
    return this.stmts.range.all(afterSeq, uptoSeq, limit);
  }

  private counter(key: string): number {
    const raw = this.stmts.getMeta.get(key)?.value ?? '0';
    if (!/^\d{1,15}$/.test(raw)) {
      throw new GatewayError('STORE_CORRUPT', `meta ${key} is not a counter`, { entity: 'meta', id: key, hint: 'run lockgw doctor' });
    }
    return Number(raw);
  }

  /** NORMAL for ordinary batches; FULL (or the connection's level if higher) for durable ones. */
  private withSynchronous<T>(durable: boolean, fn: () => T): T {
    const previous = Number(this.db.pragma('synchronous', { simple: true }));
    const level = durable ? Math.max(previous, SYNC_FULL) : SYNC_NORMAL;
    if (level !== previous) this.db.pragma(`synchronous = ${level}`);
    try {
      return fn();
    } finally {
      // Never throw from here: the transaction may have committed, and a retry would duplicate it.
      if (level !== previous) {
        try {
          this.db.pragma(`synchronous = ${previous}`);
        } catch (err) {
          this.log.error({ err, synchronous: previous }, 'could not restore PRAGMA synchronous on the shared connection');
        }
      }
    }
  }
}

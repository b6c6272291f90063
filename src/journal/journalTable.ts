/**
 * The SQL side of the journal: prepared statements for the `journal` table and its `meta`
 * counters, and the transactions (write a batch, acknowledge, the history's upkeep). One table
 * holds both: rows with seq <= `journal.ackedSeq` are local history (the cloud has them, or no
 * cloud is configured), the rows after it are the upload queue. Each
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
  /** rows up to here have left the upload queue (acknowledged, dropped from it, or never queued); they are local history */
  ackedSeq: 'journal.ackedSeq',
  /** of `dropped`, how many an `events_dropped` alarm has reported (the rest are folded into the next one) */
  droppedReported: 'journal.droppedReported',
  /** rows up to here have their door and person in the lookup tables (journal_by_door, journal_by_person) */
  lookupSeq: 'journal.lookupSeq',
} as const;

const SYNC_NORMAL = 1;
const SYNC_FULL = 2;

export interface StoredJournalState {
  /** the persisted high-water mark */
  lastSeq: number;
  /** the highest seq in the table, 0 when empty */
  maxSeq: number;
  /** the upload queue: rows after ackedSeq */
  count: number;
  /** the first seq in the upload queue */
  firstSeq: number | null;
  ackedSeq: number;
  /** rows at or before ackedSeq: local history */
  history: number;
  lookupSeq: number;
  dropped: number;
  /** null when never written (a database from before folding): everything counts as reported */
  droppedReported: number | null;
  durableCommits: number;
  fillAlarmRaised: boolean;
}

export interface BatchWrite {
  /** the ack watermark before this write */
  ackedSeq: number;
  /** oldest queued rows that leave the queue unsent (the bound): the watermark moves past them; they stay as history */
  evict: number;
  /** rows to insert, in seq order */
  rows: readonly JournalRow[];
  /** the watermark after this write when it is set outright (the batch's own events left the queue, or no cloud); else null */
  ackTo: number | null;
  /** meta key/value pairs to upsert */
  meta: ReadonlyArray<readonly [string, string]>;
}

export interface WriteResult {
  /** the first seq left in the upload queue */
  firstSeq: number | null;
  ackedSeq: number;
  /** rows that left the queue in this write (and became history) */
  toHistory: number;
}

export interface AckResult {
  /** rows that left the upload queue (they stay as local history) */
  acknowledged: number;
  firstSeq: number | null;
  /** the `afterAck` callback's answer, already persisted in the same transaction */
  rearmed: boolean;
}

export interface UpkeepWork {
  /** the lookup tables hold the rows up to here */
  lookupSeq: number;
  /** null: look up only, prune nothing */
  prune: PruneLimits | null;
  /** at most this many rows looked up, and at most this many pruned */
  limit: number;
}

export interface UpkeepDone {
  lookupSeq: number;
  looked: number;
  pruned: number;
}

export interface PruneLimits {
  /** only history: rows with seq <= ackedSeq */
  ackedSeq: number;
  /** rows stamped before this are old enough to go */
  olderThan: number;
  /** this many of the oldest history rows go whatever their age (the history is over its cap) */
  excess: number;
}

interface Statements {
  insert: Statement<unknown[]>;
  /** the seq of the n-th (OFFSET) queued row after the watermark */
  queuedAt: Statement<[number, number], { s: number }>;
  countBetween: Statement<[number, number], { n: number }>;
  oldestHistory: Statement<[number, number], { seq: number; at: number }>;
  deleteUpTo: Statement<[number]>;
  toLookUp: Statement<[number, number], { seq: number; at: number; door_id: string | null; person_id: string | null }>;
  lookUpDoor: Statement<[string, number, number]>;
  lookUpPerson: Statement<[string, number, number]>;
  forgetDoors: Statement<[number]>;
  forgetPersons: Statement<[number]>;
  range: Statement<[number, number, number], JournalRow>;
  firstAfter: Statement<[number], { s: number | null }>;
  maxSeq: Statement<[], { s: number | null }>;
  getMeta: Statement<[string], { value: string }>;
  putMeta: Statement<[string, string]>;
}

export class JournalTable {
  private readonly stmts: Statements;
  private readonly writeTx: Transaction<(batch: BatchWrite) => WriteResult>;
  private readonly ackTx: Transaction<(fromSeq: number, uptoSeq: number, afterAck: (acknowledged: number) => boolean) => AckResult>;
  private readonly upkeepTx: Transaction<(work: UpkeepWork) => UpkeepDone>;

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
        queuedAt: db.prepare('SELECT seq AS s FROM journal WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?'),
        countBetween: db.prepare('SELECT count(*) AS n FROM journal WHERE seq > ? AND seq <= ?'),
        oldestHistory: db.prepare('SELECT seq, at FROM journal WHERE seq <= ? ORDER BY seq LIMIT ?'),
        deleteUpTo: db.prepare('DELETE FROM journal WHERE seq <= ?'),
        toLookUp: db.prepare('SELECT seq, at, door_id, person_id FROM journal WHERE seq > ? ORDER BY seq LIMIT ?'),
        lookUpDoor: db.prepare('INSERT OR IGNORE INTO journal_by_door (door_id, at, seq) VALUES (?, ?, ?)'),
        lookUpPerson: db.prepare('INSERT OR IGNORE INTO journal_by_person (person_id, at, seq) VALUES (?, ?, ?)'),
        forgetDoors: db.prepare('DELETE FROM journal_by_door WHERE (door_id, at, seq) IN (SELECT door_id, at, seq FROM journal WHERE seq <= ? AND door_id IS NOT NULL)'),
        forgetPersons: db.prepare('DELETE FROM journal_by_person WHERE (person_id, at, seq) IN (SELECT person_id, at, seq FROM journal WHERE seq <= ? AND person_id IS NOT NULL)'),
        range: db.prepare(
          'SELECT seq, at, type, door_id, "grant", reason, person_id, credential_id, key_id, data FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
        ),
        firstAfter: db.prepare('SELECT min(seq) AS s FROM journal WHERE seq > ?'),
        maxSeq: db.prepare('SELECT max(seq) AS s FROM journal'),
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
    this.writeTx = db.transaction((batch: BatchWrite): WriteResult => {
      let ackedSeq = batch.ackedSeq;
      let toHistory = 0;
      if (batch.evict > 0) {
        // the evict-th queued row: the watermark moves past it (the planner never asks for more than are queued)
        const last = s.queuedAt.get(ackedSeq, batch.evict - 1)?.s;
        if (last !== undefined) {
          toHistory += batch.evict;
          ackedSeq = last;
        }
      }
      for (const r of batch.rows) {
        s.insert.run(r.seq, r.at, r.type, r.door_id, r.grant, r.reason, r.person_id, r.credential_id, r.key_id, r.data);
      }
      if (batch.ackTo !== null && batch.ackTo > ackedSeq) {
        toHistory += s.countBetween.get(ackedSeq, batch.ackTo)?.n ?? 0;
        ackedSeq = batch.ackTo;
      }
      if (ackedSeq !== batch.ackedSeq) s.putMeta.run(JOURNAL_META.ackedSeq, String(ackedSeq));
      for (const [key, value] of batch.meta) s.putMeta.run(key, value);
      return { firstSeq: s.firstAfter.get(ackedSeq)?.s ?? null, ackedSeq, toHistory };
    });
    this.ackTx = db.transaction((fromSeq: number, uptoSeq: number, afterAck: (acknowledged: number) => boolean): AckResult => {
      const acknowledged = s.countBetween.get(fromSeq, uptoSeq)?.n ?? 0;
      s.putMeta.run(JOURNAL_META.ackedSeq, String(uptoSeq));
      const rearmed = afterAck(acknowledged);
      if (rearmed) s.putMeta.run(JOURNAL_META.fillAlarm, 'armed');
      return { acknowledged, firstSeq: s.firstAfter.get(uptoSeq)?.s ?? null, rearmed };
    });
    this.upkeepTx = db.transaction((work: UpkeepWork): UpkeepDone => {
      let lookupSeq = work.lookupSeq;
      let looked = 0;
      for (const row of s.toLookUp.all(lookupSeq, work.limit)) {
        if (row.door_id !== null) s.lookUpDoor.run(row.door_id, row.at, row.seq);
        if (row.person_id !== null) s.lookUpPerson.run(row.person_id, row.at, row.seq);
        lookupSeq = row.seq;
        looked += 1;
      }
      if (looked > 0) s.putMeta.run(JOURNAL_META.lookupSeq, String(lookupSeq));
      const p = work.prune;
      if (p === null) return { lookupSeq, looked, pruned: 0 };
      // the oldest history rows in seq order: a prefix of them goes, so one range delete does it
      let upto = 0;
      let n = 0;
      for (const row of s.oldestHistory.all(p.ackedSeq, work.limit)) {
        if (n >= p.excess && row.at >= p.olderThan) break;
        upto = row.seq;
        n += 1;
      }
      if (n === 0) return { lookupSeq, looked, pruned: 0 };
      s.forgetDoors.run(upto);
      s.forgetPersons.run(upto);
      return { lookupSeq, looked, pruned: s.deleteUpTo.run(upto).changes };
    });
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  /** Reads the counters and the table's extent. Throws STORE_CORRUPT when a counter is not a number. */
  readState(): StoredJournalState {
    const s = this.stmts;
    const ackedSeq = this.counter(JOURNAL_META.ackedSeq);
    const reported = s.getMeta.get(JOURNAL_META.droppedReported);
    return {
      lastSeq: this.counter(JOURNAL_META.lastSeq),
      maxSeq: s.maxSeq.get()?.s ?? 0,
      count: s.countBetween.get(ackedSeq, Number.MAX_SAFE_INTEGER)?.n ?? 0,
      firstSeq: s.firstAfter.get(ackedSeq)?.s ?? null,
      ackedSeq,
      history: s.countBetween.get(Number.MIN_SAFE_INTEGER, ackedSeq)?.n ?? 0,
      lookupSeq: this.counter(JOURNAL_META.lookupSeq),
      dropped: this.counter(JOURNAL_META.dropped),
      droppedReported: reported === undefined ? null : this.counter(JOURNAL_META.droppedReported),
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

  /** One transaction: move the watermark past evicted rows, insert, set the watermark, upsert meta. */
  write(batch: BatchWrite, durable: boolean): WriteResult {
    return this.withSynchronous(durable, () => this.writeTx.immediate(batch));
  }

  /**
   * One transaction: the rows fromSeq < seq <= uptoSeq leave the upload queue (the watermark is
   * set to uptoSeq; they stay as history); when `afterAck(acknowledged)` says so, persist the
   * re-armed 80 % alarm.
   */
  acknowledge(fromSeq: number, uptoSeq: number, durable: boolean, afterAck: (acknowledged: number) => boolean): AckResult {
    return this.withSynchronous(durable, () => this.ackTx.immediate(fromSeq, uptoSeq, afterAck));
  }

  /**
   * One transaction (synchronous=NORMAL: upkeep lost to a power cut is simply done again):
   * copies the door and person of the next `limit` rows after `lookupSeq` into the lookup
   * tables; then deletes the oldest history rows (and their lookups), in seq order, while they
   * are among the `excess` oldest or older than `olderThan`, at most `limit`.
   */
  upkeep(work: UpkeepWork): UpkeepDone {
    return this.withSynchronous(false, () => this.upkeepTx.immediate(work));
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

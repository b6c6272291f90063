/**
 * The event journal: every access decision, alarm and mode change, numbered gap-free per
 * gateway, kept in SQLite. Events wait in the upload queue until the cloud acknowledges them,
 * then stay as local history (queryable with query()) until they are older than the retention
 * or beyond the history's cap; behind the appends, small batches on the Clock fill the door and
 * person lookups and prune the history (historyUpkeep.ts). The queue is
 * bounded: beyond it the oldest events leave the queue unsent (counted, with an
 * `events_dropped` alarm folded to one per window). Without a cloud (`upload: false`) every
 * event is history at once. Durability, the loss window and the limits: docs/durability.md.
 *
 * `append` is on the door hot path: it assigns the sequence number, buffers, and returns; doors
 * call it after they acted. It never throws for a disk error. It usually does not touch the disk
 * either — except the append that fills a batch (`batchSize`), which writes that batch before
 * returning (one transaction, and an fsync when `durableIntervalMs` has passed; its cost is the
 * journal benchmark's `append_max_ms`, bench/README.md). Buffered events are written in
 * one transaction per flush, and a failed flush keeps them buffered and retries.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { TimerHandle, Timers } from '../kernel/clock.js';
import { FlushSchedule, type FlushTimerKind } from './flushSchedule.js';
import { HistoryUpkeep, type HistoryLimits, type UpkeepResult } from './historyUpkeep.js';
import { alarmRows, announceAlarm } from './journalAlarms.js';
import { decodeRow, encodeEvent, type JournalEntry, type JournalEvent, type JournalRow } from './journalCodec.js';
import { FlushFailures, type JournalFailure } from './journalFailures.js';
import { journalSettings, type JournalOptions } from './journalOptions.js';
import { belowRearmFill, planFlush } from './journalPlan.js';
import { JournalQueries, type JournalQuery } from './journalQuery.js';
import { JOURNAL_META as META, JournalTable } from './journalTable.js';

export type { JournalEntry, JournalEvent, JournalEventType } from './journalCodec.js';

export interface JournalStats {
  /** events in the upload queue (not yet acknowledged); what `capacity` bounds */
  count: number;
  /** the first seq in the upload queue */
  firstSeq: number | null;
  /** the highest sequence number assigned (buffered events included); 0 before the first event */
  lastSeq: number;
  capacity: number;
  /** count / capacity, 0..1 */
  fill: number;
  /** events lost to the bound since the journal was created (persisted) */
  dropped: number;
  /** buffered, not yet written */
  pending: number;
  /** the latest flush failure while flushes keep failing; null once a flush succeeds */
  lastError: JournalFailure | null;
  /** journal transactions committed by this instance */
  commits: number;
  /** commits with synchronous=FULL (WAL fsynced) since the journal was created (persisted) */
  durableCommits: number;
  /** events kept as local history (acknowledged, or dropped from the queue, or journaled with no cloud) */
  history: number;
  /** rows up to here have left the upload queue */
  ackedSeq: number;
  /** history rows pruned by this instance */
  pruned: number;
  /** written rows whose door and person are not in the lookup tables yet (the upkeep is behind by this many seqs) */
  lookupPending: number;
}

const IN_TRANSACTION_RETRY_MS = 100;
const SHED_LOG_INTERVAL_MS = 60_000;

function checkPage(afterSeq: number, limit: number): void {
  if (!Number.isSafeInteger(afterSeq) || !Number.isSafeInteger(limit) || limit < 0) {
    throw new GatewayError('INPUT_INVALID', 'afterSeq must be an integer and limit a non-negative integer', { entity: 'journal' });
  }
}

export class Journal {
  private readonly db: Database;
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly durableIntervalMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly onAlarm: ((event: JournalEntry) => void) | undefined;
  private readonly schedule: FlushSchedule;
  private readonly failures: FlushFailures;
  private readonly timers: Timers;
  private readonly upload: boolean;
  private readonly historyLimits: HistoryLimits | null;
  private readonly upkeep: HistoryUpkeep | null;
  private readonly alarmFoldMs: number;

  private state: 'new' | 'started' | 'stopped' = 'new';
  private table: JournalTable | null = null;
  private queries: JournalQueries | null = null;
  private journalId: string | null = null;

  private buffer: JournalRow[] = [];
  private nextSeq = 1;
  private count = 0;
  private firstSeq: number | null = null;
  /** persisted values, so a commit writes only what changed */
  private savedLastSeq = 0;
  private dropped = 0;
  private shed = 0;
  private raised = false;
  private savedRaised = false;
  private durableCommits = 0;
  private commits = 0;
  /** the upload queue is the rows after this; the rows up to it are history */
  private ackedSeq = 0;
  private history = 0;
  private pruned = 0;
  /** rows up to here are in the door and person lookup tables */
  private lookupSeq = 0;
  /** events_dropped folding: drops before this clock time are counted, not alarmed */
  private foldUntil = 0;
  /** drops not reported by an alarm yet, and how many flushes they came from */
  private unreported = 0;
  private foldedFlushes = 0;
  private savedReported = 0;
  private foldTimer: TimerHandle | null = null;
  private shedLoggedAt = -Infinity;
  private lastDurableAt = 0;
  /** committed since the last durable commit */
  private dirty = false;
  /** rows up to here were committed with synchronous=FULL (or before this start); read() returns no further */
  private durableSeq = 0;
  private flushing = false;
  /** hold(): nothing is written until release() (another connection holds the write lock) */
  private held = false;
  /** watch(): called with every appended event, in order (live views, tests) */
  private readonly watchers = new Set<(entry: JournalEntry) => void>();

  constructor(db: Database, options: JournalOptions) {
    const settings = journalSettings(options);
    this.db = db;
    this.capacity = settings.capacity;
    this.batchSize = settings.batchSize;
    this.durableIntervalMs = settings.durableIntervalMs;
    this.timers = settings.timers;
    this.upload = settings.upload;
    this.historyLimits = settings.history;
    this.alarmFoldMs = settings.alarmFoldMs;
    this.clock = options.clock;
    this.log = options.logger.child({ module: 'store:journal' });
    this.onAlarm = options.onAlarm;
    this.failures = new FlushFailures(this.log);
    const flushSoon = (): void => {
      if (this.failures.mayTry(this.clock.now())) this.flushNow(false);
    };
    const flushOnTimer = (): void => {
      if (this.state === 'started') this.flushNow(true);
    };
    this.schedule = new FlushSchedule(settings.timers, flushSoon, flushOnTimer);
    this.upkeep = settings.history === null ? null : new HistoryUpkeep(settings.timers, () => this.clock.now(), (limit) => this.upkeepOnce(limit));
  }

  /** Prepares statements and reads the sequence high-water mark and counters. Throws STORE_CORRUPT if the tables are missing or the counters are not numbers. */
  async start(): Promise<void> {
    if (this.state === 'started') return;
    const table = new JournalTable(this.db, this.log);
    const stored = table.readState();
    this.journalId = table.journalId();
    this.savedLastSeq = stored.lastSeq;
    // Keep seqs handed out before a stop whose final flush failed: those events are still buffered.
    this.nextSeq = Math.max(stored.lastSeq, stored.maxSeq, this.nextSeq - 1) + 1;
    this.count = stored.count;
    this.firstSeq = stored.firstSeq;
    this.ackedSeq = stored.ackedSeq;
    this.history = stored.history;
    this.lookupSeq = stored.lookupSeq;
    this.dropped = stored.dropped;
    // drops a crash kept from being alarmed are reported by the first flush (a database from before folding: all reported)
    this.savedReported = stored.droppedReported ?? stored.dropped;
    this.unreported = Math.max(0, stored.dropped - this.savedReported);
    this.foldUntil = 0;
    this.durableCommits = stored.durableCommits;
    this.savedRaised = stored.fillAlarmRaised;
    this.raised = stored.fillAlarmRaised && !belowRearmFill(stored.count, this.capacity);
    this.table = table;
    this.queries = new JournalQueries(this.db);
    // Rows from before this start were synced by the last stop or backstop; after a crash they may
    // still sit unsynced in the OS cache, so they count as not yet synced: the first read() or
    // durable commit of this run fsyncs them before anything is handed out.
    this.durableSeq = stored.maxSeq;
    this.dirty = stored.count > 0;
    this.lastDurableAt = this.clock.now();
    this.failures.endBackoff();
    this.state = 'started';
    this.upkeep?.start();
    if (this.unreported > 0) this.schedule.soon();
  }

  /**
   * Identifies this journal (a random UUID created once and kept in meta 'journal.id'): it
   * changes only when the database is recreated, and then seq restarts at 1. Throws NOT_STARTED
   * before start().
   */
  get id(): string {
    if (this.journalId === null) throw new GatewayError('NOT_STARTED', 'the journal is not started', { entity: 'journal' });
    return this.journalId;
  }

  /** Assigns and returns the next seq, buffers the event, schedules a flush. Throws only NOT_STARTED. */
  append(event: JournalEvent): number {
    if (this.state !== 'started') {
      throw new GatewayError('NOT_STARTED', 'the journal is not started', { entity: 'journal' });
    }
    const seq = this.nextSeq;
    const { row, redacted, unserializable } = encodeEvent(seq, event, this.clock.now());
    this.nextSeq = seq + 1;
    if (redacted.length > 0) {
      this.log.warn({ seq, type: row.type, fields: [...new Set(redacted)] }, 'credential-like data fields redacted from a journal event');
    }
    if (unserializable) this.log.warn({ seq, type: row.type }, 'journal event data was not JSON-serialisable; stored a marker');
    this.buffer.push(row);
    if (this.watchers.size > 0) this.tellWatchers(decodeRow(row));
    if (this.buffer.length >= this.capacity + this.batchSize) this.shedOldest();
    if (this.buffer.length >= this.batchSize && this.failures.mayTry(this.clock.now())) this.flushNow(false);
    else this.schedule.soon();
    return seq;
  }

  /**
   * Calls `listener` with every event appended from now on, in sequence order, as it is
   * appended (before it is durable). A listener that throws is logged, never the appender's
   * problem. Returns the function that stops watching.
   */
  watch(listener: (entry: JournalEntry) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  private tellWatchers(entry: JournalEntry): void {
    for (const w of this.watchers) {
      try {
        w(entry);
      } catch (err) {
        this.log.error({ err, seq: entry.seq }, 'a journal watcher threw');
      }
    }
  }

  /**
   * Writes all buffered events in one transaction; `durable`: with synchronous=FULL, so they and
   * everything committed before survive a power cut (for the rare event that must be on disk
   * before its caller is answered). Never throws: a failure is logged, kept in stats, and retried.
   */
  flush(durable = false): void {
    this.flushNow(durable);
  }

  /**
   * The upload queue: entries with seq > afterSeq (and after the last acknowledgement), in seq
   * order, at most `limit`. Flushes first, durably: only events that are on disk are returned,
   * so a power loss can never take back (and later re-number) an event the cloud has already
   * seen. While that flush fails, returns only rows that were already durable. For the uploader;
   * local readers use recent() or query(), which never force an fsync.
   */
  read(afterSeq: number, limit: number): JournalEntry[] {
    const table = this.requireStarted();
    checkPage(afterSeq, limit);
    this.flushNow(true);
    return table.range(Math.max(afterSeq, this.ackedSeq), this.durableSeq, limit).map(decodeRow);
  }

  /**
   * Entries with seq > afterSeq, in seq order, at most `limit`, whether written or still
   * buffered (history included). Writes nothing, so it costs no commit and no fsync: for local
   * readers that want what was just journaled (the control socket's answers).
   */
  recent(afterSeq: number, limit: number): JournalEntry[] {
    const table = this.requireStarted();
    checkPage(afterSeq, limit);
    if (afterSeq >= this.nextSeq - 1 || limit === 0) return [];
    const written = afterSeq < this.savedLastSeq ? table.range(afterSeq, this.savedLastSeq, limit) : [];
    const buffered = this.buffer.filter((r) => r.seq > afterSeq).slice(0, limit - written.length);
    return written.concat(buffered).map(decodeRow);
  }

  /**
   * The local history: the newest `limit` events matching every filter given, oldest first
   * (journalQuery.ts). Buffered events are written first, on the normal schedule (a NORMAL commit;
   * an fsync only when one was due anyway). Throws INPUT_INVALID for a bad query.
   */
  query(query: JournalQuery): JournalEntry[] {
    this.requireStarted();
    this.flushNow(false);
    return this.queries!.find(query);
  }

  /**
   * The rows with seq <= uptoSeq leave the upload queue (the cloud has them); they stay as local
   * history. Returns how many left the queue. A SQLite error propagates.
   */
  acknowledge(uptoSeq: number): number {
    const table = this.requireStarted();
    if (!Number.isSafeInteger(uptoSeq)) {
      throw new GatewayError('INPUT_INVALID', 'uptoSeq must be an integer', { entity: 'journal', field: 'uptoSeq' });
    }
    if (table.inTransaction) {
      throw new GatewayError('INPUT_INVALID', 'acknowledge must not run inside another transaction', { entity: 'journal' });
    }
    this.flushNow(false);
    // never past what is written: a later event must not count as acknowledged before it is sent
    const upto = Math.min(uptoSeq, this.savedLastSeq);
    if (upto <= this.ackedSeq) return 0;
    const durable = this.durableDue();
    const result = table.acknowledge(this.ackedSeq, upto, durable, (acknowledged) => this.raised && belowRearmFill(this.count - acknowledged, this.capacity));
    this.ackedSeq = upto;
    this.count -= result.acknowledged;
    this.history += result.acknowledged;
    this.firstSeq = result.firstSeq;
    if (result.rearmed) {
      this.raised = false;
      this.savedRaised = false;
      this.log.info({ count: this.count, capacity: this.capacity }, 'journal below 70 % full; the 80 % alarm is re-armed');
    }
    this.committed(durable);
    return result.acknowledged;
  }

  /**
   * Stops writing to SQLite until release(): appends stay in memory and read() hands out what is
   * already durable. For while another connection holds the database's write lock for a long
   * transaction (the rules worker applying a snapshot): a flush would only wait or fail.
   */
  hold(): void {
    this.held = true;
  }

  /** Ends hold() and writes what was buffered meanwhile. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.flushNow(false);
  }

  stats(): JournalStats {
    return {
      count: this.count,
      firstSeq: this.firstSeq,
      lastSeq: this.nextSeq - 1,
      capacity: this.capacity,
      fill: Math.min(1, this.count / this.capacity),
      dropped: this.dropped + this.shed,
      pending: this.buffer.length,
      lastError: this.failures.latest,
      commits: this.commits,
      durableCommits: this.durableCommits,
      history: this.history,
      ackedSeq: this.ackedSeq,
      pruned: this.pruned,
      lookupPending: Math.max(0, this.savedLastSeq - this.lookupSeq),
    };
  }

  /** Flushes with synchronous=FULL and cancels scheduled work. If that flush fails, the unwritten events are logged as lost at error. */
  async stop(): Promise<void> {
    if (this.state !== 'started') return;
    this.schedule.cancelSoon();
    this.upkeep?.stop();
    this.clearFoldTimer();
    this.held = false;
    // folded drops are reported now: the window would close after the stop
    this.foldUntil = 0;
    const ok = this.flushNow(true);
    this.schedule.clear();
    this.state = 'stopped';
    if (!ok && this.buffer.length > 0) {
      this.log.error({ pending: this.buffer.length, firstPending: this.buffer[0]?.seq }, 'journal stopped with events not written; they are lost if the process exits');
    }
  }

  private requireStarted(): JournalTable {
    if (this.state !== 'started' || this.table === null) {
      throw new GatewayError('NOT_STARTED', 'the journal is not started', { entity: 'journal' });
    }
    return this.table;
  }

  /** Drops the oldest buffered events down to capacity: a flush would evict them anyway. Only happens while flushes fail. */
  private shedOldest(): void {
    const n = this.buffer.length - this.capacity;
    const lost = this.buffer.splice(0, n);
    this.shed += n;
    // while writes fail this repeats every batch: at error once a minute, the rest at debug
    const now = this.clock.now();
    const details = { shed: n, firstSeq: lost[0]?.seq, lastSeq: lost[n - 1]?.seq, totalShed: this.shed };
    if (now - this.shedLoggedAt >= SHED_LOG_INTERVAL_MS) {
      this.shedLoggedAt = now;
      this.log.error(details, 'journal buffer over capacity while writes fail; oldest events dropped');
    } else this.log.debug(details, 'journal buffer still over capacity; oldest events dropped');
  }

  /** One upkeep batch (HistoryUpkeep calls it on its timer): lookups, then pruning; null when the journal cannot write now. */
  private upkeepOnce(limit: number): UpkeepResult {
    const table = this.table;
    const h = this.historyLimits;
    if (table === null || h === null || this.state !== 'started' || this.held || this.flushing || table.inTransaction) return null;
    const excess = Math.max(0, this.history - h.maxEvents);
    const olderThan = this.clock.now() - h.retentionMs;
    // pruning reads its candidates first: skip it while nothing can be due (no history)
    const prune = this.history > 0 ? { ackedSeq: this.ackedSeq, olderThan, excess } : null;
    if (this.lookupSeq >= this.savedLastSeq && prune === null) return { looked: 0, pruned: 0 };
    let done;
    try {
      done = table.upkeep({ lookupSeq: this.lookupSeq, prune, limit });
    } catch (err) {
      this.log.warn({ err }, 'the journal history upkeep failed; trying again later');
      return null;
    }
    this.lookupSeq = done.lookupSeq;
    this.history -= done.pruned;
    this.pruned += done.pruned;
    return { looked: done.looked, pruned: done.pruned };
  }

  /** events_dropped folded in the open window are due once it ends: a flush writes them (with or without new events). */
  private armFoldTimer(now: number): void {
    if (this.foldTimer !== null || this.state !== 'started') return;
    this.foldTimer = this.timers.setTimeout(() => {
      this.foldTimer = null;
      if (this.state === 'started') this.flushNow(false);
    }, Math.max(0, this.foldUntil - now));
  }

  private clearFoldTimer(): void {
    if (this.foldTimer !== null) this.timers.clearTimeout(this.foldTimer);
    this.foldTimer = null;
  }

  private durableDue(): boolean {
    return this.clock.now() - this.lastDurableAt >= this.durableIntervalMs;
  }

  /** Returns true when nothing is left to write. */
  private flushNow(forceDurable: boolean): boolean {
    const table = this.table;
    if (table === null || this.flushing) return false;
    if (this.held) return false; // release() flushes
    const now = this.clock.now();
    const foldOpen = now < this.foldUntil;
    const reportDue = this.unreported > 0 && !foldOpen;
    if (this.buffer.length === 0 && this.shed === 0 && !reportDue && !(forceDurable && this.dirty)) return true;
    if (table.inTransaction) {
      // Inside someone else's transaction our rows would commit or roll back with theirs.
      this.armTimer('retry', IN_TRANSACTION_RETRY_MS);
      return false;
    }
    const durable = forceDurable || this.durableDue();
    const batch = this.buffer;
    const plan = planFlush({
      // without a cloud nothing waits in a queue: only the shed buffer can drop events
      stored: this.count, batch: batch.length, shed: this.shed, capacity: this.upload ? this.capacity : Infinity, armed: !this.raised, foldOpen, unreported: this.unreported,
    });
    const totalDropped = this.dropped + plan.dropped;
    const alarms = alarmRows(plan, this.nextSeq, totalDropped, this.foldedFlushes, this.capacity, now);
    const seq = this.nextSeq + alarms.length;
    const lastSeq = seq - 1;
    const raised = this.raised || plan.fillAlarm;
    const unreported = plan.dropAlarm ? 0 : this.unreported + plan.dropped;
    const reported = totalDropped - unreported;
    const meta: Array<[string, string]> = [];
    if (lastSeq !== this.savedLastSeq) meta.push([META.lastSeq, String(lastSeq)]);
    if (totalDropped !== this.dropped) meta.push([META.dropped, String(totalDropped)]);
    if (reported !== this.savedReported) meta.push([META.droppedReported, String(reported)]);
    if (raised !== this.savedRaised) meta.push([META.fillAlarm, raised ? 'raised' : 'armed']);
    // A transaction that changes no page writes no WAL frame and syncs nothing: a durable commit always writes one.
    if (durable) meta.push([META.durableCommits, String(this.durableCommits + 1)]);
    const rows = alarms.length === 0 ? batch : batch.concat(alarms);
    // without a cloud everything written is history; with one, batch events beyond the bound leave the queue at once
    const ackTo = !this.upload ? lastSeq : plan.skip > 0 ? (batch[plan.skip - 1] as JournalRow).seq : null;
    let written;
    this.flushing = true;
    try {
      written = table.write({ ackedSeq: this.ackedSeq, evict: plan.evict, rows, ackTo, meta }, durable);
    } catch (err) {
      this.armTimer('retry', this.failures.failed(err, now, this.buffer.length));
      return false;
    } finally {
      this.flushing = false;
    }
    this.buffer = [];
    this.nextSeq = seq;
    this.savedLastSeq = lastSeq;
    this.firstSeq = written.firstSeq;
    this.ackedSeq = written.ackedSeq;
    this.history += written.toHistory;
    this.count = this.upload ? plan.count : 0;
    this.dropped = totalDropped;
    this.savedReported = reported;
    if (plan.dropAlarm) {
      this.unreported = 0;
      this.foldedFlushes = 0;
      this.foldUntil = now + this.alarmFoldMs;
    } else if (plan.dropped > 0) {
      this.unreported = unreported;
      this.foldedFlushes += 1;
      this.armFoldTimer(now);
    }
    this.shed = 0;
    this.raised = this.savedRaised = raised;
    this.failures.succeeded(batch.length);
    this.committed(durable);
    this.upkeep?.nudge();
    for (const row of alarms) announceAlarm(this.log, this.onAlarm, decodeRow(row));
    return true;
  }

  private committed(durable: boolean): void {
    this.commits += 1;
    if (durable) {
      this.durableCommits += 1;
      this.durableSeq = this.savedLastSeq;
      this.lastDurableAt = this.clock.now();
      this.dirty = false;
      this.schedule.clear();
    } else {
      this.dirty = true;
      this.schedule.clear('retry');
      this.armTimer('sync', this.durableIntervalMs);
    }
  }

  /** Timers run only while started: after stop() nothing is scheduled. */
  private armTimer(kind: FlushTimerKind, ms: number): void {
    if (this.state === 'started') this.schedule.arm(kind, ms);
  }
}

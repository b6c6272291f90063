/**
 * The simulator's versioned state, in one SQLite file (`<state dir>/state.db`):
 *
 * - the access model in the gateway's own tables, written by the gateway's own batch applier
 *   (same validation, same references, same precise errors) and read through AccessStore, with
 *   PINs kept in clear (siteRecords.ts `clearPins`) so snapshots can send them;
 * - `sim_versions`: every version the simulator issued, with its content hash;
 * - `sim_deltas`: the operations of each published delta, by fromVersion, to answer
 *   `sync_request {want: delta}`; a version reached by a snapshot has no delta, so a request from
 *   before it is answered with a snapshot;
 * - `sim_snapshots`: the chunk plan of recent snapshots, to resend missing chunks exactly.
 *
 * A change and its version, hash and history commit in one durable transaction. Several
 * processes may share the file (`serve` and `publish`): SQLite serialises the writers and a
 * snapshot is read in its own read transaction (openView), so it is one consistent version.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BatchOp, UpsertOp } from '../../src/access/batchOpSchema.js';
import type { Person } from '../../src/access/model.js';
import type { Clock } from '../../src/kernel/clock.js';
import { GatewayError, isGatewayError } from '../../src/kernel/gatewayError.js';
import { AccessStore, type StoreCounts } from '../../src/store/accessStore.js';
import { BatchApplier } from '../../src/store/batchApply.js';
import { parseBatch } from '../../src/store/batchOp.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { orderGuests } from '../../src/access/site/dependencyOrder.js';
import type { ChunkPlan } from './snapshotChunks.js';
import { clearPins, credentialInput } from '../../src/access/site/siteRecords.js';
import { EMPTY_STATE_HASH, hashAccessSource } from '../../src/access/contentHash.js';

export const STATE_FILE = 'state.db';

const SIM_TABLES = `
  CREATE TABLE IF NOT EXISTS sim_versions (
    version INTEGER PRIMARY KEY,
    hash    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('delta', 'snapshot', 'advance'))
  ) STRICT;
  CREATE TABLE IF NOT EXISTS sim_deltas (
    from_version INTEGER PRIMARY KEY,
    to_version   INTEGER NOT NULL,
    hash         TEXT NOT NULL,
    operations   TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS sim_snapshots (
    snapshot_id TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    counts      TEXT NOT NULL,
    at          INTEGER NOT NULL
  ) STRICT;
`;

export interface SimStateOptions {
  /** the state directory */
  dir: string;
  clock: Clock;
  logger: Logger;
  /** deltas kept for sync requests; older ones are answered with a snapshot. Default 1000. */
  maxHistory?: number;
}

export interface AppliedChange {
  fromVersion: number;
  toVersion: number;
  hash: string;
  /** the validated operations (PINs in clear): what a delta carries */
  operations: BatchOp[];
}

export interface StoredDelta {
  fromVersion: number;
  toVersion: number;
  hash: string;
  operations: BatchOp[];
}

export interface SnapshotRecord {
  snapshotId: string;
  version: number;
  hash: string;
  plan: ChunkPlan;
}

/** One consistent version of the state, read in its own transaction. Close it when done. */
export interface SnapshotView {
  readonly version: number;
  readonly hash: string;
  counts(): StoreCounts;
  /** every record as an upsert, in dependency order, PINs in clear; may be iterated again */
  operations(): Iterable<UpsertOp>;
  close(): void;
}

export class SimState {
  private db: Db | null = null;
  private accessStore: AccessStore | null = null;
  private applier: BatchApplier | null = null;
  private readonly log: Logger;

  constructor(private readonly options: SimStateOptions) {
    this.log = options.logger.child({ module: 'cloud:sim:state' });
  }

  get path(): string {
    return join(this.options.dir, STATE_FILE);
  }

  async start(): Promise<void> {
    if (this.db !== null) return;
    const db = openDatabase(this.path);
    db.exec(SIM_TABLES);
    this.db = db;
    this.accessStore = new AccessStore(db, clearPins);
    this.applier = new BatchApplier(db);
    this.log.debug({ path: this.path, version: this.version() }, 'state opened');
  }

  async stop(): Promise<void> {
    if (this.db?.open) this.db.close();
    this.db = null;
    this.accessStore = null;
    this.applier = null;
  }

  /** The access model as of the newest version (for diffs and reports). */
  get store(): AccessStore {
    if (this.accessStore === null) throw notStarted();
    return this.accessStore;
  }

  /** The newest version (0: nothing issued yet). */
  version(): number {
    return (this.requireDb().prepare('SELECT max(version) FROM sim_versions').pluck().get() as number | null) ?? 0;
  }

  /** The content hash of the newest version. */
  hash(): string {
    return this.hashAt(this.version()) ?? EMPTY_STATE_HASH;
  }

  /** The content hash of a version the simulator issued; undefined for one it did not. */
  hashAt(version: number): string | undefined {
    if (version === 0) return EMPTY_STATE_HASH;
    return this.requireDb().prepare('SELECT hash FROM sim_versions WHERE version = ?').pluck().get(version) as string | undefined;
  }

  /**
   * Validates and applies operations as the next version, all or nothing. `history: true` keeps
   * them as the delta from the previous version (a published delta); a snapshot's version has
   * none. Errors are the store's (RECORD_INVALID, REFERENCE_MISSING, DUPLICATE_CREDENTIAL, ...)
   * naming the operation, record and field. `expectHash`: the hash the result must have; another
   * one rolls the change back (STORE_CORRUPT: the simulator's diff is wrong).
   */
  apply(raw: readonly unknown[], options: { history: boolean; expectHash?: string }): AppliedChange {
    return this.applyValidated(parseBatch([...raw]), options);
  }

  /** apply() for operations that are already validated (a diff of checked records): no second parse. */
  applyValidated(operations: BatchOp[], options: { history: boolean; expectHash?: string }): AppliedChange {
    const db = this.requireDb();
    try {
      return this.applyParsed(db, operations, options);
    } catch (err) {
      if (isGatewayError(err)) throw err;
      throw new GatewayError('BATCH_INVALID', `the change was not applied: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  private applyParsed(db: Db, operations: BatchOp[], options: { history: boolean; expectHash?: string }): AppliedChange {
    return immediateDurable(db, () => {
      const fromVersion = this.version();
      const toVersion = fromVersion + 1;
      this.applier!.apply(operations, { source: 'cloud', pinHasher: clearPins });
      const hash = this.store.snapshot(hashAccessSource);
      if (options.expectHash !== undefined && hash !== options.expectHash) {
        throw new GatewayError('STORE_CORRUPT', `the change gives the state hash ${hash}, not the expected ${options.expectHash}: not applied`, { hint: 'a bug in the simulator: please report it with the site file' });
      }
      db.prepare('INSERT INTO sim_versions(version, hash, at, kind) VALUES (?, ?, ?, ?)').run(toVersion, hash, this.options.clock.now(), options.history ? 'delta' : 'snapshot');
      if (options.history) {
        db.prepare('INSERT OR REPLACE INTO sim_deltas(from_version, to_version, hash, operations) VALUES (?, ?, ?, ?)').run(fromVersion, toVersion, hash, JSON.stringify(operations));
        db.prepare('DELETE FROM sim_deltas WHERE from_version < ?').run(toVersion - (this.options.maxHistory ?? 1000));
      }
      return { fromVersion, toVersion, hash, operations };
    });
  }

  /**
   * Issues `version` for the unchanged content (revisions only go up: used when a gateway
   * reports a revision above the simulator's, e.g. after the state directory was reset).
   */
  advanceTo(version: number): void {
    const db = this.requireDb();
    immediateDurable(db, () => {
      const current = this.version();
      if (version <= current) return;
      const hash = this.store.snapshot(hashAccessSource);
      db.prepare('INSERT INTO sim_versions(version, hash, at, kind) VALUES (?, ?, ?, ?)').run(version, hash, this.options.clock.now(), 'advance');
    });
  }

  /**
   * The published deltas that lead from `version` to the newest version, in order; null when the
   * history does not cover that (a snapshot is the answer then). Empty when `version` is newest.
   */
  deltasFrom(version: number): StoredDelta[] | null {
    const newest = this.version();
    if (version === newest) return [];
    if (version > newest) return null;
    const rows = this.requireDb()
      .prepare('SELECT from_version, to_version, hash, operations FROM sim_deltas WHERE from_version >= ? ORDER BY from_version')
      .raw()
      .all(version) as Array<[number, number, string, string]>;
    const chain: StoredDelta[] = [];
    let at = version;
    for (const [fromVersion, toVersion, hash, operations] of rows) {
      if (fromVersion !== at) break;
      chain.push({ fromVersion, toVersion, hash, operations: JSON.parse(operations) as BatchOp[] });
      at = toVersion;
    }
    return at === newest ? chain : null;
  }

  rememberSnapshot(record: SnapshotRecord): void {
    const db = this.requireDb();
    db.prepare('INSERT OR REPLACE INTO sim_snapshots(snapshot_id, version, hash, counts, at) VALUES (?, ?, ?, ?, ?)').run(
      record.snapshotId, record.version, record.hash, JSON.stringify(record.plan), this.options.clock.now(),
    );
    db.prepare('DELETE FROM sim_snapshots WHERE snapshot_id NOT IN (SELECT snapshot_id FROM sim_snapshots ORDER BY at DESC, rowid DESC LIMIT 20)').run();
  }

  snapshotRecord(snapshotId: string): SnapshotRecord | undefined {
    const row = this.requireDb().prepare('SELECT snapshot_id, version, hash, counts FROM sim_snapshots WHERE snapshot_id = ?').raw().get(snapshotId) as
      | [string, number, string, string]
      | undefined;
    return row && { snapshotId: row[0], version: row[1], hash: row[2], plan: JSON.parse(row[3]) as ChunkPlan };
  }

  /**
   * Opens the newest version for reading on a connection of its own, inside one read
   * transaction: the view stays consistent while a long snapshot is published, and the main
   * connection stays free for other work.
   */
  openView(): SnapshotView {
    this.requireDb();
    const db = openDatabase(this.path, { readonly: true });
    try {
      db.exec('BEGIN');
      const version = (db.prepare('SELECT max(version) FROM sim_versions').pluck().get() as number | null) ?? 0;
      const hash = version === 0 ? EMPTY_STATE_HASH : (db.prepare('SELECT hash FROM sim_versions WHERE version = ?').pluck().get(version) as string);
      const store = new AccessStore(db, clearPins);
      return {
        version,
        hash,
        counts: () => store.counts(),
        operations: () => viewOperations(store),
        close: () => {
          if (!db.open) return;
          if (db.inTransaction) db.exec('COMMIT');
          db.close();
        },
      };
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private requireDb(): Db {
    if (this.db === null) throw notStarted();
    return this.db;
  }
}

function* viewOperations(store: AccessStore): Generator<UpsertOp> {
  const site = store.site();
  if (site) yield { op: 'upsert', entity: 'site', record: site };
  for (const record of store.doors()) yield { op: 'upsert', entity: 'door', record };
  for (const record of store.holidays()) yield { op: 'upsert', entity: 'holiday', record };
  for (const record of store.schedules()) yield { op: 'upsert', entity: 'schedule', record };
  for (const record of store.keys()) yield { op: 'upsert', entity: 'key', record };
  const guests: Person[] = [];
  for (const record of store.people()) {
    if (record.hostId === undefined) yield { op: 'upsert', entity: 'person', record };
    else guests.push(record);
  }
  for (const record of orderGuests(guests).ordered) yield { op: 'upsert', entity: 'person', record };
  for (const record of store.holdings()) yield { op: 'upsert', entity: 'holding', record };
  for (const c of store.credentials()) yield { op: 'upsert', entity: 'credential', record: credentialInput(c) };
}

function notStarted(): GatewayError {
  return new GatewayError('NOT_STARTED', 'the simulator state is not open: call start() first');
}

/**
 * One transaction committed with synchronous=FULL, taking the write lock at BEGIN (IMMEDIATE):
 * another process writing the same file in between cannot make it fail half-way with BUSY.
 */
function immediateDurable<T>(db: Db, work: () => T): T {
  const previous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(work).immediate();
  } finally {
    db.pragma(`synchronous = ${previous}`);
  }
}

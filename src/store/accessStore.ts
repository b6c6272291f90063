/**
 * The access model in SQLite: batches applied in one durable transaction, reads for the CLI
 * and the index compiler, use counts and lockdown state.
 */
import type { AccessIndex } from '../access/accessIndex.js';
import type { AccessSource } from '../access/accessSource.js';
import { compileIndex } from '../access/compileIndex.js';
import { hashAccessSource, StateHash } from '../access/contentHash.js';
import { patchIndex, type IndexChanges } from '../access/indexPatch.js';
import type { Entity } from '../access/batchOpSchema.js';
import type { Credential, Door, Holding, Holiday, Key, KeyDoor, Person, Schedule, Site } from '../access/model.js';
import type { PinHasher } from '../access/pinDigest.js';
import { GatewayError, isGatewayError } from '../kernel/gatewayError.js';
import { parseBatch, type BatchOp } from './batchOp.js';
import { BatchApplier, danglingReference, type BatchSource } from './batchApply.js';
import { RecordLines } from './changedRecords.js';
import { durableTransaction, type Db } from './database.js';
import * as rows from './rows.js';
import { createIndexes, dropSecondaryIndexes, type SecondaryIndex } from './secondaryIndexes.js';

/** the tables a snapshot replaces and whose secondary indexes it builds after loading them */
export const MODEL_TABLES = ['doors', 'holidays', 'schedules', 'keys', 'key_doors', 'people', 'holdings', 'credentials'] as const;

export interface ApplyOptions {
  source: BatchSource;
  /** the revision this batch brings the store to; default: current + 1 */
  revision?: number;
  /**
   * A full snapshot: the operations replace the whole model (anything they do not name is
   * deleted). Runtime state survives for the records that remain: use counts of one-time codes
   * (a resync must not make a used code work again) and door lockdowns.
   */
  replace?: boolean;
  /**
   * Runs inside the transaction after the operations, before the commit (e.g. a hash check
   * against the result); throwing rolls everything back. It is told what changed, for a patch of
   * the decision index (null for a snapshot: everything did).
   */
  beforeCommit?: (changes: BatchChanges | null) => void;
}

/**
 * What a batch changed: the entities it touched, what patching them into an index takes, and the
 * state it changed (an index may be patched only if it is the index of that state).
 */
export interface BatchChanges {
  entities: Entity[];
  index: IndexChanges;
  before: { revision: number; hash: string };
}

export interface StoreCounts {
  doors: number; holidays: number; schedules: number; keys: number; people: number; holdings: number; credentials: number;
}

/** the meta key of the content hash of the stored model, kept current by every batch */
const CONTENT_HASH = 'content_hash';

export class AccessStore {
  private applier: BatchApplier | null = null;
  private recordLines: RecordLines | null = null;

  constructor(
    private readonly db: Db,
    private readonly pinHasher: PinHasher,
  ) {}

  private get batchApplier(): BatchApplier {
    this.applier ??= new BatchApplier(this.db);
    return this.applier;
  }

  private get lines(): RecordLines {
    this.recordLines ??= new RecordLines(this.db);
    return this.recordLines;
  }

  /** Validates and applies raw operations in one transaction. All or nothing. */
  applyBatch(raw: unknown, options: ApplyOptions): { revision: number; applied: number } {
    return this.applyOperations(parseBatch(raw), options);
  }

  /** Applies operations that are already validated (e.g. by a message schema). All or nothing. */
  applyOperations(ops: readonly BatchOp[], options: ApplyOptions): { revision: number; applied: number } {
    try {
      return durableTransaction(this.db, () => {
        const { runtime, indexes } = options.replace ? this.clearForSnapshot() : { runtime: null, indexes: [] };
        const update = runtime ? null : this.changesOf(ops);
        this.batchApplier.apply(ops, { source: options.source, pinHasher: this.pinHasher, ...(runtime ? { fresh: true } : {}) });
        if (runtime) this.finishSnapshot(runtime, indexes, ops);
        else this.setMeta(CONTENT_HASH, update!.hashAfter());
        const revision = options.revision ?? this.revision() + 1;
        this.setMeta('revision', String(revision));
        options.beforeCommit?.(update?.changes ?? null);
        return { revision, applied: ops.length };
      });
    } catch (err) {
      if (isGatewayError(err)) throw err;
      throw new GatewayError('BATCH_INVALID', `the batch was not applied: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  /**
   * A snapshot staged in a scratch file (snapshotStaging.ts) replaces the model, as
   * applyOperations does with `replace`: one durable transaction that copies each table with one
   * INSERT … SELECT (foreign keys checked at the commit: rows arrive in id order, a guest maybe
   * before their host), then builds the indexes, restores runtime state and sets the revision.
   * A duplicate credential value or a missing person or key (the scratch file checks neither) is
   * named by its records: the snapshot's operations are no longer held.
   */
  replaceFromStaging(path: string, options: { revision: number; beforeCommit?: () => void }): { revision: number } {
    this.db.prepare('ATTACH DATABASE ? AS staged').run(path);
    try {
      return durableTransaction(this.db, () => {
        const { runtime, indexes } = this.clearForSnapshot();
        this.db.pragma('defer_foreign_keys = ON');
        for (const table of MODEL_TABLES) {
          const columns = (this.db.pragma(`main.table_info(${table})`) as { name: string }[]).map((c) => `"${c.name}"`).join(', ');
          this.db.exec(`INSERT INTO main.${table} (${columns}) SELECT ${columns} FROM staged.${table}`);
        }
        this.db.exec("INSERT INTO main.meta(key, value) SELECT key, value FROM staged.meta WHERE key = 'site'");
        this.finishSnapshot(runtime, indexes, null);
        this.setMeta('revision', String(options.revision));
        options.beforeCommit?.();
        return { revision: options.revision };
      });
    } catch (err) {
      // a reference the scratch file did not check fails the commit, or first the hash: it is the cause
      const dangling = danglingReference(this.db, 'staged');
      if (dangling !== null) throw dangling;
      if (isGatewayError(err)) throw err;
      throw new GatewayError('BATCH_INVALID', `the snapshot was not applied: ${(err as Error).message}`, {}, { cause: err });
    } finally {
      this.db.exec('DETACH DATABASE staged');
    }
  }

  site(): Site | null {
    const v = this.getMeta('site');
    return v === undefined ? null : (JSON.parse(v) as Site);
  }

  revision(): number {
    return Number(this.getMeta('revision') ?? 0);
  }

  /**
   * The content hash of the stored model (contentHash.ts). Every batch updates it from the
   * records it changed; after a snapshot, or in a file from before it was kept, it is computed
   * from every record once (compile() keeps what its compile computed).
   */
  contentHash(): string {
    return this.getMeta(CONTENT_HASH) ?? this.snapshot(hashAccessSource);
  }

  /** The decision index of the stored model; a content hash it had to compute is kept. */
  compile(): AccessIndex {
    const known = this.getMeta(CONTENT_HASH) !== undefined;
    const index = this.snapshot(compileIndex);
    if (!known) this.rememberContentHash(index.hash);
    return index;
  }

  /** Keeps a content hash computed from every record of the current model (a snapshot's compile). */
  rememberContentHash(hash: string): void {
    this.setMeta(CONTENT_HASH, hash);
  }

  isEmpty(): boolean {
    return this.site() === null && this.counts().doors === 0;
  }

  counts(): StoreCounts {
    const c = (t: string) => this.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    return {
      doors: c('doors'), holidays: c('holidays'), schedules: c('schedules'), keys: c('keys'),
      people: c('people'), holdings: c('holdings'), credentials: c('credentials'),
    };
  }

  *doors(): Iterable<Door> {
    for (const r of this.db.prepare('SELECT * FROM doors ORDER BY id').iterate()) yield rows.doorFromRow(r as rows.DoorRow);
  }

  *holidays(): Iterable<Holiday> {
    for (const r of this.db.prepare('SELECT * FROM holidays ORDER BY date').iterate()) yield rows.holidayFromRow(r as rows.HolidayRow);
  }

  *schedules(): Iterable<Schedule> {
    for (const r of this.db.prepare('SELECT * FROM schedules ORDER BY id').iterate()) yield rows.scheduleFromRow(r as rows.ScheduleRow);
  }

  *keys(): Iterable<Key> {
    const doorsByKey = new Map<string, KeyDoor[]>();
    for (const r of this.db.prepare('SELECT * FROM key_doors ORDER BY key_id, position').iterate()) {
      const kd = r as rows.KeyDoorRow;
      let list = doorsByKey.get(kd.key_id);
      if (!list) doorsByKey.set(kd.key_id, (list = []));
      list.push(rows.keyDoorFromRow(kd));
    }
    for (const r of this.db.prepare('SELECT * FROM keys ORDER BY id').iterate()) {
      const k = r as rows.KeyRow;
      yield rows.keyFromRow(k, doorsByKey.get(k.id) ?? []);
    }
  }

  *people(): Iterable<Person> {
    const stmt = this.db.prepare('SELECT id, name, status, kind, host_id, extended_unlock, unit, place FROM people ORDER BY id').raw();
    for (const r of stmt.iterate()) yield rows.personFromArray(r as rows.PersonArray);
  }

  *holdings(personId?: string): Iterable<Holding> {
    const columns = 'person_id, key_id, valid_from, valid_until';
    const stmt = personId === undefined
      ? this.db.prepare(`SELECT ${columns} FROM holdings ORDER BY person_id, key_id`).raw().iterate()
      : this.db.prepare(`SELECT ${columns} FROM holdings WHERE person_id = ? ORDER BY key_id`).raw().iterate(personId);
    for (const r of stmt) yield rows.holdingFromArray(r as rows.HoldingArray);
  }

  /** Credentials in id order. Rows are read as arrays (`raw`): the compiler reads a million of them. */
  *credentials(personId?: string): Iterable<Credential> {
    const columns = rows.CREDENTIAL_COLUMNS;
    const stmt = personId === undefined
      ? this.db.prepare(`SELECT ${columns} FROM credentials ORDER BY id`).raw().iterate()
      : this.db.prepare(`SELECT ${columns} FROM credentials WHERE person_id = ? ORDER BY id`).raw().iterate(personId);
    for (const r of stmt) yield rows.credentialFromArray(r as rows.CredentialArray);
  }

  person(id: string): Person | undefined {
    const r = this.db.prepare('SELECT * FROM people WHERE id = ?').get(id) as rows.PersonRow | undefined;
    return r && rows.personFromRow(r);
  }

  credential(id: string): Credential | undefined {
    const r = this.db.prepare(`SELECT ${rows.CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?`).raw().get(id) as rows.CredentialArray | undefined;
    return r && rows.credentialFromArray(r);
  }

  /** The credential of a kind by its lookup value (a mobile key id, a card number), or undefined. */
  credentialByValue(kind: Credential['kind'], value: string): Credential | undefined {
    const r = this.db.prepare(`SELECT ${rows.CREDENTIAL_COLUMNS} FROM credentials WHERE kind = ? AND value = ?`).raw().get(kind, value) as rows.CredentialArray | undefined;
    return r && rows.credentialFromArray(r);
  }

  /** The people whose host is `hostId`. */
  guestsOf(hostId: string): string[] {
    return this.db.prepare('SELECT id FROM people WHERE host_id = ?').pluck().all(hostId) as string[];
  }

  /**
   * The index of the state inside a batch's transaction (`beforeCommit`) patched from `previous`,
   * the index of the state before the batch (indexPatch.ts).
   */
  patch(previous: AccessIndex, changes: IndexChanges): AccessIndex {
    const hash = this.getMeta(CONTENT_HASH)!;
    return patchIndex(previous, changes, {
      hash, revision: this.revision(), lockdown: this.lockdown(), uses: () => this.uses(),
      person: (id) => this.person(id), guestsOf: (id) => this.guestsOf(id), holdings: (id) => this.holdings(id),
      credentials: (id) => this.credentials(id), credential: (id) => this.credential(id), keys: () => this.keys(),
      counts: () => this.counts(),
    });
  }

  *uses(): Iterable<readonly [string, number]> {
    for (const r of this.db.prepare('SELECT credential_id, uses FROM credential_uses').raw().iterate()) yield r as [string, number];
  }

  /**
   * Counts one grant of a use-limited credential; returns the new count. Committed with FULL:
   * a one-time code must not open twice because a power cut rolled its use back. Only
   * use-limited grants pay this fsync.
   */
  recordUse(credentialId: string): number {
    return durableTransaction(this.db, () =>
      this.db
        .prepare(`INSERT INTO credential_uses(credential_id, uses) VALUES (?, 1)
          ON CONFLICT(credential_id) DO UPDATE SET uses = uses + 1 RETURNING uses`)
        .pluck()
        .get(credentialId) as number,
    );
  }

  lockdown(): { site: boolean; doors: string[] } {
    return {
      site: this.getMeta('lockdown.site') === '1',
      doors: this.db.prepare('SELECT door_id FROM door_modes WHERE locked_down = 1 ORDER BY door_id').pluck().all() as string[],
    };
  }

  /** Lockdown on/off for one door, or for the whole site when doorId is null. */
  setLockdown(doorId: string | null, on: boolean): void {
    durableTransaction(this.db, () => {
      if (doorId === null) {
        this.setMeta('lockdown.site', on ? '1' : '0');
        return;
      }
      if (!this.db.prepare('SELECT 1 FROM doors WHERE id = ?').get(doorId)) {
        throw new GatewayError('NOT_FOUND', `door ${doorId} does not exist`, { entity: 'door', id: doorId, field: 'doorId' });
      }
      this.db.prepare(`INSERT INTO door_modes(door_id, locked_down) VALUES (?, ?)
        ON CONFLICT(door_id) DO UPDATE SET locked_down = excluded.locked_down`).run(doorId, on ? 1 : 0);
    });
  }

  /** Runs `read` against one consistent view of the store (one read transaction). */
  snapshot<T>(read: (source: AccessSource) => T): T {
    return this.db.transaction(() => {
      const hash = this.getMeta(CONTENT_HASH);
      const source: AccessSource = {
        site: this.site(),
        revision: this.revision(),
        ...(hash === undefined ? {} : { hash }),
        doors: () => this.doors(),
        holidays: () => this.holidays(),
        schedules: () => this.schedules(),
        keys: () => this.keys(),
        people: () => this.people(),
        holdings: () => this.holdings(),
        credentials: () => this.credentials(),
        uses: () => this.uses(),
        lockdown: this.lockdown(),
      };
      return read(source);
    })();
  }

  /**
   * Empties the model for a snapshot, which then loads into tables without secondary indexes
   * (built once, after it: returned). They go before the deletes too — a delete otherwise removes
   * every row's entry from each index as well, many times slower on a large site (the figures:
   * bench/README.md, "Measurements behind design choices") — except people's: deleting people checks their own host_id foreign key
   * through it. Returns the runtime state to restore as well.
   */
  private clearForSnapshot(): { runtime: ReturnType<AccessStore['clearModel']>; indexes: SecondaryIndex[] } {
    const indexes = dropSecondaryIndexes(this.db, MODEL_TABLES.filter((table) => table !== 'people'));
    const runtime = this.clearModel();
    indexes.push(...dropSecondaryIndexes(this.db, ['people']));
    return { runtime, indexes };
  }

  /**
   * After a snapshot's rows are in: the indexes set aside are built again (a duplicate credential
   * value is named by the snapshot's `operations`; a staged snapshot has none), and the runtime
   * state restored.
   */
  private finishSnapshot(runtime: ReturnType<AccessStore['clearModel']>, indexes: readonly SecondaryIndex[], operations: readonly BatchOp[] | null): void {
    createIndexes(this.db, indexes, (index) => this.batchApplier.duplicateAfterLoad(operations) ?? new GatewayError('BATCH_INVALID', `the unique index ${index.name} does not hold after the snapshot`, { entity: 'snapshot' }));
    this.restoreRuntime(runtime);
  }

  /** Deletes every model record (children first); returns the runtime state to restore. */
  private clearModel(): { uses: unknown[][]; modes: unknown[][] } {
    const runtime = {
      // with the holder: a credential the snapshot hands to someone else starts a fresh count
      uses: this.db.prepare('SELECT u.credential_id, u.uses, c.person_id FROM credential_uses u JOIN credentials c ON c.id = u.credential_id').raw().all() as unknown[][],
      modes: this.db.prepare('SELECT door_id, locked_down FROM door_modes').raw().all() as unknown[][],
    };
    for (const table of ['credential_uses', 'door_modes', 'credentials', 'holdings', 'key_doors', 'people', 'keys', 'schedules', 'holidays', 'doors']) {
      this.db.prepare(`DELETE FROM ${table}`).run();
    }
    this.db.prepare("DELETE FROM meta WHERE key IN ('site', ?)").run(CONTENT_HASH);
    return runtime;
  }

  private restoreRuntime(runtime: { uses: unknown[][]; modes: unknown[][] }): void {
    const use = this.db.prepare('INSERT INTO credential_uses(credential_id, uses) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM credentials WHERE id = ? AND person_id = ?)');
    for (const [id, uses, personId] of runtime.uses) use.run(id, uses, id, personId);
    const mode = this.db.prepare('INSERT INTO door_modes(door_id, locked_down) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM doors WHERE id = ?)');
    for (const [id, locked] of runtime.modes) mode.run(id, locked, id);
  }

  /**
   * Reads what `ops` will change before they apply (inside the batch's transaction): the records'
   * lines, and what an index patch needs. hashAfter() is the hash once they have applied: the
   * hash before, minus those lines as they were, plus them as they are.
   */
  private changesOf(ops: readonly BatchOp[]): { changes: BatchChanges; hashAfter: () => string } {
    const hash = this.contentHash();
    const sum = StateHash.from(hash);
    const changed = this.lines.changedBy(ops);
    for (const line of this.lines.lines(changed)) sum.remove(line);
    return {
      changes: { entities: [...changed.keys()], index: this.lines.indexChanges(changed), before: { revision: this.revision(), hash } },
      hashAfter: () => {
        for (const line of this.lines.lines(changed)) sum.add(line);
        return sum.digest();
      },
    };
  }

  private getMeta(key: string): string | undefined {
    return this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}

/**
 * The composition root: builds the whole gateway from a validated config. Constructors do
 * nothing; start() opens the store, seeds the demo site if asked and the store is empty,
 * compiles the decision index and opens the journal; stop() flushes and closes.
 */
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AccessIndex } from '../access/accessIndex.js';
import { limitedCredentialOf, noteUse, withLockdown } from '../access/accessIndex.js';
import { decide } from '../access/decide.js';
import { createPinHasher, type PinHasher } from '../access/pinDigest.js';
import type { Presentation, Verdict } from '../access/verdict.js';
import type { Clock } from '../kernel/clock.js';
import type { GatewayConfig } from './config/configSchema.js';
import { demoSiteBatch } from './demo/demoSite.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { AccessStore, type ApplyOptions } from '../store/accessStore.js';
import { openDatabase, type Db } from '../store/database.js';
import { Journal } from '../journal/journal.js';
import { loadDeviceSecret } from './deviceSecret.js';
import { createSimDoor, createSimFireInput, type SimDoor } from '../hal/sim/simDoor.js';
import type { SimFireInput } from '../hal/sim/simFireInput.js';
import { DEMO_DOORS } from './demo/demoDoors.js';
import { DoorBehaviourSchema, type DoorBehaviour } from '../doors/doorConfig.js';
import type { DoorContext } from '../doors/doorController.js';
import { SiteDoors, type DoorHardware } from '../doors/siteDoors.js';
import { buildSerialDoors, type SerialDeps } from './serialDoors.js';
import { CloudLink, type GatewayControl } from '../cloud/cloudLink.js';
import { HeldOperations, type ChunkOperations } from '../wire/heldOperations.js';
import { applyRulesChange, indexBuilder } from '../engine/rulesChange.js';
import type { RulesChange } from '../wire/rulesChange.js';
import { PinLockoutStore } from '../store/pinLockoutStore.js';
import { RulesWorker } from '../engine/worker/rulesWorker.js';
import { StagedChunks } from '../engine/worker/stagedChunks.js';
import type { LockoutState } from '../access/pinLockout.js';
import { maskAllows } from '../access/scheduleMask.js';
import type { JournalEvent } from '../journal/journal.js';
import type { ControlTarget } from '../control/controlTarget.js';

export interface GatewayDeps {
  clock: Clock;
  logger: Logger;
  /** how serial buses are reached; default the platform binding. Tests pass SerialPortMock.binding */
  serialBinding?: SerialDeps['binding'];
  /** tools that only read the rules (the CLI) run no doors and no cloud link */
  rulesOnly?: boolean;
}

interface Running {
  cloud: CloudLink | null;
  /** the device secret, for the rules worker's PIN digests */
  secret: Uint8Array;
  rulesWorker: RulesWorker | null;
  db: Db;
  store: AccessStore;
  journal: Journal;
  pinHasher: PinHasher;
  index: AccessIndex;
  doors: SiteDoors;
}

export class Gateway {
  /** The simulated devices, when the doors run on them (demo, tests, `lockgw sim`). */
  simulated: { doors: ReadonlyMap<string, SimDoor>; fire: SimFireInput | null } | null = null;
  private running: Running | null = null;
  private readonly log: Logger;
  /**
   * While the rules worker holds the database's write lock, the main thread's own writes wait
   * in memory (the journal holds its buffer too) and are written when the worker is done.
   */
  /** non-null when the rules worker could not start: snapshot chunks are held here instead */
  private mainThreadChunks: StagedChunks | null = null;
  private deferring: { uses: string[]; lockdowns: Array<[string | null, boolean]>; lockouts: Map<string, LockoutState> } | null = null;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: GatewayDeps,
  ) {
    this.log = deps.logger.child({ module: 'gateway' });
  }

  get dataDir(): string {
    return resolve(this.config.gateway.dataDir);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { config, deps } = this;
    const secret = loadDeviceSecret(join(this.dataDir, config.secrets.deviceSecretFile), config.secrets.createIfMissing);
    if (secret.created) this.log.info({ file: config.secrets.deviceSecretFile }, 'created a new device secret');
    if (secret.warning) this.log.warn(secret.warning);
    const pinHasher = createPinHasher(secret.secret);
    const db = openDatabase(join(this.dataDir, config.store.file));
    try {
      const store = new AccessStore(db, pinHasher);
      if (config.demo.seed && store.isEmpty()) {
        // revision 0 on a cloud-managed gateway: never synced, the cloud's first snapshot replaces it
        store.applyBatch(demoSiteBatch(deps.clock.now()), { source: 'cloud', revision: this.cloudManaged ? 0 : 1 });
        this.log.info('seeded the demo site');
      }
      const journal = new Journal(db, {
        maxEvents: config.journal.maxEvents,
        batchSize: config.journal.batchSize,
        durableIntervalMs: config.journal.durableIntervalMs,
        clock: deps.clock,
        logger: deps.logger,
      });
      await journal.start();
      const index = this.compile(store);
      const doors = this.buildDoors(db);
      const cloud = config.cloud.enabled && !deps.rulesOnly
        ? new CloudLink({
          config: config.cloud, gatewayId: config.gateway.id, journal, clock: deps.clock, logger: deps.logger,
          stateExtras: () => this.applied(),
          sync: {
            applied: () => this.applied(),
            apply: (change) => (this.mainThreadChunks === null ? this.applyCloudChangeInWorker(change) : this.applyOnMainThread(change)),
            stageChunk: (snapshotId, chunkIndex, operations) => this.stageChunk(snapshotId, chunkIndex, operations),
            dropChunks: (snapshotId) => (this.mainThreadChunks === null ? this.worker().dropChunks(snapshotId) : this.mainThreadChunks.drop(snapshotId)),
          },
          control: this.cloudControl(),
          // chunks are verified where they are kept, once the worker runs
          chunkDecoder: () => (this.mainThreadChunks === null ? this.rulesWorker : null),
        })
        : null;
      this.running = { db, store, journal, pinHasher, index, doors, cloud, secret: secret.secret, rulesWorker: null };
      await doors.start();
      // the rules worker is ready before the first snapshot arrives (starting it costs a moment)
      if (cloud !== null && config.cloud.sync.worker) await this.startWorker();
      else this.mainThreadChunks = new StagedChunks();
      await cloud?.start(); // never waits for the broker: the doors work offline
    } catch (err) {
      this.running = null;
      db.close();
      throw err;
    }
  }

  /** The configured doors, or the demo site's on simulated devices. */
  private doorBehaviours(): DoorBehaviour[] {
    if (this.deps.rulesOnly) return [];
    if (this.config.doors.length > 0) return this.config.doors;
    return this.config.demo.seed ? DEMO_DOORS.map((d) => DoorBehaviourSchema.parse(d)) : [];
  }

  private buildDoors(db: Db): SiteDoors {
    const { clock, logger } = this.deps;
    const sims = new Map<string, SimDoor>();
    const behaviours = this.doorBehaviours();
    const serial = buildSerialDoors(this.config.serial, behaviours, { clock, logger, binding: this.deps.serialBinding });
    const hardware: DoorHardware[] = behaviours.map((behaviour) => {
      if (behaviour.hardware === 'serial') return serial.find((d) => d.behaviour.id === behaviour.id)!;
      const sim = createSimDoor(behaviour.id, clock, { logger, failSafe: behaviour.failSafe });
      sims.set(behaviour.id, sim);
      return { behaviour, devices: { readers: sim.readers, actuator: sim.actuator, contact: sim.contact, rex: sim.rex, indicator: sim.indicator }, all: sim.devices };
    });
    const fire = hardware.length > 0 ? createSimFireInput(clock, { logger }) : null;
    this.simulated = { doors: sims, fire };
    const lockoutStore = new PinLockoutStore(db);
    const lockouts = {
      load: (doorId: string) => lockoutStore.load(doorId),
      save: (doorId: string, state: LockoutState) => (this.deferring ? void this.deferring.lockouts.set(doorId, state) : lockoutStore.save(doorId, state)),
    };
    const ctx: DoorContext = {
      clock,
      logger,
      decide: (p) => this.evaluate(p),
      recordDecision: (p, v) => this.recordDecision(p, v),
      record: (event) => this.r.journal.append({ ...event, at: clock.now() } as JournalEvent),
      hashPin: (digits) => this.r.pinHasher(digits),
      lockouts,
      passageOpen: (scheduleId, now) => {
        const index = this.r.index;
        const mask = index.scheduleMasks.get(scheduleId);
        return mask === undefined ? null : maskAllows(index.masks.get(mask), index.zone.localMinutes(now), index.holidays);
      },
      localDay: (now) => Math.floor(this.r.index.zone.localMinutes(now) / 1440),
      lockedDown: (doorId) => {
        const index = this.r.index;
        const d = index.doorIndex.get(doorId);
        return index.siteLocked || (d !== undefined && index.doorLocked[d] === 1);
      },
    };
    return new SiteDoors(hardware, fire, ctx);
  }

  /** What the cloud's commands act on, and the door status it is sent. */
  private cloudControl(): GatewayControl {
    return {
      hasDoor: (doorId) => this.r.doors.get(doorId) !== undefined || this.r.index.doorIndex.has(doorId),
      unlockDoor: (doorId, ms, correlationId) => {
        const door = this.r.doors.get(doorId);
        if (door === undefined) throw new GatewayError('UNAVAILABLE', `door ${doorId} has no lock on this gateway`, { entity: 'door', id: doorId });
        door.remoteUnlock(ms, `cloud command ${correlationId}`);
      },
      setLockdown: (doorId, on) => this.setLockdown(doorId, on),
      status: () => {
        const { index, journal, doors } = this.r;
        const stats = journal.stats();
        return {
          revision: index.revision,
          hash: index.hash,
          siteId: index.siteId,
          journal: { count: stats.count, lastSeq: stats.lastSeq, fill: stats.fill, dropped: stats.dropped },
          doors: doors.status().map((d) => ({ doorId: d.doorId, mode: d.mode, actuator: d.actuator, open: d.open, alarms: d.alarms, health: d.health.state })),
        };
      },
      doorStatuses: () => this.r.doors.status(),
    };
  }

  /** What the control socket acts on. */
  controlTarget(): ControlTarget {
    const gateway = this;
    return {
      timeZone: () => this.r.index.timeZone,
      doorStatuses: () => this.r.doors.status(),
      lastEventSeq: () => this.r.journal.stats().lastSeq,
      eventsAfter: (after, limit) => this.r.journal.read(after, limit),
      setLockdown: (doorId, on) => this.setLockdown(doorId, on),
      get simulated() {
        return gateway.simulated;
      },
    };
  }

  /** the cloud link, when `cloud.enabled` */
  get cloud(): CloudLink | null {
    return this.r.cloud;
  }

  /** The rules worker, once started (diagnostics, tests). */
  get rulesWorker(): RulesWorker | null {
    return this.running?.rulesWorker ?? null;
  }

  get doors(): SiteDoors {
    return this.r.doors;
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    await r.cloud?.stop();
    await r.rulesWorker?.stop();
    await r.doors.stop();
    this.running = null;
    await r.journal.stop();
    r.db.close();
    this.log.info('stopped');
  }

  private get r(): Running {
    if (!this.running) throw new GatewayError('NOT_STARTED', 'the gateway is not started');
    return this.running;
  }

  /** the open SQLite handle, for diagnostics (doctor) */
  get database(): Db {
    return this.r.db;
  }

  get store(): AccessStore {
    return this.r.store;
  }

  get journal(): Journal {
    return this.r.journal;
  }

  get index(): AccessIndex {
    return this.r.index;
  }

  /** Turns typed PIN digits into the digest that decisions and the store use. */
  hashPin(pin: string): string {
    return this.r.pinHasher(pin);
  }

  /**
   * A door's question, answered before the door acts: the decision, and for a grant of a
   * use-limited credential its use counted in memory (so a one-time code cannot open twice).
   */
  evaluate(presentation: Presentation): Verdict {
    const { index } = this.r;
    const verdict = decide(index, presentation, this.deps.clock.now());
    if (verdict.grant && verdict.credentialId !== null) noteUse(index, verdict.credentialId);
    return verdict;
  }

  /**
   * After the door acted: persists the use of a use-limited credential (durably) and journals
   * the decision, with a silent alarm for duress. Credential values are never recorded.
   */
  recordDecision(presentation: Presentation, verdict: Verdict): void {
    const { index, store, journal } = this.r;
    const now = this.deps.clock.now();
    if (verdict.grant && verdict.credentialId !== null && limitedCredentialOf(index, verdict.credentialId) >= 0) {
      if (this.deferring) this.deferring.uses.push(verdict.credentialId);
      else store.recordUse(verdict.credentialId);
    }
    journal.append({
      type: 'access',
      at: now,
      doorId: presentation.doorId,
      grant: verdict.grant,
      reason: verdict.reason,
      ...(verdict.personId ? { personId: verdict.personId } : {}),
      ...(verdict.credentialId ? { credentialId: verdict.credentialId } : {}),
      ...(verdict.keyId ? { keyId: verdict.keyId } : {}),
      data: { kind: presentation.kind, revision: verdict.revision },
    });
    if (verdict.alarm) {
      journal.append({ type: 'alarm', at: now, doorId: presentation.doorId, reason: 'duress', ...(verdict.personId ? { personId: verdict.personId } : {}) });
    }
    // who and why, never the credential's value
    this.log.info({ door: presentation.doorId, grant: verdict.grant, reason: verdict.reason, person: verdict.personId, key: verdict.keyId, kind: presentation.kind }, `${presentation.doorId}: ${verdict.grant ? 'GRANTED' : 'DENIED'} ${verdict.reason}`);
  }

  /** evaluate + recordDecision, for callers that do not act (tests, tools). */
  decide(presentation: Presentation): Verdict {
    const verdict = this.evaluate(presentation);
    this.recordDecision(presentation, verdict);
    return verdict;
  }

  /** The cloud owns the rules (and their revisions) when the cloud link is enabled. */
  get cloudManaged(): boolean {
    return this.config.cloud.enabled;
  }

  /**
   * Applies a local batch of model changes in one transaction, then swaps in its index (patched
   * or compiled inside the transaction, as a cloud change's). Refused (CLOUD_MANAGED) on a cloud-managed gateway: the cloud owns its revisions.
   */
  applyBatch(raw: unknown, options: ApplyOptions): { revision: number; hash: string } {
    const r = this.r;
    if (this.cloudManaged && options.source === 'local') {
      throw new GatewayError('CLOUD_MANAGED', 'this gateway takes its rules from the cloud: change them in the cloud, not locally', { hint: 'or set cloud.enabled: false' });
    }
    const build = indexBuilder(r.store, r.index);
    // set inside the transaction: a batch that returns has run its beforeCommit
    const built: { index?: AccessIndex } = {};
    const { revision } = r.store.applyBatch(raw, { ...options, beforeCommit: (changes) => {
      options.beforeCommit?.(changes);
      built.index = build(changes);
    } });
    r.index = built.index!;
    r.doors.refreshRules();
    return { revision, hash: r.index.hash };
  }

  /** The revision and content hash the doors decide with. */
  applied(): { revision: number; hash: string } {
    const { index } = this.r;
    return { revision: index.revision, hash: index.hash };
  }

  /**
   * A snapshot or delta from the cloud, in one transaction that commits only if the result has
   * the cloud's content hash (HASH_MISMATCH otherwise: nothing changed). The index built inside
   * the transaction (a delta of people, holdings and credentials patched into the current one,
   * which patching leaves as it is; otherwise compiled) is then swapped in, and the doors re-read
   * their rules.
   */
  applyCloudChange(change: RulesChange): { revision: number; hash: string } {
    const r = this.r;
    r.index = applyRulesChange(r.store, change, { previous: r.index });
    r.doors.refreshRules();
    return this.applied();
  }

  /**
   * The same as applyCloudChange, off the event loop: the rules worker applies the change with its
   * own connection and compiles the index while the doors go on deciding with the current one.
   * Meanwhile the main thread writes nothing (journal held, use counts, lockdowns and PIN
   * lockouts deferred, busy_timeout 0 so nothing can wait on the lock); afterwards the deferred
   * writes land and are carried into the new index before it is swapped in.
   */
  async applyCloudChangeInWorker(change: RulesChange): Promise<{ revision: number; hash: string }> {
    const r = this.r;
    const worker = this.worker();
    const deferred = { uses: [] as string[], lockdowns: [] as Array<[string | null, boolean]>, lockouts: new Map<string, LockoutState>() };
    this.deferring = deferred;
    r.journal.hold();
    const busyTimeout = Number(r.db.pragma('busy_timeout', { simple: true }));
    r.db.pragma('busy_timeout = 0');
    let index: AccessIndex | null = null;
    try {
      index = await worker.apply(change);
    } finally {
      this.deferring = null;
      r.db.pragma(`busy_timeout = ${busyTimeout}`);
      this.writeDeferred(r, deferred);
      r.journal.release();
    }
    if (this.running !== r) throw new GatewayError('NOT_STARTED', 'the gateway stopped while the change was applied');
    const next = withLockdown(index, r.store.lockdown());
    for (const id of deferred.uses) noteUse(next, id);
    r.index = next;
    r.doors.refreshRules();
    return { revision: next.revision, hash: next.hash };
  }

  /**
   * Starts the rules worker. If it cannot start, the gateway still runs: cloud changes are then
   * applied on the main thread (correct, but the doors wait while a large snapshot is applied).
   */
  private async startWorker(): Promise<void> {
    try {
      await this.worker().start();
    } catch (err) {
      this.log.error({ err }, 'the rules worker did not start: cloud changes are applied on the main thread, and a large sync pauses the doors');
      this.mainThreadChunks = new StagedChunks();
    }
  }

  /** A verified snapshot chunk, kept by the rules worker (or here, without one) until the snapshot is complete. */
  private stageChunk(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void {
    if (operations instanceof HeldOperations) operations.stage(snapshotId, chunkIndex); // the worker decoded it and has it
    else if (this.mainThreadChunks === null) this.worker().stageChunk(snapshotId, chunkIndex, operations);
    else this.mainThreadChunks.put(snapshotId, chunkIndex, operations);
  }

  /** The fallback without a rules worker: snapshot chunks were kept here as they arrived. */
  private applyOnMainThread(change: RulesChange): { revision: number; hash: string } {
    const { staged, ...rest } = change;
    if (staged === undefined || this.mainThreadChunks === null) return this.applyCloudChange(rest);
    return this.applyCloudChange({ ...rest, operations: this.mainThreadChunks.take(staged.snapshotId, staged.chunkCount) });
  }

  /** The rules worker thread, started on first use. */
  private worker(): RulesWorker {
    const r = this.r;
    r.rulesWorker ??= new RulesWorker({ dbPath: join(this.dataDir, this.config.store.file), secret: r.secret, logger: this.deps.logger });
    return r.rulesWorker;
  }

  /**
   * Writes what waited for the rules worker. Each write on its own: one that fails (a credential
   * or a door the change deleted) must not take the others with it. Lockdowns first.
   */
  private writeDeferred(r: Running, deferred: NonNullable<Gateway['deferring']>): void {
    const lockouts = new PinLockoutStore(r.db);
    const attempt = (what: string, write: () => void) => {
      try {
        write();
      } catch (err) {
        this.log.warn({ err }, `could not write ${what} that waited for the rules worker`);
      }
    };
    for (const [doorId, on] of deferred.lockdowns) attempt(`the lockdown of ${doorId ?? 'the site'}`, () => r.store.setLockdown(doorId, on));
    for (const id of deferred.uses) attempt(`a use of ${id}`, () => r.store.recordUse(id));
    for (const [doorId, state] of deferred.lockouts) attempt(`the PIN lockout of ${doorId}`, () => lockouts.save(doorId, state));
  }


  /** Lockdown on/off for a door, or the whole site when doorId is null. */
  setLockdown(doorId: string | null, on: boolean): void {
    const r = this.r;
    if (this.deferring) {
      // the decision index changes now; the store when the rules worker has let go of the database
      if (doorId !== null && !r.index.doorIndex.has(doorId)) throw new GatewayError('NOT_FOUND', `door ${doorId} does not exist`, { entity: 'door', id: doorId, field: 'doorId' });
      this.deferring.lockdowns.push([doorId, on]);
      r.index = withLockdown(r.index, lockdownAfter(r.index, doorId, on));
    } else {
      r.store.setLockdown(doorId, on);
      r.index = withLockdown(r.index, r.store.lockdown());
    }
    r.doors.refreshRules();
    r.journal.append({ type: 'mode', at: this.deps.clock.now(), ...(doorId ? { doorId } : {}), reason: on ? 'lockdown_on' : 'lockdown_off' });
  }

  private compile(store: AccessStore): AccessIndex {
    const started = performance.now();
    const index = store.compile();
    this.log.debug({ revision: index.revision, hash: index.hash, ms: Math.round(performance.now() - started), ...index.counts }, 'decision index compiled');
    return index;
  }
}

/** The lockdown state of an index with one change applied. */
function lockdownAfter(index: AccessIndex, doorId: string | null, on: boolean): { site: boolean; doors: string[] } {
  const doors = new Set(index.doorIds.filter((_, d) => index.doorLocked[d] === 1));
  if (doorId !== null) {
    if (on) doors.add(doorId);
    else doors.delete(doorId);
  }
  return { site: doorId === null ? on : index.siteLocked, doors: [...doors] };
}

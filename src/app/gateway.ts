/**
 * The composition root: builds the whole gateway from a validated config. Constructors do
 * nothing; start() opens the store, seeds the demo site if asked and the store is empty, then
 * starts its services in order (journal, access engine, doors, rules applier, cloud link);
 * stop() stops them in reverse and closes the store. The parts meet only here: the doors talk to
 * the engine through the DoorContext they declare, the cloud link to the engine and the doors
 * through its SyncTarget and GatewayControl, the control socket through its ControlTarget.
 */
import type { AccessDocumentTrust } from '../wire/accessDocument.js';
import { loadCloudKeys } from '../wire/keys.js';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AccessIndex } from '../access/accessIndex.js';
import { createPinHasher } from '../access/pinDigest.js';
import { rulesUnavailableVerdict, type Presentation, type Verdict } from '../access/verdict.js';
import { EventEmitter } from 'node:events';
import type { Clock } from '../kernel/clock.js';
import { GatewayError, isGatewayError } from '../kernel/gatewayError.js';
import { ServiceList, type Service } from '../kernel/serviceList.js';
import { Journal, type JournalEvent } from '../journal/journal.js';
import { AccessStore, type ApplyOptions } from '../store/accessStore.js';
import { openDatabase, type Db } from '../store/database.js';
import { FileWatch, type FileLoss } from '../store/fileWatch.js';
import { clearRulesUnavailable, markRulesUnavailable, type RulesUnavailableMark } from '../store/rulesUnavailableMark.js';
import { setAside, writeMarker } from '../store/storeFiles.js';
import { openStore } from '../store/storeOpening.js';
import { storeFailure, type StoreProblem } from '../store/storeProblem.js';
import { putBack, saveCopy, type WriteBack } from '../store/writeBack.js';
import { PinLockoutStore } from '../store/pinLockoutStore.js';
import { CommandReplayStore } from '../store/commandReplayStore.js';
import { AppliedRevisionStore } from '../store/appliedRevisionStore.js';
import { OfflineCodeUseStore } from '../store/offlineCodeUseStore.js';
import { OfflineCodes } from '../engine/offlineCodes.js';
import { stayTimes } from '../engine/offlineCodeConfig.js';
import { ClockTrustStore } from '../store/clockTrustStore.js';
import type { RulesChange } from '../wire/rulesChange.js';
import { AccessEngine, type AppliedState } from '../engine/accessEngine.js';
import { OfflineTrust, type OfflineTrustStatus } from '../engine/offlineTrust.js';
import { MainThreadRulesApplier } from '../engine/mainThreadRulesApplier.js';
import type { RulesApplier } from '../engine/rulesApplier.js';
import { RulesApplierWithFallback } from '../engine/rulesApplierWithFallback.js';
import { RuntimeWrites } from '../engine/runtimeWrites.js';
import { RulesWorker } from '../engine/worker/rulesWorker.js';
import { WorkerRulesApplier } from '../engine/workerRulesApplier.js';
import type { DoorContext } from '../doors/doorController.js';
import { SiteDoors } from '../doors/siteDoors.js';
import { CloudLink, type GatewayControl } from '../cloud/cloudLink.js';
import { lockgwVersion } from './version.js';
import type { ControlTarget, GatewayHealth } from '../control/controlTarget.js';
import { systemAccounts, type SystemAccounts } from '../control/userNames.js';
import { OperatorStore } from '../store/operatorStore.js';
import { CardStockStore } from '../store/cardStockStore.js';
import { PinPolicyStore } from '../store/pinPolicyStore.js';
import { LocalAdmin } from './admin/localAdmin.js';
import type { GatewayConfig } from './config/configSchema.js';
import { demoSiteBatch } from './demo/demoSite.js';
import { loadDeviceSecret, type SecretFileRole } from './deviceSecret.js';
import { buildSiteHardware, doorBehaviours, type SimulatedDevices, type SiteHardware } from './doorHardware.js';
import { doorCommissioning } from './doorCommissioning.js';
import type { SerialDeps, SerialLinkReport } from './serialDoors.js';
import type { PhoneLinkSource } from '../hal/ble/phoneKey/blePhoneKeyReader.js';
import type { DoorBehaviour } from '../doors/doorConfig.js';
import type { DoorHardware } from '../doors/siteDoors.js';
import { phoneKeyPorts, type PhoneKeyPortDeps } from './phoneKeyPorts.js';
import { PhoneKeyRadio } from './phoneKeyRadio.js';
import { buildBleDoor } from './bleDoors.js';
import { LockRadio } from './lockRadio.js';
import type { GpioLineSource } from '../hal/gpio/gpioLineSource.js';
import { PAIRING_FILE, PairingVault } from './pairingVault.js';
import { GatewayMetrics } from './metrics/gatewayMetrics.js';
import { announceSafetyOnly, clearSafetyStatus, recoveryAdvice, writeSafetyStatus, type SafetyOnlyState } from './safetyOnly.js';

/** The site's offline-code secret: shared with the cloud at provisioning, never created here. */
const OFFLINE_CODE_SECRET: SecretFileRole = {
  field: 'offlineCodes.secretFile',
  what: 'the offline-code secret',
  hint: 'install the site secret the cloud issued (docs/offline-doorcodes.md); until then offline doorcodes open nothing',
};

/** How often a running gateway checks that its database file is still the one it opened. */
const FILE_CHECK_INTERVAL_MS = 5_000;

/** The engine's start (compiling the rules) as a service whose failure is the store's: STORE_CORRUPT. */
function rulesLoading(engine: AccessEngine): Service {
  return {
    name: engine.name,
    start: () => engine.start().catch((err: unknown) => {
      if (isGatewayError(err, 'STORE_CORRUPT')) throw err;
      throw new GatewayError('STORE_CORRUPT', `the rules in the database cannot be loaded: ${(err as Error).message}`, {}, { cause: err });
    }),
    stop: () => engine.stop(),
  };
}

/** What the gateway tells about its database file being lost under it (tests, diagnostics). */
export interface GatewayEvents {
  /** the file was deleted or replaced while running; the live database was written back and the gateway restarted */
  storeRecovered: [{ loss: FileLoss; setAside: string[] } & WriteBack];
  storeRecoveryFailed: [unknown];
}

/** Doors that take phone keys list the radio's reader among their readers (for their health). */
function withPhoneKeyReader(doors: DoorHardware[], radio: PhoneKeyRadio | null): DoorHardware[] {
  if (radio === null) return doors;
  return doors.map((d) => (d.behaviour.ble?.phoneKey ? { ...d, devices: { ...d.devices, readers: [...d.devices.readers, radio.reader] } } : d));
}

export interface GatewayDeps {
  clock: Clock;
  logger: Logger;
  /** how serial buses are reached; default the platform binding. Tests pass SerialPortMock.binding */
  serialBinding?: SerialDeps['binding'];
  /** tools that only read the rules (the CLI) run no doors and no cloud link */
  rulesOnly?: boolean;
  /** where phones' BLE links come from instead of the configured radio (tests: in-memory links) */
  phoneLinks?: PhoneLinkSource;
  /** how GPIO inputs are watched; default libgpiod's tools. Tests pass an emulated line source */
  gpioLines?: GpioLineSource;
  /** how long opening the database waits for another process's lock (default 5000 ms) */
  storeBusyTimeoutMs?: number;
}

interface Running {
  db: Db;
  store: AccessStore;
  journal: Journal;
  engine: AccessEngine;
  doors: SiteDoors;
  rules: RulesApplier;
  /** the rules worker, when cloud changes are applied off the doors' thread */
  worker: RulesWorker | null;
  cloud: CloudLink | null;
  phoneKeys: PhoneKeyRadio | null;
  trust: OfflineTrust;
  /** each door's R30x fingerprint sensor (enrolment over the control socket) */
  fingerprints: SiteHardware['fingerprints'];
  services: ServiceList;
  /** the serial links the doors use and their health */
  serialLinks: () => SerialLinkReport[];
}

export class Gateway extends EventEmitter<GatewayEvents> {
  /** The simulated devices, when the doors run on them (demo, tests, `lockgw sim`). */
  simulated: SimulatedDevices | null = null;
  private running: Running | null = null;
  /** set while the gateway runs in safety-only mode */
  private safety: SafetyOnlyState | null = null;
  private readonly log: Logger;
  /** made at the first start with metrics enabled, kept across restarts (one registry per gateway) */
  private metricsService: GatewayMetrics | null = null;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: GatewayDeps,
  ) {
    super();
    this.log = deps.logger.child({ module: 'gateway' });
  }

  /** Safety-only mode (docs/door-path.md): why, since when, and how to recover; null when the rules are in use. */
  get safetyOnly(): SafetyOnlyState | null {
    return this.safety;
  }

  get dataDir(): string {
    return resolve(this.config.gateway.dataDir);
  }

  /** The cloud owns the rules (and their revisions) when the cloud link is enabled. */
  get cloudManaged(): boolean {
    return this.config.cloud.enabled;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { config, deps } = this;
    const secret = loadDeviceSecret(join(this.dataDir, config.secrets.deviceSecretFile), config.secrets.createIfMissing);
    if (secret.created) this.log.info({ file: config.secrets.deviceSecretFile }, 'created a new device secret');
    if (secret.warning) this.log.warn(secret.warning);
    const dbPath = join(this.dataDir, config.store.file);
    const opening = openStore(dbPath, { now: deps.clock.now(), busyTimeoutMs: deps.storeBusyTimeoutMs });
    let problem: StoreProblem;
    if (opening.ok && opening.pending === null) {
      this.log.debug({ ms: Math.round(opening.checkMs), created: opening.created }, 'database opened and quick_check passed');
      try {
        await this.compose(opening.db, dbPath, secret.secret, null);
        if (!deps.rulesOnly) clearSafetyStatus(this.dataDir);
        return;
      } catch (err) {
        const failure = storeFailure(dbPath, err);
        if (failure === null) throw err;
        problem = failure;
      }
    } else if (opening.ok) {
      // a database made in place of a lost or corrupt one, still without rules
      problem = opening.pending!;
      if (deps.rulesOnly) opening.db.close();
      else return this.startSafetyOnly(problem, dbPath, secret.secret, opening.db, opening.pending!);
    } else {
      problem = opening.problem;
    }
    if (deps.rulesOnly) {
      throw new GatewayError(problem.cause === 'corrupt' ? 'STORE_CORRUPT' : 'UNAVAILABLE', `the database ${problem.file} is ${problem.cause}: ${problem.detail}`, {
        hint: recoveryAdvice(problem, [], this.cloudManaged),
      });
    }
    await this.startSafetyOnly(problem, dbPath, secret.secret, null, null);
  }

  /**
   * Starts the doors without rules (safety-only mode, docs/door-path.md). A corrupt file is set
   * aside and a new database at its path holds the journal (durable) and takes the rules when
   * they arrive; a missing one is recreated the same way; a locked, unreadable or too new file is
   * left alone and the journal is in memory (volatile).
   */
  private async startSafetyOnly(problem: StoreProblem, dbPath: string, secret: Buffer, pendingDb: Db | null, pending: RulesUnavailableMark | null): Promise<void> {
    const now = this.deps.clock.now();
    let setAsideAs = pending?.setAside ?? [];
    let movable = problem.cause === 'missing' || problem.cause === 'corrupt';
    if (pending === null && problem.cause === 'corrupt') {
      try {
        setAsideAs = setAside(dbPath, 'corrupt', now);
      } catch (err) {
        // the doors must not wait on the file system: leave the file, keep the journal in memory
        movable = false;
        this.log.error({ code: (err as { code?: string }).code }, `cannot set the corrupt ${dbPath} aside (${(err as Error).message}): it is left where it is`);
      }
    }
    let db = pendingDb;
    if (db === null && movable) {
      try {
        db = openDatabase(dbPath);
        writeMarker(dbPath, now, 'created');
        markRulesUnavailable(db, { ...problem, since: new Date(now).toISOString(), setAside: setAsideAs });
      } catch (err) {
        db?.close();
        db = null;
        this.log.error({ code: (err as { code?: string }).code }, `cannot create a new database at ${dbPath} (${(err as Error).message}): the journal is kept in memory`);
      }
    }
    const journal = db === null ? 'volatile' : 'durable';
    const state: SafetyOnlyState = {
      ...problem, since: pending?.since ?? new Date(now).toISOString(), setAside: setAsideAs, journal,
      recovery: recoveryAdvice(problem, setAsideAs, this.cloudManaged),
    };
    this.safety = state;
    announceSafetyOnly(this.log, state);
    writeSafetyStatus(this.dataDir, state, this.log);
    await this.compose(db ?? openDatabase(':memory:'), journal === 'durable' ? dbPath : null, secret, state);
    try {
      this.r.journal.append({ type: 'alarm', at: now, reason: 'rules_unavailable', data: { cause: state.cause, file: state.file, setAside: state.setAside, journal } });
    } catch (err) {
      this.log.error({ err }, 'could not journal the rules_unavailable alarm');
    }
  }

  /**
   * Builds and starts the services on an open database (closed again if the start fails).
   * `dbPath` is null for an in-memory database; `safety` is set in safety-only mode.
   */
  private async compose(db: Db, dbPath: string | null, secretKey: Buffer, safety: SafetyOnlyState | null): Promise<void> {
    const { config, deps } = this;
    const pinHasher = createPinHasher(secretKey);
    this.safety = safety;
    try {
      const store = new AccessStore(db, pinHasher);
      if (safety === null && config.demo.seed && store.isEmpty()) {
        // revision 0 on a cloud-managed gateway: never synced, the cloud's first snapshot replaces it
        store.applyBatch(demoSiteBatch(deps.clock.now()), { source: 'cloud', revision: this.cloudManaged ? 0 : 1 });
        this.log.info('seeded the demo site');
      }
      const { maxEvents, batchSize, durableIntervalMs, history } = config.journal;
      // without a cloud every event is history at once; a rules-only reader (the CLI) leaves the
      // watermark and the upkeep to the daemon
      const journal = new Journal(db, {
        maxEvents, batchSize, durableIntervalMs, clock: deps.clock, logger: deps.logger, upload: config.cloud.enabled || deps.rulesOnly === true,
        history: deps.rulesOnly ? null : { retentionMs: history.days * 86_400_000, maxEvents: history.maxEvents },
      });
      const writes = new RuntimeWrites(store, new PinLockoutStore(db), new OfflineCodeUseStore(db), this.log);
      const cloudLinked = config.cloud.enabled && !deps.rulesOnly && dbPath !== null;
      // leases and clock trust need the cloud to verify against (docs/access-model.md)
      const trust = new OfflineTrust({
        config: config.offline, cloud: cloudLinked ? config.cloud.sync : null,
        store: new ClockTrustStore(db), writes, journal, clock: deps.clock, logger: deps.logger,
      });
      // also in safety-only mode (its decisions deny every code, and when rules arrive codes work)
      // and for tools (lockgw doorcode asks what a code would do)
      const offlineCodes = this.offlineCodes(db, writes);
      const engine = new AccessEngine({ store, journal, writes, pinHasher, clock: deps.clock, logger: deps.logger, documentTrust: this.documentTrust(), offlineCodes: offlineCodes.codes, trust });
      const behaviours = deps.rulesOnly ? [] : doorBehaviours(config);
      const lockRadio = config.ble.locks && behaviours.some((b) => b.hardware === 'ble') ? new LockRadio({ config: config.ble.locks, clock: deps.clock, logger: deps.logger }) : null;
      const vault = new PairingVault(join(this.dataDir, PAIRING_FILE), secretKey);
      const bleDoor = lockRadio ? (b: DoorBehaviour) => buildBleDoor(b, { radio: lockRadio, vault, clock: deps.clock, logger: deps.logger, record: (e) => journal.append({ ...e, at: deps.clock.now() } as JournalEvent) }) : undefined;
      const hardware = buildSiteHardware(config, behaviours, { clock: deps.clock, logger: deps.logger, binding: deps.serialBinding, bleDoor, gpioLines: deps.gpioLines });
      this.simulated = hardware.simulated;
      let doors: SiteDoors | null = null;
      const phoneKeys = this.phoneKeyRadio(behaviours, { store, engine, door: (id) => doors?.get(id), record: (event) => journal.append(event), clock: deps.clock, log: this.log });
      doors = new SiteDoors(withPhoneKeyReader(hardware.doors, phoneKeys), hardware.fire, this.doorContext(engine, journal, writes, offlineCodes.codes), config.fire?.onFault);
      engine.on('swapped', () => {
        this.rulesArrived(db, engine);
        doors.refreshRules();
      });
      const onMainThread = new MainThreadRulesApplier(engine, store);
      const worker = cloudLinked && config.cloud.sync.worker ? new RulesWorker({ dbPath: dbPath!, secret: secretKey, logger: deps.logger }) : null;
      const rules = worker === null ? onMainThread : new RulesApplierWithFallback(new WorkerRulesApplier({ engine, store, db, journal, writes, worker, logger: deps.logger }), onMainThread, this.log);
      const cloud = cloudLinked ? this.cloudLink(db, secretKey, journal, engine, rules, trust) : null;
      const site = doors;
      const doorService: Service = { name: 'doors', start: () => site.start(), stop: () => site.stop() };
      const journalService: Service = { name: 'journal', start: () => journal.start(), stop: () => journal.stop() };
      // the rules worker is ready before the first snapshot arrives; the cloud link never waits for the broker
      const cloudService: Service[] = cloud ? [{ name: 'cloud link', start: () => cloud.start(), stop: () => cloud.stop() }] : [];
      // the file watch runs last: it may restart everything before it
      const fileWatch = dbPath === null || deps.rulesOnly ? null : new FileWatch(dbPath, deps.clock, FILE_CHECK_INTERVAL_MS, (loss) => void this.recoverLostFile(dbPath, loss, fileWatch!));
      const watch: Service[] = fileWatch ? [fileWatch] : [];
      const metrics = config.metrics.enabled && !deps.rulesOnly ? [this.metricsRunning()] : [];
      // phones are served once their doors run
      const services = new ServiceList([journalService, trust, rulesLoading(engine), ...(lockRadio ? [lockRadio] : []), doorService, ...(phoneKeys ? [phoneKeys] : []), rules, ...cloudService, ...metrics, ...watch], this.log);
      this.running = { db, store, journal, engine, doors: site, rules, worker, cloud, phoneKeys, trust, fingerprints: hardware.fingerprints, services, serialLinks: hardware.serialLinks };
      await services.start();
      if (offlineCodes.codes !== undefined) this.warnUnknownGroupDoors(engine);
      if (offlineCodes.problem !== null && !deps.rulesOnly) {
        journal.append({ type: 'alarm', at: deps.clock.now(), reason: 'offline_codes_unavailable', data: { code: offlineCodes.problem.code, field: offlineCodes.problem.field } });
      }
    } catch (err) {
      this.running = null;
      db.close();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.shutdown();
  }

  /** Stops the services in reverse and closes the database; `beforeClose` runs on the handle in between. */
  private async shutdown<T>(beforeClose?: (db: Db) => T): Promise<T | undefined> {
    const r = this.running;
    if (!r) return undefined;
    let result: T | undefined;
    try {
      await r.services.stop();
    } finally {
      this.running = null;
      try {
        if (beforeClose) result = beforeClose(r.db);
      } finally {
        r.db.close();
      }
    }
    this.log.info('stopped');
    return result;
  }

  /**
   * The database file was deleted or replaced under the running gateway: alarm, stop, write the
   * live database back from the open handle (to the path if it is free, else beside it), and
   * start again on what is at the path then. Emits `storeRecovered` (or `storeRecoveryFailed`).
   */
  private async recoverLostFile(dbPath: string, loss: FileLoss, watch: FileWatch): Promise<void> {
    const r = this.running;
    if (!r) return;
    const now = this.deps.clock.now();
    this.log.error({ file: dbPath, loss }, `the database ${dbPath} was ${loss === 'missing' ? 'deleted' : 'replaced'} while lockgw runs: writing it back from the open handle and restarting on it`);
    try {
      r.journal.append({ type: 'alarm', at: now, reason: loss === 'missing' ? 'database_deleted' : 'database_replaced', data: { file: dbPath } });
    } catch (err) {
      this.log.error({ err }, 'could not journal the database alarm');
    }
    try {
      const copy = await this.shutdown((db) => saveCopy(db, dbPath, now));
      const back = putBack(copy!, dbPath, watch.ownCompanions(), now);
      if (back.restored) this.log.warn({ file: dbPath }, 'the database was written back to its path');
      else this.log.error({ file: dbPath, savedAs: back.file }, `another file took ${dbPath}: the running database was saved as ${back.file}; lockgw now runs on the file at ${dbPath}`);
      await this.start();
      this.emit('storeRecovered', { loss, ...back });
    } catch (err) {
      this.log.error({ err, file: dbPath }, 'could not write the database back and restart');
      this.emit('storeRecoveryFailed', err);
    }
  }

  /** In safety-only mode on a durable database, rules that arrive (revision > 0) end the mode. */
  private rulesArrived(db: Db, engine: AccessEngine): void {
    const safety = this.safety;
    if (safety === null || safety.journal !== 'durable' || engine.index.revision === 0) return;
    clearRulesUnavailable(db);
    this.safety = null;
    clearSafetyStatus(this.dataDir);
    this.log.warn({ revision: engine.index.revision, file: safety.file }, 'rules arrived: safety-only mode ended, credentials are decided again');
    try {
      this.r.journal.append({ type: 'alarm', at: this.deps.clock.now(), reason: 'rules_restored', data: { revision: engine.index.revision, cause: safety.cause } });
    } catch {
      // the running check: this runs only while started
    }
  }

  /** The phone-key radio, when doors take phone keys and a radio is configured (or links are injected). */
  private phoneKeyRadio(behaviours: readonly DoorBehaviour[], ports: PhoneKeyPortDeps): PhoneKeyRadio | null {
    const doorIds = behaviours.filter((b) => b.ble?.phoneKey).map((b) => b.id);
    const config = this.config.ble.phoneKeys;
    if (doorIds.length === 0 || config === undefined) return null;
    return new PhoneKeyRadio({
      config, gatewayId: this.config.gateway.id, doorIds, ports: phoneKeyPorts(ports),
      clock: this.deps.clock, logger: this.deps.logger, links: this.deps.phoneLinks,
    });
  }

  /** Phones' access documents are signed by the cloud's keys; a gateway with none configured trusts none. */
  private documentTrust(): AccessDocumentTrust | undefined {
    const cloud = this.config.cloud;
    if (cloud.keys.length === 0) return undefined;
    return { keys: loadCloudKeys(cloud.keys), gatewayId: this.config.gateway.id, issuer: cloud.issuer, maxSkewMs: cloud.maxSkewMs };
  }

  /**
   * Offline doorcodes when the config enables them. A secret that cannot be read does not stop the
   * doors: it is logged (and journaled once started) and codes open nothing until it is installed.
   */
  private offlineCodes(db: Db, writes: RuntimeWrites): { codes: OfflineCodes | undefined; problem: { code: string; field: string } | null } {
    const config = this.config.offlineCodes;
    if (!config.enabled) return { codes: undefined, problem: null };
    try {
      const secret = loadDeviceSecret(join(this.dataDir, config.secretFile), false, OFFLINE_CODE_SECRET);
      if (secret.warning) this.log.warn(secret.warning);
      const codes = new OfflineCodes({ secret: secret.secret, length: config.length, stay: stayTimes(config), groups: config.groups, store: new OfflineCodeUseStore(db), writes });
      return { codes, problem: null };
    } catch (err) {
      if (!isGatewayError(err, 'SECRET_UNAVAILABLE')) throw err;
      this.log.error({ code: err.code, hint: err.details.hint }, `offline doorcodes are off: ${err.message}`);
      return { codes: undefined, problem: { code: err.code, field: OFFLINE_CODE_SECRET.field } };
    }
  }

  /** A door group naming a door the rules do not have is likely a typo: its codes open nothing there. */
  private warnUnknownGroupDoors(engine: AccessEngine): void {
    for (const [group, doorIds] of Object.entries(this.config.offlineCodes.groups)) {
      const unknown = doorIds.filter((d) => !engine.knowsDoor(d));
      if (unknown.length > 0) this.log.warn({ group, doors: unknown }, `offlineCodes.groups.${group} names doors the site's rules do not have: ${unknown.join(', ')}`);
    }
  }

  /** What the doors ask and tell: the engine's decisions and queries, the journal, the keypad lockouts. */
  private doorContext(engine: AccessEngine, journal: Journal, writes: RuntimeWrites, offlineCodes: OfflineCodes | undefined): DoorContext {
    const { clock, logger } = this.deps;
    const codeLength = offlineCodes?.length;
    return {
      clock,
      logger,
      // safety-only mode: no rules, no decision (fire release and REX do not ask)
      decide: (p) => (this.safety === null ? engine.evaluate(p) : rulesUnavailableVerdict(p.doorId)),
      recordDecision: (p, v) => engine.recordDecision(p, v),
      record: (event) => journal.append({ ...event, at: clock.now() } as JournalEvent),
      hashPin: (digits) => engine.hashPin(digits),
      lockouts: { load: (doorId) => writes.loadLockout(doorId), save: (doorId, state) => writes.saveLockout(doorId, state) },
      passageOpen: (scheduleId, now) => engine.passageOpen(scheduleId, now),
      localDay: (now) => engine.localDay(now),
      lockedDown: (doorId) => engine.lockedDown(doorId),
      ...(codeLength === undefined ? {} : {
        offlineCodes: {
          length: codeLength,
          decide: (doorId: string, digits: string) => (this.safety === null
            ? engine.evaluateKeypadCode(doorId, digits)
            : { presentation: { doorId, kind: 'pin' as const, value: engine.hashPin(digits) }, verdict: rulesUnavailableVerdict(doorId) }),
        },
      }),
    };
  }

  private cloudLink(db: Db, deviceSecret: Buffer, journal: Journal, engine: AccessEngine, rules: RulesApplier, trust: OfflineTrust): CloudLink {
    const { config, deps } = this;
    return new CloudLink({
      config: config.cloud, gatewayId: config.gateway.id, journal, clock: deps.clock, logger: deps.logger,
      stateExtras: () => ({ ...engine.applied(), software: `lockgw ${lockgwVersion()}`, maxRevocationStalenessMs: trust.maxRevocationStalenessMs() }),
      sync: {
        applied: () => engine.applied(),
        apply: (change) => rules.apply(change),
        stageChunk: (snapshotId, chunkIndex, operations) => rules.stageChunk(snapshotId, chunkIndex, operations),
        dropChunks: (snapshotId) => rules.dropChunks(snapshotId),
      },
      control: this.cloudControl(),
      // chunks are verified where they are kept, once the worker runs
      chunkDecoder: () => rules.chunkDecoder(),
      // handled commands are written down: a replay after a restart is still refused
      replayLedger: new CommandReplayStore(db),
      // what was applied per revision is written down: an old delta with other content replayed after a restart is still a conflict
      appliedHistory: { ledger: new AppliedRevisionStore(db), deviceSecret },
      // verified heartbeats and applies renew the leases and give the clock its trust back
      contact: { heartbeat: (cloudTime, upToDate) => trust.heartbeat(cloudTime, upToDate), applied: () => trust.applied() },
    });
  }

  /** What the cloud's commands act on, and the door status it is sent. */
  private cloudControl(): GatewayControl {
    return {
      hasDoor: (doorId) => this.r.doors.get(doorId) !== undefined || this.r.engine.knowsDoor(doorId),
      unlockDoor: (doorId, ms, correlationId) => {
        const door = this.r.doors.get(doorId);
        if (door === undefined) throw new GatewayError('UNAVAILABLE', `door ${doorId} has no lock on this gateway`, { entity: 'door', id: doorId });
        door.remoteUnlock(ms, `cloud command ${correlationId}`);
      },
      setLockdown: (doorId, on) => this.setLockdown(doorId, on),
      status: () => {
        const { engine, journal, doors } = this.r;
        const { count, lastSeq, fill, dropped } = journal.stats();
        return {
          ...engine.applied(),
          siteId: engine.index.siteId,
          journal: { count, lastSeq, fill, dropped },
          ...this.offlineTrust(),
          doors: doors.status().map((d) => ({ doorId: d.doorId, mode: d.mode, actuator: d.actuator, open: d.open, alarms: d.alarms, health: d.health.state })),
        };
      },
      doorStatuses: () => this.r.doors.status(),
    };
  }

  /** Clock trust and offline lease, as the cloud `status` command and `lockgw status` show them. */
  /** The clock as the doctor reports it: the decisions' trust first, the heartbeat's offset beside it. */
  private doctorClock(heartbeat: { trust: string; offsetMs: number | null }): { trust: string; offsetMs: number | null } {
    const clock = this.offlineTrust().clock;
    if (clock === null) return heartbeat;
    if (!clock.trusted) return { trust: `untrusted (${clock.reason ?? 'unknown'})`, offsetMs: clock.skewMs };
    return heartbeat.trust === 'unknown' ? heartbeat : { trust: 'trusted', offsetMs: heartbeat.offsetMs };
  }

  offlineTrust(): { clock: Extract<OfflineTrustStatus, { enabled: true }>['clock'] | null; lease: Extract<OfflineTrustStatus, { enabled: true }>['lease'] | null } {
    const status = this.r.trust.status();
    return status.enabled ? { clock: status.clock, lease: status.lease } : { clock: null, lease: null };
  }

  /** What the control socket acts on. */
  controlTarget(): ControlTarget {
    const gateway = this;
    return {
      timeZone: () => this.r.engine.index.timeZone,
      health: () => this.health(),
      doorStatuses: () => this.r.doors.status(),
      trust: () => this.offlineTrust(),
      doorIds: () => this.r.doors.status().map((d) => d.doorId),
      lastEventSeq: () => this.r.journal.stats().lastSeq,
      // what a request journaled, buffered or written: no flush, no fsync (docs/durability.md)
      eventsAfter: (after, limit) => this.r.journal.recent(after, limit),
      lockdown: (doorId, on, caller) => {
        const { engine, journal } = this.r;
        if (doorId !== null && !engine.knowsDoor(doorId)) throw new GatewayError('NOT_FOUND', `door ${doorId} does not exist`, { entity: 'door', id: doorId, field: 'door' });
        journal.append({ type: 'security', at: this.deps.clock.now(), ...(doorId ? { doorId } : {}), reason: 'control_lockdown', data: { on, uid: caller.uid, user: caller.user } });
        engine.setLockdown(doorId, on);
        // the lockdown is stored with an fsync; who asked for it must survive a power cut as well before the operator is told
        journal.flush(true);
      },
      // the daemon's own account and root are Owner (they can write the database anyway)
      admin: (envelope, caller) => this.localAdmin(new Set([0, process.getuid?.() ?? 0])).run(envelope, caller),
      refused: (command, doorId, caller, reason) => {
        this.r.journal.append({ type: 'security', at: this.deps.clock.now(), ...(doorId ? { doorId } : {}), reason: 'control_refused', data: { command, uid: caller?.uid ?? null, user: caller?.user ?? null, why: reason } });
      },
      get simulated() {
        return gateway.simulated;
      },
      commissioning: doorCommissioning(() => this.r, this.deps.clock),
    };
  }

  /**
   * The metrics (docs/metrics.md) as a service. The doors do not need them: an endpoint or textfile
   * that cannot start is logged (naming its field) and the gateway runs without it.
   */
  private metricsRunning(): Service {
    this.metricsService ??= new GatewayMetrics({
      config: this.config.metrics, gatewayId: this.config.gateway.id, version: lockgwVersion(), clock: this.deps.clock, logger: this.deps.logger,
      source: {
        read: () => ({ now: this.deps.clock.now(), health: this.health(), doors: this.r.doors.status(), trust: this.r.trust.status(), journal: this.r.journal.stats(), safetyOnly: this.safety !== null }),
        watchJournal: (listener) => this.r.journal.watch(listener),
      },
    });
    const metrics = this.metricsService;
    return {
      name: metrics.name,
      start: () => metrics.start().catch((err: unknown) => {
        this.log.error({ code: (err as { code?: string }).code, hint: (err as GatewayError).details?.hint }, `metrics disabled: ${(err as Error).message}`);
      }),
      stop: () => metrics.stop(),
    };
  }

  /** The metrics when `metrics.enabled` (their endpoint and textfile while they run); null otherwise. */
  get metrics(): GatewayMetrics | null {
    return this.metricsService;
  }

  /** The cloud link, serial links, rules and journal, as `lockgw doctor` reports them. */
  private health(): GatewayHealth {
    const { journal, engine, cloud, serialLinks } = this.r;
    const { count, capacity, fill, dropped, lastSeq } = journal.stats();
    const link = cloud?.status() ?? null;
    return {
      cloud: link === null ? null : {
        connection: link.connection?.state ?? 'stopped',
        reason: link.connection?.reason ?? null,
        lastHeartbeatAt: link.heartbeat?.lastHeartbeatAt ?? null,
        stale: link.heartbeat?.stale ?? false,
        // what the decisions use (a clock set back is untrusted even when the last heartbeat agreed)
        clock: this.doctorClock(link.heartbeat?.clock ?? { trust: 'unknown', offsetMs: null }),
        cloudRevision: link.heartbeat?.cloudRevision ?? null,
        unacknowledged: Math.max(0, lastSeq - (link.upload?.ackedSeq ?? 0)),
      },
      rules: engine.applied(),
      journal: { count, capacity, fill, dropped, lastSeq },
      links: serialLinks(),
    };
  }

  private get r(): Running {
    if (!this.running) throw new GatewayError('NOT_STARTED', 'the gateway is not started');
    return this.running;
  }

  /** the cloud link, when `cloud.enabled` */
  get cloud(): CloudLink | null {
    return this.r.cloud;
  }

  /** Offline leases and clock trust (diagnostics, tests): its status and its events. */
  get trust(): OfflineTrust {
    return this.r.trust;
  }

  /** The rules worker, when cloud changes are applied off the doors' thread (diagnostics, tests). */
  get rulesWorker(): RulesWorker | null {
    return this.running?.worker ?? null;
  }

  get doors(): SiteDoors {
    return this.r.doors;
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

  get engine(): AccessEngine {
    return this.r.engine;
  }

  get index(): AccessIndex {
    return this.r.engine.index;
  }

  hashPin(pin: string): string {
    return this.r.engine.hashPin(pin);
  }

  /** The decision and its record, for callers that do not act (tests, tools). */
  decide(presentation: Presentation): Verdict {
    if (this.safety === null) return this.r.engine.decide(presentation);
    const verdict = rulesUnavailableVerdict(presentation.doorId);
    this.r.engine.recordDecision(presentation, verdict);
    return verdict;
  }

  setLockdown(doorId: string | null, on: boolean): void {
    this.r.engine.setLockdown(doorId, on);
  }

  /** The revision and content hash the doors decide with. */
  applied(): AppliedState {
    return this.r.engine.applied();
  }

  /**
   * Refused (CLOUD_MANAGED) on a cloud-managed gateway: the cloud owns its revisions. With
   * `forceLocal` a local batch is applied at the cloud's revision, unchanged: the cloud's next
   * delta then fails its hash check and the snapshot it asks for replaces the local change.
   */
  applyBatch(raw: unknown, options: ApplyOptions, local: { forceLocal?: boolean } = {}): AppliedState {
    if (this.cloudManaged && options.source === 'local') {
      if (!local.forceLocal) {
        throw new GatewayError('CLOUD_MANAGED', 'this gateway takes its rules from the cloud: change them in the cloud, not locally', { hint: 'or set cloud.enabled: false (or --force-local: the cloud\'s next snapshot wins)' });
      }
      return this.r.engine.applyBatch(raw, { ...options, revision: this.r.engine.applied().revision });
    }
    return this.r.engine.applyBatch(raw, options);
  }

  /**
   * The admin verbs (docs/standalone.md) on this gateway's database: `ownerUids` are Owner
   * whatever the operator table says (root, the daemon's account, the database file's owner).
   */
  localAdmin(ownerUids: ReadonlySet<number>, accounts: SystemAccounts = systemAccounts()): LocalAdmin {
    const db = this.r.db;
    return new LocalAdmin({ target: this, operators: new OperatorStore(db), pinPolicy: new PinPolicyStore(db), stock: new CardStockStore(db), accounts, clock: this.deps.clock, ownerUids });
  }

  /** A snapshot or delta from the cloud, applied as the cloud link applies it (rules worker or main thread). */
  applyCloudChange(change: RulesChange): AppliedState | Promise<AppliedState> {
    return this.r.rules.apply(change);
  }
}

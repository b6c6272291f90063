/**
 * Offline leases and clock trust at run time (docs/access-model.md): reads the system clock
 * through the injected Clock, feeds clockTrust.ts, keeps its record in the database across
 * restarts, journals the transitions as alarms and tells each decision what it needs to know
 * (a DecisionTrust). The cloud link reports what it verified (heartbeats, applies) through the
 * VerifiedContact port it declares; app/gateway.ts connects the two.
 *
 * Only a gateway with a cloud link judges: without one there is nothing to verify the rules or the
 * clock against, so no lease applies and the clock is not judged (`enabled: false`).
 *
 * The record is written on every change of trust and every verification, and otherwise at most
 * once a minute of trusted time; never while the rules worker holds the database (it waits for the
 * next check), so the doors' thread never blocks on the write lock.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { classBit, STANDALONE_TRUST, type DecisionTrust } from '../access/decisionTrust.js';
import { OFFLINE_CLASSES, type OfflineClass } from '../access/offlineClass.js';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { guardedEmit } from '../kernel/guardedEmit.js';
import type { Journal } from '../journal/journal.js';
import type { ClockTrustStore } from '../store/clockTrustStore.js';
import { ClockTrust, freshRecord, type ClockDistrust, type TrustTransition } from './clockTrust.js';
import type { OfflineTrustConfig } from './offlineTrustConfig.js';
import type { RuntimeWrites } from './runtimeWrites.js';

const PERSIST_EVERY_MS = 60_000;

export interface OfflineTrustOptions {
  config: OfflineTrustConfig;
  /** the cloud link's limits; null: no cloud link (no lease, no judgement) */
  cloud: { staleAfterMs: number; maxClockSkewMs: number } | null;
  store: Pick<ClockTrustStore, 'load' | 'save'>;
  /** while it defers, the rules worker holds the database: the record waits */
  writes: Pick<RuntimeWrites, 'deferring'>;
  journal: Pick<Journal, 'append'>;
  clock: Clock;
  logger: Logger;
}

export interface ClockStatus {
  trusted: boolean;
  /** why not, while untrusted */
  reason: ClockDistrust | null;
  /** the offset that made it untrusted, or of the last heartbeat: cloud (or previous reading) − system clock, ms */
  skewMs: number | null;
  /** the last-trusted time (epoch ms) */
  lastTrustedAt: number;
  /** since when (trusted timeline) it is untrusted */
  untrustedSince: number | null;
}

export interface LeaseStatus {
  /** when the rules were last verified (a signed heartbeat the gateway is up to date with, or an apply), on the trusted timeline */
  verifiedAt: number;
  staleForMs: number;
  /**
   * the bound on how old a revocation the doors ignore can be: the largest lease of a class that
   * does not fail open; null: unbounded (a class fails open)
   */
  maxRevocationStalenessMs: number | null;
  /** classes past their lease: denied, or still opening where they fail open */
  expired: OfflineClass[];
  failingOpen: OfflineClass[];
}

export type OfflineTrustStatus = { enabled: false } | { enabled: true; clock: ClockStatus; lease: LeaseStatus };

interface Lease {
  cls: OfflineClass;
  ms: number;
  failOpen: boolean;
}

/** What it tells (diagnostics, tests): the rules were verified; the clock's trust changed. */
export type OfflineTrustEvents = { verified: []; transition: [TrustTransition] };

export class OfflineTrust extends EventEmitter<OfflineTrustEvents> {
  readonly name = 'offline trust';
  private machine: ClockTrust | null = null;
  private timer: TimerHandle | null = null;
  private readonly leases: readonly Lease[];
  private readonly log: Logger;
  private lastSkewMs: number | null = null;
  private dirty = false;
  private persistedTrustedAt = -Infinity;
  private expiredMask = 0;

  constructor(private readonly options: OfflineTrustOptions) {
    super();
    this.log = options.logger.child({ module: 'engine:trust' });
    const cloud = options.cloud;
    this.leases = cloud === null ? [] : OFFLINE_CLASSES.map((cls) => {
      const lease = options.config.leases[cls];
      return { cls, ms: lease.maxStalenessMs === 0 ? cloud.staleAfterMs : lease.maxStalenessMs, failOpen: lease.failOpen };
    }).sort((a, b) => a.ms - b.ms);
  }

  /** Loads the record (or starts one), judges the first reading, and reads the clock every checkIntervalMs. */
  async start(): Promise<void> {
    const { cloud, config, store, clock } = this.options;
    if (cloud === null || this.machine !== null) return;
    const now = clock.now();
    const loaded = store.load();
    if (!loaded.ok) {
      this.log.error({ detail: loaded.detail }, 'the clock-trust record cannot be read: the lease counts from now');
      this.alarm('clock_trust_record_unreadable', { detail: loaded.detail });
    }
    const record = loaded.ok && loaded.row !== null ? loaded.row : freshRecord(now);
    const { behindToleranceMs, maxStepMs, checkIntervalMs } = config.clock;
    this.machine = new ClockTrust(record, { behindToleranceMs, maxStepMs, expectedGapMs: checkIntervalMs, maxSkewMs: cloud.maxClockSkewMs });
    if (record.untrusted !== null) this.log.warn({ reason: record.untrusted.reason }, 'the clock was untrusted before the restart and stays so until a heartbeat agrees');
    this.judged(this.machine.observe(now, true));
    this.dirty = true;
    this.persist();
    this.arm();
  }

  async stop(): Promise<void> {
    this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.machine === null) return;
    this.dirty = true;
    this.persist();
    this.machine = null;
  }

  /** What a decision at `now` (the system clock) must know. */
  at(now: number): DecisionTrust {
    const machine = this.machine;
    if (machine === null) return STANDALONE_TRUST;
    this.judged(machine.observe(now));
    return { clockTrusted: machine.trusted, expiredClasses: this.leaseMask(machine.staleForMs) };
  }

  /** A signed heartbeat was accepted (VerifiedContact). */
  heartbeat(cloudTime: number, upToDate: boolean): void {
    const machine = this.machine;
    if (machine === null) return;
    const now = this.options.clock.now();
    this.lastSkewMs = cloudTime - now;
    this.judged(machine.heartbeat(now, cloudTime, upToDate));
    this.leaseMask(machine.staleForMs);
    this.dirty = true;
    this.persist();
    if (upToDate) this.tell('verified');
  }

  /** A signed snapshot or delta was applied (VerifiedContact). */
  applied(): void {
    const machine = this.machine;
    if (machine === null) return;
    this.judged(machine.applied(this.options.clock.now()));
    this.leaseMask(machine.staleForMs);
    this.dirty = true;
    this.persist();
    this.tell('verified');
  }

  /** The configured bound: the largest lease of a class that does not fail open; null: unbounded or no lease. */
  maxRevocationStalenessMs(): number | null {
    if (this.leases.length === 0 || this.leases.some((l) => l.failOpen)) return null;
    return this.leases[this.leases.length - 1]!.ms;
  }

  /** As of now (the clock is read and judged first, as a decision would). */
  status(): OfflineTrustStatus {
    const machine = this.machine;
    if (machine === null) return { enabled: false };
    this.judged(machine.observe(this.options.clock.now()));
    this.leaseMask(machine.staleForMs);
    const { trustedAt, verifiedAt, untrusted } = machine.record;
    const staleForMs = machine.staleForMs;
    const past = this.leases.filter((l) => staleForMs > l.ms);
    return {
      enabled: true,
      clock: {
        trusted: untrusted === null,
        reason: untrusted?.reason ?? null,
        skewMs: untrusted?.skewMs ?? this.lastSkewMs,
        lastTrustedAt: trustedAt,
        untrustedSince: untrusted?.since ?? null,
      },
      lease: {
        verifiedAt, staleForMs, maxRevocationStalenessMs: this.maxRevocationStalenessMs(),
        expired: past.filter((l) => !l.failOpen).map((l) => l.cls),
        failingOpen: past.filter((l) => l.failOpen).map((l) => l.cls),
      },
    };
  }

  /** The classes past their lease that are denied, as DecisionTrust bits; journals a change. */
  private leaseMask(staleForMs: number): number {
    let mask = 0;
    for (const lease of this.leases) {
      if (staleForMs <= lease.ms) break; // sorted by lease: the rest are within theirs
      if (!lease.failOpen) mask |= classBit(lease.cls);
    }
    if (mask !== this.expiredMask) {
      const before = this.expiredMask;
      this.expiredMask = mask;
      const named = (bits: number) => this.leases.filter((l) => (bits & classBit(l.cls)) !== 0).map((l) => l.cls);
      const expired = named(mask & ~before);
      const renewed = named(before & ~mask);
      if (expired.length > 0) {
        this.log.warn({ classes: expired, staleForMs }, 'offline lease expired: these credentials are denied until the rules are verified again');
        this.alarm('offline_lease_expired', { classes: expired, staleForMs });
      }
      if (renewed.length > 0) {
        this.log.info({ classes: renewed }, 'offline lease renewed');
        this.alarm('offline_lease_renewed', { classes: renewed });
      }
    }
    return mask;
  }

  private judged(transition: TrustTransition | null): void {
    if (transition === null) return;
    this.dirty = true;
    if (transition.to === 'untrusted') {
      this.log.warn({ reason: transition.reason, skewMs: transition.skewMs }, 'the system clock is not trusted: time-restricted grants are denied until a heartbeat agrees');
      this.alarm('clock_untrusted', { reason: transition.reason, skewMs: transition.skewMs });
    } else {
      this.log.info({ skewMs: transition.skewMs }, 'a heartbeat agrees with the system clock: trusted again');
      this.alarm('clock_trusted', { skewMs: transition.skewMs, untrustedForMs: transition.wasUntrustedFor });
    }
    this.tell('transition', transition);
    // written at the next turn: a decision never waits for the database
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => this.check(), 0);
  }

  private check(): void {
    this.timer = null;
    const machine = this.machine;
    if (machine === null) return;
    this.judged(machine.observe(this.options.clock.now()));
    this.leaseMask(machine.staleForMs);
    this.persist();
    this.arm();
  }

  private arm(): void {
    if (this.machine === null || this.timer !== null) return;
    this.timer = this.options.clock.setTimeout(() => this.check(), this.options.config.clock.checkIntervalMs);
  }

  private persist(): void {
    const machine = this.machine;
    if (machine === null || this.options.writes.deferring) return;
    const record = machine.record;
    if (!this.dirty && record.trustedAt - this.persistedTrustedAt < PERSIST_EVERY_MS) return;
    try {
      this.options.store.save(record);
      this.dirty = false;
      this.persistedTrustedAt = record.trustedAt;
    } catch (err) {
      this.log.warn({ err }, 'could not write the clock-trust record; it is written at the next check');
    }
  }

  private tell<K extends keyof OfflineTrustEvents>(event: K, ...args: OfflineTrustEvents[K]): void {
    guardedEmit(this, (err) => this.log.error({ err, event }, 'an offline-trust listener threw; carrying on'), event, ...args);
  }

  private alarm(reason: string, data: Record<string, unknown>): void {
    try {
      this.options.journal.append({ type: 'alarm', at: this.options.clock.now(), reason, data });
    } catch (err) {
      this.log.error({ err, reason }, 'could not journal a clock-trust alarm');
    }
  }
}

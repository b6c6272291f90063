/**
 * The gateway's judgement of its own clock and of how fresh its rules are, as a state machine fed
 * with readings of the system clock (docs/access-model.md "Clock trust", "Offline leases"). No
 * I/O and no clock of its own: offlineTrust.ts reads the clock, persists the record and journals
 * the transitions.
 *
 * It keeps a *trusted timeline*: while the clock is trusted it is the system clock (never moving
 * back); while it is not, it moves on by what the system clock moves forward and never back. So a
 * clock set back can neither re-open a window that closed nor stretch a lease, and a clock set
 * forward expires leases sooner (fail secure). The timeline's latest reading is the last-trusted
 * time that is persisted.
 *
 * The clock becomes untrusted when a reading is
 *   - behind the previous one by more than `behindToleranceMs`          clock_behind
 *   - ahead of it by more than `maxStepMs` beyond the expected gap       clock_step
 *     (`expectedGapMs`: the longest time between two readings of a running gateway)
 *   - more than `maxSkewMs` away from a signed heartbeat's time          cloud_disagrees
 * and trusted again only by a signed heartbeat whose time is within `maxSkewMs` of the clock.
 * After a restart only `clock_behind` applies to the first reading: any time forward is downtime.
 */
export const CLOCK_DISTRUSTS = ['clock_behind', 'clock_step', 'cloud_disagrees'] as const;
export type ClockDistrust = (typeof CLOCK_DISTRUSTS)[number];

export interface ClockTrustRecord {
  /** the trusted timeline at the last reading: the last-trusted time (epoch ms) */
  trustedAt: number;
  /** the system clock at the last reading */
  observedAt: number;
  /** the trusted timeline when the gateway last verified its rules with the cloud */
  verifiedAt: number;
  /** null while the clock is trusted */
  untrusted: { reason: ClockDistrust; since: number; skewMs: number } | null;
}

export interface ClockTrustLimits {
  behindToleranceMs: number;
  maxStepMs: number;
  expectedGapMs: number;
  maxSkewMs: number;
}

/** What a reading changed, for the journal: the clock's trust lost or regained. */
export type TrustTransition =
  | { to: 'untrusted'; reason: ClockDistrust; skewMs: number }
  | { to: 'trusted'; skewMs: number; wasUntrustedFor: number };

/** A first start: nothing is known, the lease counts from now. */
export function freshRecord(now: number): ClockTrustRecord {
  return { trustedAt: now, observedAt: now, verifiedAt: now, untrusted: null };
}

export class ClockTrust {
  private state: ClockTrustRecord;

  constructor(record: ClockTrustRecord, private readonly limits: ClockTrustLimits) {
    this.state = { ...record, untrusted: record.untrusted === null ? null : { ...record.untrusted } };
  }

  get record(): ClockTrustRecord {
    return { ...this.state, untrusted: this.state.untrusted === null ? null : { ...this.state.untrusted } };
  }

  get trusted(): boolean {
    return this.state.untrusted === null;
  }

  /** How long since the rules were last verified, on the trusted timeline (never negative). */
  get staleForMs(): number {
    return Math.max(0, this.state.trustedAt - this.state.verifiedAt);
  }

  /** A reading of the system clock; `afterRestart`: the first one since the record was loaded. */
  observe(wall: number, afterRestart = false): TrustTransition | null {
    const s = this.state;
    const delta = wall - s.observedAt;
    s.observedAt = wall;
    if (s.untrusted !== null) {
      s.trustedAt += Math.max(0, delta);
      return null;
    }
    if (delta < -this.limits.behindToleranceMs) return this.distrust('clock_behind', delta);
    if (!afterRestart && delta > this.limits.expectedGapMs + this.limits.maxStepMs) {
      s.trustedAt += delta; // leases count the jump: fail secure
      return this.distrust('clock_step', delta);
    }
    s.trustedAt = Math.max(s.trustedAt, wall);
    return null;
  }

  /**
   * A signed heartbeat was accepted: the cloud's clock read `cloudTime`; `upToDate`: the gateway
   * has applied the newest revision it names (only then are its rules verified fresh).
   */
  heartbeat(wall: number, cloudTime: number, upToDate: boolean): TrustTransition | null {
    const stepped = this.observe(wall);
    const s = this.state;
    const skewMs = cloudTime - wall;
    let transition = stepped;
    if (Math.abs(skewMs) <= this.limits.maxSkewMs) {
      if (s.untrusted !== null) {
        transition = { to: 'trusted', skewMs, wasUntrustedFor: Math.max(0, s.trustedAt - s.untrusted.since) };
        s.untrusted = null;
      }
      // the cloud vouches for the system clock: the timeline is the clock again
      s.trustedAt = wall;
    } else if (s.untrusted === null) {
      transition = this.distrust('cloud_disagrees', skewMs);
    } else {
      s.untrusted.skewMs = skewMs;
    }
    if (upToDate) s.verifiedAt = s.trustedAt;
    return transition;
  }

  /** A signed snapshot or delta was applied: the rules are verified fresh (the clock's trust is unchanged). */
  applied(wall: number): TrustTransition | null {
    const transition = this.observe(wall);
    this.state.verifiedAt = this.state.trustedAt;
    return transition;
  }

  private distrust(reason: ClockDistrust, skewMs: number): TrustTransition {
    this.state.untrusted = { reason, since: this.state.trustedAt, skewMs };
    return { to: 'untrusted', reason, skewMs };
  }
}

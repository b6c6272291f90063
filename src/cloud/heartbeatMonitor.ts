/**
 * Watches the cloud's signed heartbeats (messages.ts HeartbeatSchema):
 *
 * - Stale: no accepted heartbeat for `staleAfterMs` since start() or since the last accepted one.
 *   This is how an attacker who blocks or freezes the cloud's updates becomes visible. 'stale' is
 *   emitted once per episode ({ sinceMs }: how long without a heartbeat); while the episode
 *   lasts, 'stillStale' ({ sinceMs }) follows every `staleRepeatMs`; the next accepted heartbeat
 *   ends it and emits 'fresh'.
 * - Behind: the cloud has a newer revision than the gateway applied. 'behind' is emitted on every
 *   accepted heartbeat that shows it (the sync engine decides whether a request is already under
 *   way); onApplied() keeps status() current between heartbeats.
 * - Clock offset: offset = heartbeat time − local time. |offset| <= maxClockSkewMs (default 2 min)
 *   is 'trusted', beyond 'skewed', shown in status() as an observation. It raises no alarm: the
 *   engine's offline trust (engine/offlineTrust.ts) judges the clock from the same heartbeat and
 *   raises the one alarm, `clock_untrusted` (reason cloud_disagrees), which has the consequence
 *   (time-restricted grants denied) and is cleared by `clock_trusted` (docs/mqtt.md).
 * - Replay: a heartbeat whose time is not after the previous accepted one is ignored (no
 *   freshness, no revision) and onHeartbeat says so: replaying the newest heartbeat over and over
 *   must not hide a freeze. A QoS 1 redelivery of the same heartbeat is harmlessly ignored too.
 *
 * Heartbeats arrive already verified (the link decodes every cloud message). Listeners are
 * guarded: one that throws is logged and the others still run.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Heartbeat } from '../wire/messages.js';

export type ClockTrust = 'unknown' | 'trusted' | 'skewed';

export interface HeartbeatStatus {
  stale: boolean;
  /** local clock time of the last accepted heartbeat */
  lastHeartbeatAt: number | null;
  cloudRevision: number | null;
  /** the cloud has a revision above the one the gateway applied */
  behind: boolean;
  clock: { trust: ClockTrust; offsetMs: number | null };
}

export type HeartbeatEvents = {
  stale: [{ sinceMs: number }];
  /** every staleRepeatMs while the episode lasts (not with the first: that is 'stale') */
  stillStale: [{ sinceMs: number }];
  fresh: [];
  behind: [{ cloudRevision: number; appliedRevision: number }];
};

export type HeartbeatVerdict = { accepted: true } | { accepted: false; reason: 'replay' };

export interface HeartbeatMonitorOptions {
  clock: Clock;
  logger: Logger;
  /** stale after this long without a heartbeat */
  staleAfterMs: number;
  /** while stale, 'stillStale' is emitted this often; absent: never */
  staleRepeatMs?: number;
  /** the largest |cloud time − local time| that is trusted; default 120,000 */
  maxClockSkewMs?: number;
}

const DEFAULT_MAX_CLOCK_SKEW_MS = 120_000;

export class HeartbeatMonitor extends EventEmitter<HeartbeatEvents> {
  private readonly options: HeartbeatMonitorOptions;
  private readonly log: Logger;
  private running = false;
  private timer: TimerHandle | null = null;
  /** local time the current wait for a heartbeat began (start or the last heartbeat) */
  private waitingSince = 0;
  private stale = false;
  private lastHeartbeatAt: number | null = null;
  private lastCloudTime: number | null = null;
  private cloudRevision: number | null = null;
  private appliedRevision = 0;
  private trust: ClockTrust = 'unknown';
  private offsetMs: number | null = null;

  constructor(options: HeartbeatMonitorOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ module: 'cloud:heartbeat' });
  }

  /** Starts waiting for heartbeats: stale after staleAfterMs without one. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stale = false;
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** A verified heartbeat, and the revision the gateway has applied. */
  onHeartbeat(hb: Heartbeat, appliedRevision: number): HeartbeatVerdict {
    if (this.lastCloudTime !== null && hb.time <= this.lastCloudTime) {
      this.log.warn({ time: hb.time, previous: this.lastCloudTime, revision: hb.revision }, 'heartbeat not newer than the previous one: ignored (replay)');
      return { accepted: false, reason: 'replay' };
    }
    const now = this.options.clock.now();
    this.lastCloudTime = hb.time;
    this.lastHeartbeatAt = now;
    this.cloudRevision = hb.revision;
    this.appliedRevision = appliedRevision;
    if (this.running) this.arm();
    if (this.stale) {
      this.stale = false;
      this.log.info('heartbeats again: no longer stale');
      this.emitGuarded('fresh');
    }
    this.checkClock(hb.time - now);
    if (hb.revision > appliedRevision) {
      this.log.info({ cloudRevision: hb.revision, appliedRevision }, 'the cloud has a newer revision');
      this.emitGuarded('behind', { cloudRevision: hb.revision, appliedRevision });
    }
    return { accepted: true };
  }

  /** The gateway applied a revision (keeps `behind` current between heartbeats). */
  onApplied(revision: number): void {
    this.appliedRevision = revision;
  }

  status(): HeartbeatStatus {
    return {
      stale: this.stale,
      lastHeartbeatAt: this.lastHeartbeatAt,
      cloudRevision: this.cloudRevision,
      behind: this.cloudRevision !== null && this.cloudRevision > this.appliedRevision,
      clock: { trust: this.trust, offsetMs: this.offsetMs },
    };
  }

  private checkClock(offsetMs: number): void {
    const before = this.trust;
    this.offsetMs = offsetMs;
    this.trust = Math.abs(offsetMs) <= (this.options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS) ? 'trusted' : 'skewed';
    if (this.trust === 'skewed' && before !== 'skewed') {
      this.log.info({ offsetMs }, 'local clock differs from the cloud clock beyond the tolerated skew (the offline trust judges it)');
    } else if (this.trust === 'trusted' && before === 'skewed') {
      this.log.info({ offsetMs }, 'local clock agrees with the cloud clock again');
    }
  }

  private arm(): void {
    const { clock, staleAfterMs } = this.options;
    clock.clearTimeout(this.timer);
    this.waitingSince = clock.now();
    this.timer = clock.setTimeout(() => this.becameStale(), staleAfterMs);
  }

  private becameStale(): void {
    this.timer = null;
    if (!this.running || this.stale) return;
    this.stale = true;
    const sinceMs = this.options.clock.now() - this.waitingSince;
    this.log.warn({ sinceMs, lastHeartbeatAt: this.lastHeartbeatAt }, 'no heartbeat from the cloud: updates may be blocked');
    this.emitGuarded('stale', { sinceMs });
    this.armRepeat();
  }

  /** While stale: 'stillStale' every staleRepeatMs, until a heartbeat re-arms the stale timer. */
  private armRepeat(): void {
    const { clock, staleRepeatMs } = this.options;
    if (staleRepeatMs === undefined || !this.running || !this.stale) return;
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      if (!this.running || !this.stale) return;
      this.emitGuarded('stillStale', { sinceMs: clock.now() - this.waitingSince });
      this.armRepeat();
    }, staleRepeatMs);
  }

  private emitGuarded<K extends keyof HeartbeatEvents>(event: K, ...args: HeartbeatEvents[K]): void {
    for (const listener of this.rawListeners(event) as ((...a: HeartbeatEvents[K]) => void)[]) {
      try {
        listener(...args);
      } catch (err) {
        this.log.error({ err, event }, 'a heartbeat listener threw; the monitor carries on');
      }
    }
  }
}

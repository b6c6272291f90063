/**
 * What the gateway remembers of the commands it handled, so that a replayed command (the same
 * correlationId or the same token jti) is answered without being executed again — also after a
 * restart, when a ledger is given (replayLedger.ts): every set() is written through to it before
 * it returns, and start() reads back what was remembered.
 *
 * Bounded: an entry is kept until its own expiry (the caller passes the token's exp plus a
 * grace period: after that the token is refused as expired anyway), and at most `maxEntries`
 * are kept. When full, expired entries are dropped first, then the oldest; the ledger forgets
 * them in the same transaction. Entries that expire are dropped from the ledger every
 * `pruneIntervalMs` on the Clock, not per command. Time comes from the caller or the Clock;
 * nothing here reads the wall clock.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { ReplayLedger } from './replayLedger.js';

interface Remembered {
  value: string;
  expiresAt: number;
}

export interface ReplayMemoryOptions {
  maxEntries: number;
  clock: Clock;
  logger: Logger;
  /** where entries survive a restart; without it they live in memory only */
  ledger?: ReplayLedger;
  /** how often expired entries are deleted from the ledger; default 10 minutes */
  pruneIntervalMs?: number;
}

const DEFAULT_PRUNE_INTERVAL_MS = 10 * 60_000;

export class ReplayMemory {
  /** insertion order is age order: Map iterates oldest first */
  private readonly entries = new Map<string, Remembered>();
  private readonly log: Logger;
  private pruneTimer: TimerHandle | null = null;
  private started = false;

  constructor(private readonly options: ReplayMemoryOptions) {
    this.log = options.logger.child({ module: 'cloud:replays' });
  }

  /**
   * Reads back what the ledger remembers (live entries only, the newest maxEntries). A ledger
   * that cannot be read is logged and the memory starts empty: the link still runs.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { ledger, clock, maxEntries } = this.options;
    if (ledger === undefined) return;
    try {
      const { entries, skipped } = ledger.load(clock.now(), maxEntries);
      for (const e of entries) this.entries.set(e.key, { value: e.value, expiresAt: e.expiresAt });
      if (skipped > 0) this.log.warn({ skipped }, 'remembered commands that could not be read were left out');
      this.log.info({ remembered: this.entries.size }, 'replay memory loaded');
    } catch (err) {
      this.log.error({ err }, 'the remembered commands could not be read: replays of commands handled before this start are not recognised');
    }
    this.schedulePrune();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.options.clock.clearTimeout(this.pruneTimer);
    this.pruneTimer = null;
  }

  /** The value remembered under `key`, or undefined when unknown or expired at `now`. */
  get(key: string, now: number): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Remembers `value` under each of `keys` until `expiresAt`; an existing key is replaced (and
   * renewed). Written to the ledger before it returns; a ledger that fails is logged, and the
   * entries are still remembered until this process ends.
   */
  set(keys: readonly string[], value: string, expiresAt: number, now: number): void {
    const forget: string[] = [];
    for (const key of keys) {
      this.entries.delete(key);
      if (this.entries.size >= this.options.maxEntries) forget.push(...this.makeRoom(now));
      this.entries.set(key, { value, expiresAt });
    }
    const { ledger } = this.options;
    if (ledger === undefined) return;
    try {
      ledger.remember(keys.map((key) => ({ key, value, expiresAt })), forget.filter((k) => !keys.includes(k)));
    } catch (err) {
      this.log.error({ err }, 'a handled command could not be written down: its replay is recognised only until the next restart');
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): string[] {
    const dropped: string[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) continue;
      this.entries.delete(key);
      dropped.push(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.options.maxEntries) break;
      this.entries.delete(key);
      dropped.push(key);
    }
    return dropped;
  }

  private schedulePrune(): void {
    const { clock, ledger } = this.options;
    this.pruneTimer = clock.setTimeout(() => {
      if (!this.started || ledger === undefined) return;
      try {
        const pruned = ledger.prune(clock.now(), this.options.maxEntries);
        if (pruned > 0) this.log.debug({ pruned }, 'expired remembered commands deleted');
      } catch (err) {
        this.log.error({ err }, 'expired remembered commands could not be deleted');
      }
      this.schedulePrune();
    }, this.options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS);
  }
}

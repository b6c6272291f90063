/**
 * The doors' writes of runtime state: use counts of use-limited credentials, lockdowns, keypad
 * lockouts and the uses of single-use offline doorcodes. They go straight to the store, except while the rules worker holds the database's
 * write lock (a cloud change being applied): then they wait here, in memory, and are written
 * when it lets go, each on its own so that one that fails (its credential or door was deleted by
 * the change) does not take the others with it. Lockdowns are written first.
 */
import type { Logger } from 'pino';
import type { LockoutState } from '../access/pinLockout.js';
import type { AccessStore } from '../store/accessStore.js';
import type { OfflineCodeUse, OfflineCodeUseStore } from '../store/offlineCodeUseStore.js';
import type { PinLockoutStore } from '../store/pinLockoutStore.js';

interface Waiting {
  uses: string[];
  lockdowns: Array<[string | null, boolean]>;
  lockouts: Map<string, LockoutState>;
  codeUses: OfflineCodeUse[];
}

export class RuntimeWrites {
  private waiting: Waiting | null = null;

  constructor(
    private readonly store: AccessStore,
    private readonly lockouts: PinLockoutStore,
    private readonly codeUses: OfflineCodeUseStore,
    private readonly log: Logger,
  ) {}

  /** true while writes wait for the rules worker */
  get deferring(): boolean {
    return this.waiting !== null;
  }

  recordUse(credentialId: string): void {
    if (this.waiting) this.waiting.uses.push(credentialId);
    else this.store.recordUse(credentialId);
  }

  /** Writes a lockdown now, or queues it (true when written now). */
  setLockdown(doorId: string | null, on: boolean): boolean {
    if (this.waiting) {
      this.waiting.lockdowns.push([doorId, on]);
      return false;
    }
    this.store.setLockdown(doorId, on);
    return true;
  }

  loadLockout(doorId: string): LockoutState {
    return this.lockouts.load(doorId);
  }

  saveLockout(doorId: string, state: LockoutState): void {
    if (this.waiting) this.waiting.lockouts.set(doorId, state);
    else this.lockouts.save(doorId, state);
  }

  recordOfflineCodeUse(use: OfflineCodeUse): void {
    if (this.waiting) this.waiting.codeUses.push(use);
    else this.codeUses.record(use);
  }

  /** From now on, writes wait in memory. */
  defer(): void {
    this.waiting ??= { uses: [], lockdowns: [], lockouts: new Map(), codeUses: [] };
  }

  /** Writes what waited and stops deferring; returns the uses that waited (for the new index). */
  writeWaiting(): string[] {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting === null) return [];
    const attempt = (what: string, write: () => void) => {
      try {
        write();
      } catch (err) {
        this.log.warn({ err }, `could not write ${what} that waited for the rules worker`);
      }
    };
    for (const [doorId, on] of waiting.lockdowns) attempt(`the lockdown of ${doorId ?? 'the site'}`, () => this.store.setLockdown(doorId, on));
    for (const id of waiting.uses) attempt(`a use of ${id}`, () => this.store.recordUse(id));
    for (const [doorId, state] of waiting.lockouts) attempt(`the PIN lockout of ${doorId}`, () => this.lockouts.save(doorId, state));
    for (const use of waiting.codeUses) attempt(`the use of offline doorcode ${use.codeId}`, () => this.codeUses.record(use));
    return waiting.uses;
  }
}

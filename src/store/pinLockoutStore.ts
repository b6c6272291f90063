/** Persists the PIN lockout state per door keypad, so a restart does not reset the counter. */
import type { LockoutState } from '../access/pinLockout.js';
import type { Db } from './database.js';

export class PinLockoutStore {
  constructor(private readonly db: Db) {}

  load(doorId: string): LockoutState {
    const r = this.db.prepare('SELECT failures, level, locked_until FROM pin_lockouts WHERE door_id = ?').get(doorId) as
      | { failures: number; level: number; locked_until: number }
      | undefined;
    return r ? { failures: r.failures, level: r.level, lockedUntil: r.locked_until } : { failures: 0, level: 0, lockedUntil: 0 };
  }

  save(doorId: string, s: LockoutState): void {
    this.db
      .prepare(`INSERT INTO pin_lockouts(door_id, failures, level, locked_until) VALUES (?, ?, ?, ?)
        ON CONFLICT(door_id) DO UPDATE SET failures = excluded.failures, level = excluded.level, locked_until = excluded.locked_until`)
      .run(doorId, s.failures, s.level, s.lockedUntil);
  }
}

/**
 * The clock-trust record (engine/clockTrust.ts) kept in the `meta` table, so that a restart keeps
 * the last-trusted time, the time the rules were last verified and an untrusted clock's reason.
 * The engine is above this layer: the row is described here and fits its record structurally.
 * A row that cannot be read is reported, never guessed at (the engine decides what to assume).
 */
import { z } from 'zod';
import type { Db } from './database.js';

const KEY = 'clock.trust';

const Instant = z.number().finite();

const TrustRowSchema = z.strictObject({
  trustedAt: Instant,
  observedAt: Instant,
  verifiedAt: Instant,
  untrusted: z.strictObject({ reason: z.enum(['clock_behind', 'clock_step', 'cloud_disagrees']), since: Instant, skewMs: z.number().finite() }).nullable(),
});

export type TrustRow = z.output<typeof TrustRowSchema>;

export type TrustRowRead = { ok: true; row: TrustRow | null } | { ok: false; detail: string };

export class ClockTrustStore {
  constructor(private readonly db: Db) {}

  /** The stored record; `row: null` when there is none yet (a first start). */
  load(): TrustRowRead {
    let value: string | undefined;
    try {
      value = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as string | undefined;
    } catch (err) {
      return { ok: false, detail: `meta ${KEY} cannot be read: ${(err as Error).message}` };
    }
    if (value === undefined) return { ok: true, row: null };
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch {
      return { ok: false, detail: `meta ${KEY} is not JSON` };
    }
    const parsed = TrustRowSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, detail: `meta ${KEY}: ${issue.path.join('.') || 'record'}: ${issue.message}` };
    }
    return { ok: true, row: parsed.data };
  }

  save(row: TrustRow): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(KEY, JSON.stringify(row));
  }
}

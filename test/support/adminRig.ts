/** A real gateway (demo site, real SQLite file, ManualClock) with its LocalAdmin, and helpers to run admin verbs and decide. */
import { decide } from '../../src/access/decide.js';
import type { Verdict } from '../../src/access/verdict.js';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';
import type { LocalAdmin } from '../../src/app/admin/localAdmin.js';
import type { SystemAccounts } from '../../src/control/userNames.js';
import { AdminEnvelopeSchema, type AdminResult } from '../../src/wire/adminProtocol.js';
import type { JournalEntry } from '../../src/journal/journalCodec.js';
import { gatewayFixture, type GatewayFixture } from './gatewayFixture.js';
import type { GatewayDeps } from '../../src/app/gateway.js';

export const ROOT = { uid: 0, user: 'root' };

/** Accounts for tests: uid N is user `u<N>` (no /etc/passwd needed). */
export const testAccounts: SystemAccounts = {
  userName: (uid) => `u${uid}`,
  uidOf: (name) => (/^\d+$/.test(name) ? Number(name) : /^u\d+$/.test(name) ? Number(name.slice(1)) : null),
  gidOf: () => null,
};

export interface AdminRig {
  f: GatewayFixture;
  admin: LocalAdmin;
  run(request: Record<string, unknown>, caller?: { uid: number; user: string | null }, options?: { dryRun?: boolean; forceLocal?: boolean }): AdminResult;
  /** the verdict for a PIN, card, ... at a door, now on the fixture's clock (pure: not journaled) */
  decidePin(doorId: string, pin: string): Verdict;
  decideCard(doorId: string, card: string): Verdict;
  journalSince(seq: number): JournalEntry[];
}

export async function adminRig(t: { teardown(fn: () => unknown): void }, config: GatewayConfigInput = {}, deps: Omit<GatewayDeps, 'clock' | 'logger'> = {}): Promise<AdminRig> {
  const f = await gatewayFixture(t, config, undefined, deps);
  const admin = f.gateway.localAdmin(new Set([0]), testAccounts);
  const g = f.gateway;
  return {
    f, admin,
    run: (request, caller = ROOT, options = {}) => admin.run(AdminEnvelopeSchema.parse({ request, ...options }), caller),
    decidePin: (doorId, pin) => decide(g.index, { doorId, kind: 'pin', value: g.hashPin(pin) }, f.clock.now()),
    decideCard: (doorId, card) => decide(g.index, { doorId, kind: 'card', value: card }, f.clock.now()),
    journalSince: (seq) => g.journal.recent(seq, 1000),
  };
}

/**
 * The gateway's side of offline doorcodes (docs/offline-doorcodes.md): a typed code checked
 * against the site secret at the door's scopes (the door, and each group that lists it), in the
 * site's time zone, with single use enforced through the used-code table. The decision is
 * access/offlineCodeCheck.ts (pure); this adds the state: the used codes, in memory and in SQLite.
 */
import type { AccessIndex } from '../access/accessIndex.js';
import { codeId, wallText, type StayTimes } from '../access/offlineCode.js';
import { checkOfflineCode, type OfflineCodeSettings } from '../access/offlineCodeCheck.js';
import type { OfflineCodeFacts, Reason, Verdict } from '../access/verdict.js';
import type { OfflineCodeUseStore } from '../store/offlineCodeUseStore.js';
import type { RuntimeWrites } from './runtimeWrites.js';

/** a used code's row outlives its window's end by this much: more than any zone's offset from UTC */
const USE_KEPT_AFTER_END_MS = 2 * 86_400_000;

export interface OfflineCodeOptions {
  /** the site's offline-code secret (32+ bytes) */
  secret: Uint8Array;
  length: number;
  stay: StayTimes | null;
  /** group name → its door ids */
  groups: Readonly<Record<string, readonly string[]>>;
  store: OfflineCodeUseStore;
  writes: RuntimeWrites;
}

export class OfflineCodes {
  private readonly settings: OfflineCodeSettings;
  private readonly groupsOf = new Map<string, string[]>();
  private used = new Set<string>();

  constructor(private readonly options: OfflineCodeOptions) {
    this.settings = { secret: Buffer.from(options.secret), length: options.length, stay: options.stay };
    for (const [group, doors] of Object.entries(options.groups)) {
      for (const door of doors) this.groupsOf.set(door, [...(this.groupsOf.get(door) ?? []), `group:${group}`]);
    }
  }

  get length(): number {
    return this.options.length;
  }

  /** Reads the used codes (at the engine's start). */
  load(): void {
    this.used = new Set(this.options.store.usedIds());
  }

  /**
   * The decision on `digits` typed at `doorId`, at `now`. A grant of a single-use code marks it
   * used in memory at once (a second entry is refused even before recordUse persists it).
   */
  evaluate(index: AccessIndex, doorId: string, digits: string, now: number): Verdict {
    const verdict = this.decide(index, doorId, digits, now);
    if (verdict.grant && verdict.offlineCode?.singleUse) this.used.add(verdict.offlineCode.id);
    return verdict;
  }

  /** The same decision as a what-if: nothing is marked used. */
  decide(index: AccessIndex, doorId: string, digits: string, now: number): Verdict {
    const door = index.doorIndex.get(doorId);
    if (door === undefined) return verdict(index, 'unknown_door', null);
    if (index.siteLocked || index.doorLocked[door] === 1) return verdict(index, 'locked_down', doorId);
    const scopes = [`door:${doorId}`, ...(this.groupsOf.get(doorId) ?? [])];
    const check = checkOfflineCode(this.settings, scopes, digits, index.zone.localMinutes(now));
    if (check.kind === 'unknown') return verdict(index, 'unknown_credential', doorId);
    const { window } = check;
    const facts: OfflineCodeFacts = { id: codeId(window), scope: window.scope, type: window.type, singleUse: window.singleUse, from: wallText(window.start), until: wallText(window.end) };
    if (check.kind === 'expired') return verdict(index, 'offline_code_expired', doorId, facts);
    if (check.kind === 'not_yet_valid') return verdict(index, 'offline_code_not_yet_valid', doorId, facts);
    // a code is one factor: a card+PIN door wants a card and its holder's PIN
    if (index.doorCardAndPin[door] === 1) return verdict(index, 'second_factor_required', doorId, facts);
    if (window.singleUse && this.used.has(facts.id)) return verdict(index, 'offline_code_used', doorId, facts);
    return verdict(index, 'granted', doorId, facts);
  }

  /** After the door acted on a grant: persists the use of a single-use code. */
  recordUse(doorId: string, facts: OfflineCodeFacts, now: number): void {
    if (!facts.singleUse) return;
    const end = Date.parse(`${facts.until}:00Z`);
    this.options.writes.recordOfflineCodeUse({ codeId: facts.id, doorId, usedAt: now, expiresAt: end + USE_KEPT_AFTER_END_MS });
  }
}

function verdict(index: AccessIndex, reason: Reason, doorId: string | null, offlineCode?: OfflineCodeFacts): Verdict {
  return {
    grant: reason === 'granted', reason, doorId, personId: null, keyId: null, credentialId: null,
    revision: index.revision, alarm: false, extendedUnlock: false, staff: false,
    // a code that matched no window is just an unknown credential
    ...(offlineCode ? { via: 'offline_code' as const, offlineCode } : {}),
  };
}

/**
 * The live decision state: the index the doors decide with, and what changes it at run time
 * (a use counted, a lockdown, a new index swapped in). A door asks `evaluate` before it acts and
 * calls `recordDecision` after; neither touches the network, and only `recordDecision` writes
 * (the use of a use-limited credential, and the journal, which batches).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { limitedCredentialOf, noteUse, withLockdown, type AccessIndex } from '../access/accessIndex.js';
import type { AccessDocument } from '../access/accessDocument.js';
import { decide } from '../access/decide.js';
import { STANDALONE_TRUST, type DecisionTrust } from '../access/decisionTrust.js';
import { decideMobile } from '../access/documentDecision.js';
import type { PinHasher } from '../access/pinDigest.js';
import { maskAllows } from '../access/scheduleMask.js';
import type { Presentation, Verdict } from '../access/verdict.js';
import type { Clock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { Journal } from '../journal/journal.js';
import type { AccessStore, ApplyOptions } from '../store/accessStore.js';
import { verifyAccessDocument, type AccessDocumentCheck, type AccessDocumentTrust } from '../wire/accessDocument.js';
import type { OfflineCodes } from './offlineCodes.js';
import { indexBuilder } from './rulesChange.js';
import type { RuntimeWrites } from './runtimeWrites.js';

export interface AccessEngineOptions {
  store: AccessStore;
  journal: Journal;
  writes: RuntimeWrites;
  pinHasher: PinHasher;
  clock: Clock;
  logger: Logger;
  /** the cloud keys that sign phones' access documents; without them no document decides */
  documentTrust?: AccessDocumentTrust | undefined;
  /** offline doorcodes (docs/offline-doorcodes.md); without them a keypad takes stored PINs only */
  offlineCodes?: OfflineCodes | undefined;
  /** offline leases and clock trust (offlineTrust.ts); without it: STANDALONE_TRUST */
  trust?: { at(now: number): DecisionTrust } | undefined;
}

export interface AppliedState {
  revision: number;
  hash: string;
}

export class AccessEngine extends EventEmitter<{ swapped: [] }> {
  readonly name = 'access engine';
  private live: AccessIndex | null = null;
  private readonly log: Logger;

  constructor(private readonly options: AccessEngineOptions) {
    super();
    this.log = options.logger.child({ module: 'engine' });
  }

  /** Compiles the index of the store's rules. */
  async start(): Promise<void> {
    const started = performance.now();
    const index = this.options.store.compile();
    this.log.debug({ revision: index.revision, hash: index.hash, ms: Math.round(performance.now() - started), ...index.counts }, 'decision index compiled');
    this.options.offlineCodes?.load();
    this.live = index;
  }

  async stop(): Promise<void> {}

  get index(): AccessIndex {
    if (this.live === null) throw new GatewayError('NOT_STARTED', 'the access engine is not started');
    return this.live;
  }

  /** The revision and content hash the doors decide with. */
  applied(): AppliedState {
    const { revision, hash } = this.index;
    return { revision, hash };
  }

  /** A new index for the doors (a change applied); the doors re-read their rules. */
  swap(index: AccessIndex): void {
    this.live = index;
    this.emit('swapped');
  }

  /**
   * A door's question, answered before the door acts: the decision (with the lease and clock
   * trust of `now`), and for a grant of a use-limited credential its use counted in memory (so a
   * one-time code cannot open twice).
   */
  evaluate(presentation: Presentation): Verdict {
    const index = this.index;
    const now = this.options.clock.now();
    const trust = this.options.trust?.at(now) ?? STANDALONE_TRUST;
    const verdict = presentation.kind === 'mobile' && presentation.documentToken !== undefined
      ? decideMobile(index, presentation, this.verifiedDocument(presentation.documentToken, now), now, trust)
      : decide(index, presentation, now, trust);
    if (verdict.grant && verdict.credentialId !== null) noteUse(index, verdict.credentialId);
    return verdict;
  }

  /**
   * Digits typed alone at a keypad: a stored PIN if one has their digest, otherwise (when the
   * site takes them) an offline doorcode. The presentation is the PIN's (a digest, never digits).
   */
  evaluateKeypadCode(doorId: string, digits: string): { presentation: Presentation; verdict: Verdict } {
    const presentation: Presentation = { doorId, kind: 'pin', value: this.hashPin(digits) };
    const stored = this.evaluate(presentation);
    const codes = this.options.offlineCodes;
    if (stored.reason !== 'unknown_credential' || codes === undefined) return { presentation, verdict: stored };
    return { presentation, verdict: codes.evaluate(this.index, doorId, digits, this.options.clock.now()) };
  }

  /**
   * What-if for an offline doorcode at `doorId` at `now` (lockgw doorcode): the keypad's decision
   * without its effects (nothing marked used, nothing journaled). null when the site takes no codes.
   */
  checkOfflineCode(doorId: string, digits: string, now: number): Verdict | null {
    return this.options.offlineCodes?.decide(this.index, doorId, digits, now) ?? null;
  }

  /** Checks a phone's access document: signed by a trusted cloud key, for this gateway, not expired. */
  verifyDocument(token: string): AccessDocumentCheck {
    const trust = this.options.documentTrust;
    if (trust === undefined) return { ok: false, reason: 'unknown_key', detail: 'no cloud keys are configured: this gateway trusts no access document' };
    return verifyAccessDocument(token, trust, this.options.clock.now());
  }

  private verifiedDocument(token: string, now: number): AccessDocument | null {
    const trust = this.options.documentTrust;
    const checked: AccessDocumentCheck = trust === undefined ? this.verifyDocument(token) : verifyAccessDocument(token, trust, now);
    if (checked.ok) return checked.document;
    this.log.warn({ reason: checked.reason, detail: checked.detail }, 'a phone\'s access document did not verify');
    return null;
  }

  /**
   * After the door acted: persists the use of a use-limited credential and journals the decision,
   * with a silent alarm for duress. Credential values are never recorded.
   */
  recordDecision(presentation: Presentation, verdict: Verdict): void {
    const { journal, writes, clock } = this.options;
    const now = clock.now();
    if (verdict.grant && verdict.credentialId !== null && limitedCredentialOf(this.index, verdict.credentialId) >= 0) writes.recordUse(verdict.credentialId);
    const code = verdict.offlineCode;
    if (verdict.grant && code !== undefined) this.options.offlineCodes?.recordUse(presentation.doorId, code, now);
    journal.append({
      type: 'access',
      at: now,
      doorId: presentation.doorId,
      grant: verdict.grant,
      reason: verdict.reason,
      ...(verdict.personId ? { personId: verdict.personId } : {}),
      ...(verdict.credentialId ? { credentialId: verdict.credentialId } : {}),
      ...(verdict.keyId ? { keyId: verdict.keyId } : {}),
      data: { kind: presentation.kind, revision: verdict.revision, ...(verdict.via ? { via: verdict.via } : {}), ...(code ? { offlineCode: code } : {}) },
    });
    if (verdict.alarm) {
      journal.append({ type: 'alarm', at: now, doorId: presentation.doorId, reason: 'duress', ...(verdict.personId ? { personId: verdict.personId } : {}) });
    }
    // who and why, never the credential's value
    this.log.info({ door: presentation.doorId, grant: verdict.grant, reason: verdict.reason, person: verdict.personId, key: verdict.keyId, kind: presentation.kind }, `${presentation.doorId}: ${verdict.grant ? 'GRANTED' : 'DENIED'} ${verdict.reason}`);
  }

  /** evaluate + recordDecision, for callers that do not act (tests, tools). */
  decide(presentation: Presentation): Verdict {
    const verdict = this.evaluate(presentation);
    this.recordDecision(presentation, verdict);
    return verdict;
  }

  /**
   * Applies a local batch of model changes in one transaction, then swaps in its index (patched
   * or compiled inside the transaction, as a cloud change's).
   */
  applyBatch(raw: unknown, options: ApplyOptions): AppliedState {
    const build = indexBuilder(this.options.store, this.index);
    // set inside the transaction: a batch that returns has run its beforeCommit
    const built: { index?: AccessIndex } = {};
    this.options.store.applyBatch(raw, { ...options, beforeCommit: (changes) => {
      options.beforeCommit?.(changes);
      built.index = build(changes);
    } });
    this.swap(built.index!);
    return this.applied();
  }

  /** Turns typed PIN digits into the digest that decisions and the store use. */
  hashPin(pin: string): string {
    return this.options.pinHasher(pin);
  }

  /** Lockdown on/off for a door, or the whole site when doorId is null. */
  setLockdown(doorId: string | null, on: boolean): void {
    const { writes, store, journal, clock } = this.options;
    const index = this.index;
    if (writes.deferring && doorId !== null && !index.doorIndex.has(doorId)) {
      throw new GatewayError('NOT_FOUND', `door ${doorId} does not exist`, { entity: 'door', id: doorId, field: 'doorId' });
    }
    // the decision index changes now; the store now or, while the rules worker holds it, when it lets go
    const written = writes.setLockdown(doorId, on);
    this.swap(withLockdown(index, written ? store.lockdown() : lockdownAfter(index, doorId, on)));
    journal.append({ type: 'mode', at: clock.now(), ...(doorId ? { doorId } : {}), reason: on ? 'lockdown_on' : 'lockdown_off' });
  }

  /** Is a schedule open now (a door's passage schedule)? null when the schedule is unknown. */
  passageOpen(scheduleId: string, now: number): boolean | null {
    const index = this.index;
    const mask = index.scheduleMasks.get(scheduleId);
    return mask === undefined ? null : maskAllows(index.masks.get(mask), index.zone.localMinutes(now), index.holidays);
  }

  /** The local day number (site time) of an instant, for first-person-in. */
  localDay(now: number): number {
    return Math.floor(this.index.zone.localMinutes(now) / 1440);
  }

  lockedDown(doorId: string): boolean {
    const index = this.index;
    const d = index.doorIndex.get(doorId);
    return index.siteLocked || (d !== undefined && index.doorLocked[d] === 1);
  }

  /** Is the door in the rules (it may have no lock on this gateway)? */
  knowsDoor(doorId: string): boolean {
    return this.index.doorIndex.has(doorId);
  }
}

/** The lockdown state of an index with one change applied. */
function lockdownAfter(index: AccessIndex, doorId: string | null, on: boolean): { site: boolean; doors: string[] } {
  const doors = new Set(index.doorIds.filter((_, d) => index.doorLocked[d] === 1));
  if (doorId !== null) {
    if (on) doors.add(doorId);
    else doors.delete(doorId);
  }
  return { site: doorId === null ? on : index.siteLocked, doors: [...doors] };
}

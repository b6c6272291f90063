/**
 * decideMobile(index, presentation, document, now): a phone key's decision, with the access
 * document it carried (verified by the engine; null when it carried one that did not verify).
 * Pure and total, like decide().
 *
 * Precedence (docs/ble-phone-key.md, "Access documents"):
 *   1. The gateway's rules decide whenever they know the phone key — except a `pending` key
 *      whose document is newer than the rules (activated after the last sync).
 *   2. A key the rules do not know: a document issued at or before the revision the gateway has
 *      applied is superseded (that revision has no such key: revoked, or never for this gateway).
 *   3. Otherwise the document decides: door known, lockdown, its validity, its door, its
 *      schedules (which the gateway must know), a card+PIN door's PIN of the same person.
 * A revocation or suspension the gateway has applied therefore always wins: it came with a
 * revision at least as new as any document issued before it. A document always has a validity
 * window, so with an untrusted clock (DecisionTrust) it decides clock_untrusted; it carries its
 * own signed freshness, so no offline lease applies to it.
 */
import { RECORD, type AccessIndex } from './accessIndex.js';
import type { AccessDocument } from './accessDocument.js';
import { KIND_CODE } from './credentialTable.js';
import { credentialBlock, decide } from './decide.js';
import { STANDALONE_TRUST, type DecisionTrust } from './decisionTrust.js';
import { maskAllows, maskAllowsIgnoringHolidays } from './scheduleMask.js';
import type { Presentation, Reason, Verdict } from './verdict.js';

function documentVerdict(index: AccessIndex, reason: Reason, doorId: string | null, document: AccessDocument): Verdict {
  const grant = reason === 'granted';
  return {
    grant, reason, doorId, personId: document.personId, keyId: null, credentialId: document.credentialId,
    revision: index.revision, alarm: false, extendedUnlock: false, staff: false, via: 'document',
  };
}

export function decideMobile(index: AccessIndex, presentation: Presentation, document: AccessDocument | null, now: number, trust: DecisionTrust = STANDALONE_TRUST): Verdict {
  const ruled = decide(index, presentation, now, trust);
  if (presentation.kind !== 'mobile' || presentation.documentToken === undefined) return ruled;
  if (document === null) {
    // a document that does not verify never decides; the rules still do for a key they know
    return ruled.reason === 'unknown_credential' || ruled.reason === 'credential_pending' ? { ...ruled, reason: 'document_invalid' } : ruled;
  }
  if (ruled.reason === 'credential_pending') return document.revision > index.revision ? fromDocument(index, presentation, document, now, trust.clockTrusted) : ruled;
  if (ruled.reason !== 'unknown_credential') return ruled;
  if (document.revision <= index.revision) return documentVerdict(index, 'document_superseded', ruled.doorId, document);
  return fromDocument(index, presentation, document, now, trust.clockTrusted);
}

function fromDocument(index: AccessIndex, presentation: Presentation, document: AccessDocument, now: number, clockTrusted: boolean): Verdict {
  const doorId = presentation.doorId;
  if (document.credentialId !== presentation.value) return documentVerdict(index, 'document_invalid', doorId, document);
  const door = index.doorIndex.get(doorId);
  if (door === undefined) return documentVerdict(index, 'unknown_door', null, document);
  if (index.siteLocked || index.doorLocked[door] === 1) return documentVerdict(index, 'locked_down', doorId, document);
  if (!clockTrusted) return documentVerdict(index, 'clock_untrusted', doorId, document);
  if (document.validFrom !== undefined && now < document.validFrom) return documentVerdict(index, 'not_yet_valid', doorId, document);
  if (now >= document.validUntil) return documentVerdict(index, 'expired', doorId, document);
  const entry = document.doors.find((d) => d.doorId === doorId);
  if (entry === undefined) return documentVerdict(index, 'door_not_in_key', doorId, document);
  const scheduled = scheduleReason(index, entry.scheduleIds, now);
  if (scheduled !== null) return documentVerdict(index, scheduled, doorId, document);
  if (index.doorCardAndPin[door] === 1) {
    if (presentation.pinDigest === undefined) return documentVerdict(index, 'second_factor_required', doorId, document);
    const pin = index.credentials.find(KIND_CODE.pin, presentation.pinDigest);
    const samePerson = pin >= 0 && index.personIds.at(index.credentialRecord[pin * RECORD]!) === document.personId;
    if (!samePerson || credentialBlock(index, pin, now, clockTrusted) !== null) return documentVerdict(index, 'second_factor_mismatch', doorId, document);
  }
  return documentVerdict(index, 'granted', doorId, document);
}

/** null when one of the schedules admits now (or there are none: any time) */
function scheduleReason(index: AccessIndex, scheduleIds: readonly string[] | undefined, now: number): Reason | null {
  if (scheduleIds === undefined || scheduleIds.length === 0) return null;
  const local = index.zone.localMinutes(now);
  let known = false;
  let holiday = false;
  for (const id of scheduleIds) {
    const maskId = index.scheduleMasks.get(id);
    if (maskId === undefined) continue;
    known = true;
    const mask = index.masks.get(maskId);
    if (maskAllows(mask, local, index.holidays)) return null;
    if (maskAllowsIgnoringHolidays(mask, local)) holiday = true;
  }
  if (!known) return 'schedule_unknown';
  return holiday ? 'holiday' : 'outside_schedule';
}

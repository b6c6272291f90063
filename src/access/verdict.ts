/** What a door asks (a Presentation) and what the access core answers (a Verdict). */
import type { CredentialKind } from './model.js';
import type { OfflineCodeType } from './offlineCode.js';

/**
 * A credential presented at a door, already normalised at the edge:
 *  - card:        the normalised card number (26:12:34567), optionally with `pinDigest` at card+PIN doors
 *                 (a mobile presentation carries it the same way)
 *  - pin:         the HMAC digest of the typed PIN (PinHasher) — never the digits
 *  - fingerprint: `readerId:slot` of the matched template
 *  - mobile:      the phone key id whose challenge-response already verified
 */
export interface Presentation {
  doorId: string;
  kind: CredentialKind;
  value: string;
  /** second factor at card+PIN doors: the digest of the PIN typed after the card */
  pinDigest?: string;
  /**
   * mobile only: the access document the phone carried, as it carried it (a compact JWS, not yet
   * verified): the engine verifies it and decideMobile consults it as documentDecision.ts says
   */
  documentToken?: string;
}

export const REASONS = [
  'granted',
  'duress',
  'invalid_presentation',
  'unknown_door',
  'unknown_credential',
  'locked_down',
  'credential_pending',
  'credential_suspended',
  'credential_lost',
  'person_suspended',
  'host_revoked',
  'not_yet_valid',
  'expired',
  'use_limit_reached',
  'door_not_in_key',
  'outside_schedule',
  'holiday',
  'second_factor_required',
  'second_factor_mismatch',
  'document_invalid',
  'document_superseded',
  'schedule_unknown',
  /** the credential's class is past its offline lease: the gateway has not verified its rules with the cloud for too long */
  'offline_lease_expired',
  /** the system clock is not trusted and this grant depends on the time (a validity window or a schedule) */
  'clock_untrusted',
  /** safety-only mode: the database or its rules cannot be used, so no credential opens */
  'rules_unavailable',
  /** offline doorcodes (docs/offline-doorcodes.md): a real code, typed after its window ended */
  'offline_code_expired',
  /** a real code, typed before its window opens */
  'offline_code_not_yet_valid',
  /** a single-use code that already opened a door */
  'offline_code_used',
] as const;

export type Reason = (typeof REASONS)[number];

export interface Verdict {
  grant: boolean;
  reason: Reason;
  doorId: string | null;
  personId: string | null;
  keyId: string | null;
  credentialId: string | null;
  /** the revision of the rules that decided */
  revision: number;
  /** raise a silent alarm (duress) */
  alarm: boolean;
  /** the holder gets extended unlock time (accessibility) */
  extendedUnlock: boolean;
  /** the holder is staff (starts first-person-in passage) */
  staff: boolean;
  /** set when a phone's access document, or an offline doorcode, decided instead of the gateway's rules */
  via?: 'document' | 'offline_code';
  /** the offline doorcode that decided (never its digits) */
  offlineCode?: OfflineCodeFacts;
}

/** What is journaled of an offline doorcode: its id and window, which reveal nothing of its digits. */
export interface OfflineCodeFacts {
  id: string;
  scope: string;
  type: OfflineCodeType;
  singleUse: boolean;
  /** the window, local wall-clock time of the site */
  from: string;
  until: string;
}

/**
 * The answer to every credential while the rules cannot be loaded (the gateway's safety-only
 * mode, docs/door-path.md): denied, with no person, key or revision.
 */
export function rulesUnavailableVerdict(doorId: string): Verdict {
  return { grant: false, reason: 'rules_unavailable', doorId, personId: null, keyId: null, credentialId: null, revision: 0, alarm: false, extendedUnlock: false, staff: false };
}

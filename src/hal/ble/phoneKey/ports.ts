/**
 * What the phone-key layer needs from the rest of the gateway. Declared here, implemented by the
 * composition root (src/app/): the hal layer knows no store, no access rules, no journal.
 */

/** Where a credential's public key came from. */
export type KeySource = 'store' | 'document';

export type ResolvedKey =
  | { ok: true; publicKeySpkiB64: string; source: KeySource }
  /** `reason` is stable and goes to the phone and the journal: unknown_credential, credential_pending, document_invalid, ... */
  | { ok: false; reason: string };

export interface ResolveKeyRequest {
  credentialId: string;
  doorId: string;
  /** the access document the phone sent (opaque bytes: a compact JWS), if any */
  document?: Uint8Array | undefined;
}

export interface DecideRequest {
  doorId: string;
  credentialId: string;
  /** where the verified key came from; `document` means a guest the store does not know yet */
  keySource: KeySource;
  document?: Uint8Array | undefined;
}

export interface Decision {
  grant: boolean;
  /** stable reason code, passed to the phone unchanged */
  reason: string;
  /** how long the door is released, for the phone's UI */
  unlockMs?: number | undefined;
}

export type PhoneKeyOutcomeKind =
  | 'granted'
  | 'denied'
  /** the phone went away (or stayed silent) before it answered the challenge: nothing was decided */
  | 'abandoned';

export interface PhoneKeyOutcome {
  /** the door the HELLO named; undefined when no HELLO decoded */
  doorId?: string | undefined;
  credentialId?: string | undefined;
  outcome: PhoneKeyOutcomeKind;
  reason: string;
  /** the phone's BLE address (random for most phones: not an identity) */
  peer: string;
  keySource?: KeySource | undefined;
  /** the signature verified and `decide` ran: the door recorded the decision itself */
  decided: boolean;
  /** clock time at which the outcome was reached */
  at: number;
}

export interface PhoneKeyPorts {
  /**
   * The public key to verify the phone's signature with. With a document, the implementation
   * verifies the document (its signature by the cloud, its validity, that it names
   * `credentialId` and `doorId`) before it returns the key it carries; otherwise the key comes
   * from the credential store. May reject: that is `internal`, denied.
   */
  resolveKey(request: ResolveKeyRequest): Promise<ResolvedKey> | ResolvedKey;
  /**
   * The access decision, called only after the signature verified with the resolved key; the
   * implementation acts on a grant (releases the door) before it resolves. May reject: that is
   * `internal`, denied.
   */
  decide(request: DecideRequest): Promise<Decision>;
  /** Every session's end, once: for the journal. Called synchronously; a throw is logged. */
  onOutcome(outcome: PhoneKeyOutcome): void;
}

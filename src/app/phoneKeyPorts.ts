/**
 * The phone-key reader's ports (src/hal/ble/phoneKey/ports.ts), implemented over the store, the
 * engine and the doors:
 *  - resolveKey: the credential's stored public key; for a key the store does not know (or knows
 *    without a public key), the key inside the access document the phone carried, once the
 *    engine has verified that document (signed by a trusted cloud key, for this gateway, unexpired,
 *    naming this phone key);
 *  - decide: the door's controller decides, acts and records, like a card (the phone hears its
 *    verdict; at a card+PIN door it is `second_factor_required` and the door waits for the PIN);
 *  - onOutcome: a denial that never reached a decision (bad signature, replayed or expired
 *    nonce, unknown key, ...) is journaled as a denied access with the phone-key reason.
 */
import type { Logger } from 'pino';
import type { PhoneKeyOutcome, PhoneKeyPorts, ResolvedKey } from '../hal/ble/phoneKey/ports.js';
import type { Clock } from '../kernel/clock.js';
import type { JournalEvent } from '../journal/journalCodec.js';
import type { AccessEngine } from '../engine/accessEngine.js';
import type { AccessStore } from '../store/accessStore.js';
import type { DoorController } from '../doors/doorController.js';

export interface PhoneKeyPortDeps {
  store: AccessStore;
  engine: AccessEngine;
  door(doorId: string): DoorController | undefined;
  record(event: JournalEvent): void;
  clock: Clock;
  log: Logger;
}

/** The document travels as bytes; the token is its ASCII text (anything else fails verification). */
const tokenOf = (document: Uint8Array | undefined): string | undefined => (document === undefined ? undefined : Buffer.from(document).toString('latin1'));

/** reasons that mean someone tried something, not that a key was merely refused */
const SUSPICIOUS = new Set(['bad_signature', 'nonce_replayed', 'nonce_foreign', 'key_invalid', 'document_invalid', 'wrong_algorithm']);

export function phoneKeyPorts(deps: PhoneKeyPortDeps): PhoneKeyPorts {
  const { store, engine, log } = deps;
  return {
    resolveKey({ credentialId, document }): ResolvedKey {
      const stored = store.credentialByValue('mobile', credentialId);
      if (stored?.publicKey !== undefined) return { ok: true, publicKeySpkiB64: stored.publicKey, source: 'store' };
      const token = tokenOf(document);
      if (token === undefined) return { ok: false, reason: stored === undefined ? 'unknown_credential' : 'key_missing' };
      const checked = engine.verifyDocument(token);
      if (!checked.ok) {
        log.warn({ reason: checked.reason, detail: checked.detail }, 'phone key: the access document did not verify');
        return { ok: false, reason: 'document_invalid' };
      }
      if (checked.document.credentialId !== credentialId) return { ok: false, reason: 'document_invalid' };
      return { ok: true, publicKeySpkiB64: checked.document.publicKey, source: 'document' };
    },

    async decide({ doorId, credentialId, document }) {
      const door = deps.door(doorId);
      if (door === undefined) return { grant: false, reason: 'unknown_door' };
      const token = tokenOf(document);
      const { verdict, unlockMs } = door.presentPhoneKey(credentialId, token);
      return { grant: verdict.grant, reason: verdict.reason, unlockMs };
    },

    onOutcome(outcome: PhoneKeyOutcome) {
      if (outcome.decided) return; // the door recorded its decision
      if (outcome.outcome === 'abandoned') {
        log.debug({ door: outcome.doorId, reason: outcome.reason }, 'phone key: the phone left before it answered');
        return;
      }
      const known = outcome.credentialId === undefined ? undefined : store.credentialByValue('mobile', outcome.credentialId);
      const doorId = outcome.doorId !== undefined && deps.door(outcome.doorId) !== undefined ? outcome.doorId : undefined;
      deps.record({
        type: 'access',
        at: outcome.at,
        ...(doorId ? { doorId } : {}),
        grant: false,
        reason: outcome.reason,
        ...(known ? { credentialId: known.id, personId: known.personId } : {}),
        data: { kind: 'mobile', stage: 'phone_key', ...(known || outcome.credentialId === undefined ? {} : { claimedKeyId: outcome.credentialId.slice(0, 128) }) },
      });
      const line = { door: outcome.doorId, reason: outcome.reason, credential: known?.id };
      if (SUSPICIOUS.has(outcome.reason)) log.warn(line, `phone key DENIED ${outcome.reason}`);
      else log.info(line, `phone key DENIED ${outcome.reason}`);
    },
  };
}

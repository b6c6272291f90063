/**
 * The access document's signed form: a compact JWS in the same envelope as every cloud message
 * (signedEnvelope.ts: EdDSA pinned, `kid` from the configured cloud keys), with `typ`
 * "access_document", `aud` the gateway id and `msg` the document. A phone carries one per
 * gateway whose doors it opens (docs/ble-phone-key.md, "Access documents").
 */
import { type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { AccessDocument } from '../access/accessDocument.js';
import { IdSchema } from '../kernel/idSchema.js';
import { EpochMsSchema, VersionSchema } from './messages.js';
import { signEnvelope, verifyEnvelope, type VerifyFailureReason, type VerifyingKeys } from './signedEnvelope.js';

export const ACCESS_DOCUMENT_TYPE = 'access_document';
/** it travels over BLE in a phone-key response (docs/ble-phone-key.md): small on purpose */
export const MAX_ACCESS_DOCUMENT_BYTES = 3072;

export const AccessDocumentSchema = z
  .strictObject({
    credentialId: IdSchema,
    personId: IdSchema,
    publicKey: z.string().regex(/^[A-Za-z0-9+/]{16,1024}={0,2}$/, 'must be the base64 SPKI DER of the phone key'),
    doors: z.array(z.strictObject({ doorId: IdSchema, scheduleIds: z.array(IdSchema).min(1).max(16).optional() })).min(1).max(64),
    validFrom: EpochMsSchema.optional(),
    validUntil: EpochMsSchema,
    revision: VersionSchema,
  })
  .refine((d) => d.validFrom === undefined || d.validFrom < d.validUntil, { message: 'validFrom must be before validUntil', path: ['validFrom'] });

export type AccessDocumentCheck =
  | { ok: true; document: AccessDocument; kid: string }
  | { ok: false; reason: VerifyFailureReason | 'invalid_document'; detail: string };

export interface AccessDocumentTrust {
  keys: VerifyingKeys;
  gatewayId: string;
  /** when set, the document's `iss` must be it */
  issuer?: string | undefined;
  maxSkewMs?: number | undefined;
}

/** Verifies a document for this gateway at `now`. Never throws on bad input. */
export function verifyAccessDocument(token: string | Uint8Array, trust: AccessDocumentTrust, now: number): AccessDocumentCheck {
  const checked = verifyEnvelope(token, {
    keys: trust.keys, gatewayId: trust.gatewayId, expectedType: ACCESS_DOCUMENT_TYPE, now,
    maxBytes: MAX_ACCESS_DOCUMENT_BYTES,
    ...(trust.issuer === undefined ? {} : { issuer: trust.issuer }),
    ...(trust.maxSkewMs === undefined ? {} : { maxSkewMs: trust.maxSkewMs }),
  });
  if (!checked.ok) return checked;
  const parsed = AccessDocumentSchema.safeParse(checked.payload.msg);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: 'invalid_document', detail: `${issue.path.map(String).join('.') || 'msg'}: ${issue.message}` };
  }
  return { ok: true, document: parsed.data, kid: checked.header.kid };
}

export interface AccessDocumentSigner {
  kid: string;
  privateKey: KeyObject;
  issuer: string;
}

/** The cloud's side (cloud-sim, tests): the token expires with the document's validity. */
export function signAccessDocument(document: AccessDocument, signer: AccessDocumentSigner, gatewayId: string, now: number): string {
  return signEnvelope(document, {
    kid: signer.kid, privateKey: signer.privateKey, issuer: signer.issuer, audience: gatewayId,
    type: ACCESS_DOCUMENT_TYPE, now, ttlMs: Math.max(1000, document.validUntil - now),
  });
}

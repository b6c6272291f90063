/**
 * The signing envelope of every cloud → gateway message: a JWS in compact serialization
 * (RFC 7515) whose payload is a JWT claims set (RFC 7519) carrying the message body in `msg`.
 *
 *     header   {"alg":"EdDSA","kid":"<key id>","typ":"JWT"}        (typ optional)
 *     payload  {"iss":"<cloud id>","aud":"<gateway id>","iat":<s>,"exp":<s>,"jti":"<message id>",
 *               "typ":"<message type>","msg":{...}}                  (sub, nbf optional)
 *
 * The algorithm is pinned: only EdDSA (Ed25519) verifies; "none", every other algorithm, `crit`
 * and any header parameter other than alg/kid/typ are refused before the key is even looked up.
 * `kid` selects the key from the configured set, so several keys can be valid during a rotation.
 *
 * `verifyEnvelope` never throws on bad input: it returns `{ok: false, reason, detail}`. It checks
 * the size before it parses anything and the signature before it parses the payload. Whether the
 * body is a valid message of its type is the next step (cloudMessageCodec.ts).
 */
import { randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export const PINNED_ALGORITHM = 'EdDSA';
/** snapshot chunks and deltas are the largest messages */
export const DEFAULT_MAX_TOKEN_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_SKEW_MS = 60_000;
/** a compact header is ~60 characters; a longer one is refused before JSON.parse */
const MAX_HEADER_CHARS = 1024;
const ED25519_SIGNATURE_BYTES = 64;
const ALLOWED_HEADER_PARAMETERS: ReadonlySet<string> = new Set(['alg', 'kid', 'typ']);

export type VerifyFailureReason =
  | 'malformed'
  | 'unsigned'
  | 'algorithm'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_type'
  | 'too_large';

export interface EnvelopeHeader {
  alg: typeof PINNED_ALGORITHM;
  kid: string;
  typ?: string;
}

/** NumericDate: seconds since the epoch (RFC 7519), fractions allowed. */
const NumericDateSchema = z.number().min(0).max(8.64e12);

/** The claims every signed message carries; `msg` is the body, validated per type elsewhere. */
export const EnvelopeClaimsSchema = z.object({
  /** the cloud's id */
  iss: z.string().min(1).max(256),
  /** the gateway id the message is for */
  aud: z.string().min(1).max(128),
  /** optional; when present it must also be the gateway id */
  sub: z.string().min(1).max(128).optional(),
  iat: NumericDateSchema,
  exp: NumericDateSchema,
  nbf: NumericDateSchema.optional(),
  /** unique message id */
  jti: z.string().min(1).max(128),
  /** the message type; must be the type of the topic the message arrived on */
  typ: z.string().min(1).max(64),
  /** the message body (required) */
  msg: z.unknown(),
});

export type EnvelopeClaims = z.output<typeof EnvelopeClaimsSchema>;

/** Looks up a verifying key by kid: a CloudKeySet (keys.ts), or a Map in tests. */
export interface VerifyingKeys {
  get(kid: string): KeyObject | undefined;
}

export interface VerifyOptions {
  keys: VerifyingKeys;
  /** the audience this gateway accepts: its own id */
  gatewayId: string;
  /** the message type of the topic the token arrived on */
  expectedType: string;
  /** epoch ms, from the injected Clock */
  now: number;
  /** tolerated clock difference for iat/nbf/exp; default 60 s */
  maxSkewMs?: number;
  /** refused before parsing when larger; default 16 MiB */
  maxBytes?: number;
  /** when set, `iss` must equal it */
  issuer?: string;
}

export type VerifyResult =
  | { ok: true; payload: EnvelopeClaims; header: EnvelopeHeader }
  | { ok: false; reason: VerifyFailureReason; detail: string };

export interface SignOptions {
  kid: string;
  privateKey: KeyObject;
  /** the cloud id (iss) */
  issuer: string;
  /** the gateway id (aud) */
  audience: string;
  /** the message type (typ claim) */
  type: string;
  /** epoch ms; iat = now */
  now: number;
  /** exp = now + ttlMs; default 5 minutes */
  ttlMs?: number;
  /** default: a random UUID */
  jti?: string;
  /** epoch ms for nbf; default none */
  notBefore?: number;
  /** also set sub to the audience; default false */
  withSubject?: boolean;
}

const b64url = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url');
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Signs a message body for one gateway. Throws if the key is not an Ed25519 private key (a caller bug). */
export function signEnvelope(msg: unknown, options: SignOptions): string {
  const { kid, privateKey, issuer, audience, type, now, ttlMs = 5 * 60_000, jti = randomUUID() } = options;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`signEnvelope needs an Ed25519 private key, got a ${privateKey.asymmetricKeyType ?? privateKey.type} ${privateKey.type} key`);
  }
  const header: EnvelopeHeader = { alg: PINNED_ALGORITHM, kid, typ: 'JWT' };
  const claims: Record<string, unknown> = { iss: issuer, aud: audience };
  if (options.withSubject) claims.sub = audience;
  claims.iat = seconds(now);
  claims.exp = seconds(now + ttlMs);
  if (options.notBefore !== undefined) claims.nbf = seconds(options.notBefore);
  Object.assign(claims, { jti, typ: type, msg });
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), privateKey);
  return `${signingInput}.${b64url(signature)}`;
}

// ── verification ────────────────────────────────────────────────────────────────────────────

const fail = (reason: VerifyFailureReason, detail: string): VerifyResult => ({ ok: false, reason, detail });

/** For details: a value from an untrusted header, shortened and printable. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Last characters whose unused low bits are zero, for 2 and 3 trailing characters. */
const CANONICAL_LAST_OF_2 = /[AQgw]$/;
const CANONICAL_LAST_OF_3 = /[AEIMQUYcgkosw048]$/;

/** Strict base64url without padding: the alphabet, a possible length, and zero unused bits (one encoding per value). */
function decodeBase64url(segment: string): Buffer | null {
  if (!BASE64URL.test(segment)) return null;
  const tail = segment.length % 4;
  if (tail === 1) return null;
  if (tail === 2 && !CANONICAL_LAST_OF_2.test(segment)) return null;
  if (tail === 3 && !CANONICAL_LAST_OF_3.test(segment)) return null;
  return Buffer.from(segment, 'base64url');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON object from bytes, or null (bad UTF-8, bad JSON, or not an object). */
function parseJsonObject(bytes: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

function checkHeader(header: Record<string, unknown>): VerifyResult | EnvelopeHeader {
  if (!Object.hasOwn(header, 'alg') || header.alg === undefined) return fail('unsigned', 'the header has no alg');
  if (typeof header.alg === 'string' && header.alg.toLowerCase() === 'none') return fail('unsigned', 'alg "none" (an unsecured JWS) is not accepted');
  if (header.alg !== PINNED_ALGORITHM) return fail('algorithm', `alg ${shown(header.alg)} is not accepted; only ${PINNED_ALGORITHM}`);
  if (Object.hasOwn(header, 'crit')) return fail('malformed', 'the crit header parameter is not supported');
  const extra = Object.keys(header).filter((k) => !ALLOWED_HEADER_PARAMETERS.has(k));
  if (extra.length > 0) return fail('malformed', `header parameters not accepted: ${extra.map(shown).join(', ')} (only alg, kid, typ)`);
  if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) {
    return fail('malformed', `header typ ${shown(header.typ)} is not accepted; omit it or use "JWT"`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') return fail('unknown_key', 'the header has no kid');
  return { alg: PINNED_ALGORITHM, kid: header.kid, ...(header.typ === undefined ? {} : { typ: header.typ as string }) };
}

function checkClaims(claims: EnvelopeClaims, options: VerifyOptions): VerifyResult | null {
  const skew = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const now = options.now;
  if (claims.typ !== options.expectedType) {
    return fail('wrong_type', `typ "${shown(claims.typ)}" arrived on the ${options.expectedType} topic`);
  }
  if (claims.aud !== options.gatewayId) return fail('wrong_audience', `aud "${shown(claims.aud)}" is not this gateway (${options.gatewayId})`);
  if (claims.sub !== undefined && claims.sub !== options.gatewayId) {
    return fail('wrong_audience', `sub "${shown(claims.sub)}" is not this gateway (${options.gatewayId})`);
  }
  if (options.issuer !== undefined && claims.iss !== options.issuer) {
    return fail('wrong_issuer', `iss "${shown(claims.iss)}" is not the configured cloud (${options.issuer})`);
  }
  if (claims.exp <= claims.iat) return fail('malformed', 'exp must be after iat');
  if (now >= claims.exp * 1000 + skew) {
    return fail('expired', `expired at ${new Date(claims.exp * 1000).toISOString()} (now ${new Date(now).toISOString()}, skew ${skew} ms)`);
  }
  const notBefore = Math.max(claims.iat, claims.nbf ?? 0) * 1000;
  if (notBefore > now + skew) {
    return fail('not_yet_valid', `not valid before ${new Date(notBefore).toISOString()} (now ${new Date(now).toISOString()}, skew ${skew} ms)`);
  }
  return null;
}

/** Verifies a token against the key set and this gateway. Never throws on bad input. */
export function verifyEnvelope(token: string | Uint8Array, options: VerifyOptions): VerifyResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  if (token.length > maxBytes) return fail('too_large', `${token.length} bytes is over the limit of ${maxBytes}`);
  const text = typeof token === 'string' ? token : Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('latin1');

  const parts = text.split('.');
  if (parts.length !== 3) return fail('malformed', `a JWS compact serialization has 3 parts, this has ${parts.length}`);
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (headerPart.length > MAX_HEADER_CHARS) return fail('malformed', `the header is over ${MAX_HEADER_CHARS} characters`);
  const headerBytes = decodeBase64url(headerPart);
  if (headerBytes === null || headerBytes.length === 0) return fail('malformed', 'the header is not base64url');
  const rawHeader = parseJsonObject(headerBytes);
  if (rawHeader === null) return fail('malformed', 'the header is not a JSON object');
  const header = checkHeader(rawHeader);
  if ('ok' in header) return header;

  const key = options.keys.get(header.kid);
  if (key === undefined) return fail('unknown_key', `kid "${shown(header.kid)}" is not a configured cloud key`);
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') return fail('unknown_key', `kid "${shown(header.kid)}" is not an Ed25519 public key`);
  if (signaturePart === '') return fail('unsigned', 'the signature is empty');
  const signature = decodeBase64url(signaturePart);
  if (signature === null) return fail('malformed', 'the signature is not base64url');
  if (signature.length !== ED25519_SIGNATURE_BYTES) return fail('bad_signature', `an Ed25519 signature is ${ED25519_SIGNATURE_BYTES} bytes, this is ${signature.length}`);
  const payloadBytes = decodeBase64url(payloadPart);
  if (payloadBytes === null) return fail('malformed', 'the payload is not base64url');
  let valid: boolean;
  try {
    valid = verify(null, Buffer.from(`${headerPart}.${payloadPart}`, 'latin1'), key, signature);
  } catch (err) {
    return fail('bad_signature', `verification failed: ${(err as Error).message}`);
  }
  if (!valid) return fail('bad_signature', `the signature does not verify with key "${header.kid}"`);

  // Signed by the cloud from here on; still checked, never trusted to be well-formed.
  const rawClaims = parseJsonObject(payloadBytes);
  if (rawClaims === null) return fail('malformed', 'the payload is not a JSON object');
  const parsed = EnvelopeClaimsSchema.safeParse(rawClaims);
  if (!parsed.success) return fail('malformed', `claims: ${firstIssue(parsed.error)}`);
  const problem = checkClaims(parsed.data, options);
  if (problem !== null) return problem;
  return { ok: true, payload: parsed.data, header };
}

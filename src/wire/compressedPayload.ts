/**
 * Cloud → gateway payloads may be gzip-compressed (RFC 1952): the MQTT payload is then the gzip
 * of the signed token, recognised by gzip's first two bytes (1f 8b; a compact JWS starts with
 * "ey"). Compression is transport only: the signature covers the uncompressed token, which is
 * verified exactly as if it had arrived as is. A snapshot chunk of 1,000 credentials shrinks
 * about 8 times (docs/mqtt.md), which is what a gateway on a cellular link pays for.
 *
 * Inflating happens before the signature is checked, so it is bounded: never more output than
 * the type's byte limit (a "zip bomb" is refused as `too_large` after at most that much work).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudMessageType } from './messages.js';

export type InflateResult =
  | { ok: true; token: string | Uint8Array }
  | { ok: false; reason: 'too_large' | 'malformed'; detail: string };

/**
 * The cloud side (simulator, benchmark): what goes on the wire for a signed token. The bulk of a
 * sync (snapshot chunks, deltas) is gzipped, about 8 times smaller; everything else stays a
 * readable token. `level`: zlib's, 1 (fastest) to 9; default 6.
 */
export function cloudPayload(type: CloudMessageType, token: string, level?: number): string | Buffer {
  return type === 'snapshot' || type === 'delta' ? gzipSync(token, level === undefined ? {} : { level }) : token;
}

export function isGzip(bytes: string | Uint8Array): bytes is Uint8Array {
  return typeof bytes !== 'string' && bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The token in `bytes`, inflated if it is gzip, never longer than `maxBytes`. Never throws. */
export function inflatePayload(bytes: string | Uint8Array, maxBytes: number): InflateResult {
  if (!isGzip(bytes)) return { ok: true, token: bytes };
  if (bytes.length > maxBytes) return { ok: false, reason: 'too_large', detail: `${bytes.length} compressed bytes is over the limit of ${maxBytes}` };
  const tooLarge = { ok: false, reason: 'too_large', detail: `the gzip payload inflates to more than the limit of ${maxBytes} bytes` } as const;
  try {
    return { ok: true, token: gunzipSync(bytes, { maxOutputLength: maxBytes }) };
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    if (code === 'ERR_BUFFER_TOO_LARGE') return tooLarge;
    return { ok: false, reason: 'malformed', detail: `not a valid gzip payload: ${message}` };
  }
}

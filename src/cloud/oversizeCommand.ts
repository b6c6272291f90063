/**
 * The correlationId of a command that is over its size limit, read from the start of its token
 * only — the token is neither verified nor parsed whole (it is too large to be, by definition).
 *
 * The payload segment of the compact JWS (after the first '.') is base64url; its first
 * PREFIX_CHARS characters are decoded and searched for `"correlationId":"<id>"`. A gzip payload is
 * inflated from its first PREFIX_GZIP_BYTES bytes only, at most PREFIX_CHARS bytes out. The id
 * must pass CorrelationIdSchema. Null when it is not in that prefix: a command whose body puts a
 * large field before its correlationId cannot be answered.
 *
 * What was read is unverified: anyone who can publish on the command topic can make the gateway
 * answer `too_large` for any id. The answer executes nothing, is not remembered as a handled
 * command (a real command with that id is still executed) and says it is unverified.
 */
import { constants, gunzipSync } from 'node:zlib';
import { isGzip } from '../wire/compressedPayload.js';
import { CorrelationIdSchema, type CommandResponse } from '../wire/messages.js';

const PREFIX_CHARS = 4096;
const PREFIX_GZIP_BYTES = 1024;
const CORRELATION_ID = /"correlationId"\s*:\s*"([^"\\]{1,128})"/;

/** Never throws. */
export function readOversizeCorrelationId(payload: Uint8Array): string | null {
  const token = tokenPrefix(payload);
  if (token === null) return null;
  const dot = token.indexOf('.');
  if (dot < 0) return null;
  let part = token.slice(dot + 1, dot + 1 + PREFIX_CHARS);
  const end = part.indexOf('.');
  if (end >= 0) part = part.slice(0, end);
  part = part.slice(0, part.length - (part.length % 4)); // whole base64 quanta only
  const json = Buffer.from(part, 'base64url').toString('utf8');
  const found = CORRELATION_ID.exec(json)?.[1];
  if (found === undefined) return null;
  return CorrelationIdSchema.safeParse(found).success ? found : null;
}

function tokenPrefix(payload: Uint8Array): string | null {
  if (!isGzip(payload)) return Buffer.from(payload as Uint8Array).subarray(0, PREFIX_CHARS * 2).toString('latin1');
  try {
    const out = gunzipSync(payload.subarray(0, PREFIX_GZIP_BYTES), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: PREFIX_CHARS * 2 });
    return out.toString('latin1');
  } catch {
    return null; // corrupt, or more than the prefix out of the first bytes in
  }
}

/**
 * The response to an oversize command whose correlationId was read: result `too_large`, with
 * `data.verified: false` (the id is unverified). Not remembered as a handled command.
 */
export function tooLargeResponse(correlationId: string, bytes: number, maxBytes: number): CommandResponse {
  return {
    correlationId,
    result: 'too_large',
    message: `command rejected: ${bytes} bytes is over the limit of ${maxBytes}; not verified and not executed`,
    data: { bytes, maxBytes, verified: false },
  };
}

/**
 * Which command_response result answers a command that failed verification or validation
 * (the reason of decodeCloudMessage's failure, wire/cloudMessageCodec.ts):
 *
 * - unauthorized: not signed by a key we trust, or not meant for us (unsigned, algorithm,
 *   unknown_key, bad_signature, wrong_audience, wrong_issuer, wrong_type)
 * - expired: outside its validity (expired, not_yet_valid)
 * - unknown_command: the body's `name` is not a command we know (a schema failure at `name`)
 * - duplicate: a replay the link refused before decoding ('replay')
 * - too_large: over the size limit (the link answers these itself, when it can read the id)
 * - invalid: everything else (malformed, schema, unknown_topic, a reason we do not know)
 */
import type { IssuePath } from '../wire/cloudMessageCodec.js';
import type { CommandResult } from '../wire/messages.js';

const BY_REASON: Readonly<Record<string, CommandResult>> = {
  unsigned: 'unauthorized',
  algorithm: 'unauthorized',
  unknown_key: 'unauthorized',
  bad_signature: 'unauthorized',
  wrong_audience: 'unauthorized',
  wrong_issuer: 'unauthorized',
  wrong_type: 'unauthorized',
  expired: 'expired',
  not_yet_valid: 'expired',
  replay: 'duplicate',
  too_large: 'too_large',
};

/**
 * The result for a rejection. `path` is the zod path of a schema failure (DecodeCloudFailure's
 * `path`); without it, a schema failure is recognised as one at `name` from the detail that
 * decodeCloudMessage writes (`command: name: ...`).
 */
export function rejectionResult(reason: string, detail: string, path?: Readonly<IssuePath>): CommandResult {
  if (reason === 'schema') {
    const atName = path !== undefined ? path[0] === 'name' : /^command: name:/.test(detail);
    return atName ? 'unknown_command' : 'invalid';
  }
  return Object.hasOwn(BY_REASON, reason) ? BY_REASON[reason]! : 'invalid';
}

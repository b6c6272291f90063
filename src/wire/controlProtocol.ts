/**
 * The local control socket's protocol: one JSON request per line, one JSON response per line, in
 * order, on one connection that may carry many requests. Used by `lockgw status`, `lockgw sim ...`
 * and `lockgw lockdown ...` against a running daemon (docs/control-socket.md).
 *
 * Who can reach the socket (mode 0660, group `control.group`) can read the status and drive the
 * *simulated* devices; a `sim` verb never reaches a real door. Verbs that act on real doors
 * (`lockdown`) are answered only on a connection whose caller proved its uid first:
 *   1. `{command: 'challenge'}` → `{ok: true, challenge}` (a fresh random nonce, single use)
 *   2. the client creates `<socket dir>/.auth-<challenge>` itself (O_EXCL, mode 0644) holding the
 *      challenge; the kernel stamps the client's uid on it
 *   3. `{command: 'prove', challenge}` → `{ok: true, caller: {uid, user, operator}}`; the client
 *      removes the file (the daemon has read it and tries to remove it too)
 */
import { z } from 'zod';
import { IdSchema } from '../access/model.js';
import { AdminEnvelopeSchema, type AdminResult } from './adminProtocol.js';

const Challenge = z.string().regex(/^[0-9a-f]{32}$/, 'a challenge is 32 lowercase hex digits');

export const ControlRequestSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('status') }),
  z.strictObject({ command: z.literal('present'), door: IdSchema, card: z.string().max(100) }),
  z.strictObject({ command: z.literal('keys'), door: IdSchema, keys: z.string().min(1).max(64) }),
  z.strictObject({ command: z.literal('finger'), door: IdSchema, slot: z.number().int().min(0).max(65_535), confidence: z.number().int().min(0).max(100).optional() }),
  z.strictObject({ command: z.literal('phone'), door: IdSchema, keyId: IdSchema }),
  z.strictObject({ command: z.literal('door'), door: IdSchema, position: z.enum(['open', 'closed']) }),
  z.strictObject({ command: z.literal('rex'), door: IdSchema }),
  z.strictObject({ command: z.literal('fire'), active: z.boolean() }),
  z.strictObject({ command: z.literal('challenge') }),
  z.strictObject({ command: z.literal('prove'), challenge: Challenge }),
  /** real doors: only for a proven operator (docs/control-socket.md) */
  z.strictObject({ command: z.literal('lockdown'), door: IdSchema.nullable(), on: z.boolean() }),
  /** admin verbs (adminProtocol.ts): only for a proven caller, checked against the operator table */
  AdminEnvelopeSchema.extend({ command: z.literal('admin') }),
]);

export type ControlRequest = z.output<typeof ControlRequestSchema>;

/** The caller a `prove` established: its uid, the user name of that uid, and whether it may act on real doors. */
export interface ControlCaller {
  uid: number;
  user: string | null;
  operator: boolean;
}

/**
 * Codes of failed responses: a GatewayError code (NOT_FOUND, UNAVAILABLE, DEVICE_OFFLINE,
 * INPUT_INVALID, INTERNAL, ...) or one of the socket's own: NOT_AUTHORISED (a real-door verb
 * without a proven operator, or a proof that failed), BUSY (too many connections),
 * IDLE_TIMEOUT (the connection was idle too long and is closed).
 */
export type ControlErrorCode = string;

export type ControlResponse =
  | { ok: true; timeZone?: string; events?: unknown[]; doors?: unknown[]; note?: string; challenge?: string; caller?: ControlCaller; admin?: AdminResult }
  | { ok: false; code: ControlErrorCode; error: string };

export const MAX_REQUEST_BYTES = 4096;
/** a proven caller's request may carry a file (an admin verb's site file or CSV) */
export const MAX_PROVEN_REQUEST_BYTES = 2 * 8 * 1024 * 1024 + 4096;

/** the proof file's name in the socket's directory, for a challenge */
export function proofFileName(challenge: string): string {
  return `.auth-${challenge}`;
}

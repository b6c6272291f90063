/**
 * The local control socket's protocol: one JSON request per line, one JSON response per line, in
 * order, on one connection that may carry many requests. Used by `lockgw status`, `lockgw sim ...`
 * and `lockgw lockdown ...` against a running daemon (docs/control-socket.md). The stream
 * requests (watch, doorTest, learn, fingerprint) are answered by a stream of lines instead
 * (StreamLine below).
 *
 * Who can reach the socket (mode 0660, group `control.group`) can read the status and drive the
 * *simulated* devices and watch; a `sim` verb never reaches a real door. Verbs that act on real
 * doors (`lockdown`, `doorTest`, `learn`, `fingerprint`) are answered only on a connection whose caller proved its uid first:
 *   1. `{command: 'challenge'}` → `{ok: true, challenge}` (a fresh random nonce, single use)
 *   2. the client creates `<socket dir>/.auth-<challenge>` itself (O_EXCL, mode 0644) holding the
 *      challenge; the kernel stamps the client's uid on it
 *   3. `{command: 'prove', challenge}` → `{ok: true, caller: {uid, user, operator}}`; the client
 *      removes the file (the daemon has read it and tries to remove it too)
 */
import { z } from 'zod';
import { IdSchema } from '../access/model.js';
import { AdminEnvelopeSchema, type AdminResult } from './adminProtocol.js';

/** the longest a door test watches its inputs or a learn mode lasts */
export const MAX_STREAM_MS = 600_000;
/** a learn mode's length when the client names none */
export const DEFAULT_LEARN_MS = 60_000;

const Challenge = z.string().regex(/^[0-9a-f]{32}$/, 'a challenge is 32 lowercase hex digits');

export const ControlRequestSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('status') }),
  /** the cloud link, serial links (with bridge firmware), rules and journal: for `lockgw doctor` */
  z.strictObject({ command: z.literal('health') }),
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
  // --- at the door (streams: docs/control-socket.md "Streams") --------------------------------
  /** live journal entries and device health changes, until the client closes; whoever can connect */
  z.strictObject({ command: z.literal('watch'), door: IdSchema.optional() }),
  /** real door, operator: pulse the strike, show each indicator pattern, report health, then the inputs for `watchMs` */
  z.strictObject({ command: z.literal('doorTest'), door: IdSchema, force: z.boolean().default(false), watchMs: z.number().int().min(0).max(MAX_STREAM_MS).default(0) }),
  /** real door, operator: the next unknown card or keypad code at the door is shown to this client only */
  z.strictObject({ command: z.literal('learn'), door: IdSchema, forMs: z.number().int().min(1000).max(MAX_STREAM_MS).default(DEFAULT_LEARN_MS) }),
  /** real door, operator: enrol or delete a template in the door's R30x fingerprint sensor */
  z.strictObject({ command: z.literal('fingerprint'), action: z.enum(['enroll', 'delete']), door: IdSchema, slot: z.number().int().min(0).max(65_535) }),
  /** admin verbs (adminProtocol.ts): only for a proven caller, checked against the operator table */
  AdminEnvelopeSchema.extend({ command: z.literal('admin') }),
]);

/** The requests answered by a stream of lines rather than one response. */
export const STREAM_COMMANDS = ['watch', 'doorTest', 'learn', 'fingerprint'] as const;
export type StreamRequest = Extract<ControlRequest, { command: (typeof STREAM_COMMANDS)[number] }>;

export function isStreamRequest(request: ControlRequest): request is StreamRequest {
  return (STREAM_COMMANDS as readonly string[]).includes(request.command);
}

/**
 * One line of a stream. The first is `started` (or a failure: nothing was done); the last is
 * `end` with why, or a failure line `{ok: false}` (the stream broke: a device failed, the client
 * fell behind). Lines between carry what happened. A learned value travels only in `learned`.
 */
export type StreamLine =
  | { ok: true; stream: 'started'; timeZone: string; note?: string }
  | { ok: true; stream: 'event'; event: unknown }
  | { ok: true; stream: 'health'; device: string; doorId: string | null; health: { state: string; reason: string; since: number } }
  | { ok: true; stream: 'pulse'; released: boolean; ms: number; note: string }
  | { ok: true; stream: 'pattern'; pattern: string; shown: boolean; note?: string }
  | { ok: true; stream: 'input'; input: 'door' | 'rex' | 'fire'; value: boolean | null; at: number; initial: boolean }
  | { ok: true; stream: 'progress'; step: string }
  | { ok: true; stream: 'learned'; kind: 'card' | 'pin'; value: string }
  | { ok: true; stream: 'end'; reason: string }
  | { ok: false; code: ControlErrorCode; error: string };

export type ControlRequest = z.output<typeof ControlRequestSchema>;
/** what a client sends: defaults may be left out */
export type ControlRequestInput = z.input<typeof ControlRequestSchema>;

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
  | {
    ok: true; timeZone?: string; events?: unknown[]; doors?: unknown[]; health?: unknown; note?: string; challenge?: string; caller?: ControlCaller; admin?: AdminResult;
    /** status: the clock's trust and the offline lease (engine/offlineTrust.ts); null without a cloud link */
    clock?: unknown; lease?: unknown;
  }
  | { ok: false; code: ControlErrorCode; error: string };

export const MAX_REQUEST_BYTES = 4096;
/** a proven caller's request may carry a file (an admin verb's site file or CSV) */
export const MAX_PROVEN_REQUEST_BYTES = 2 * 8 * 1024 * 1024 + 4096;

/** the proof file's name in the socket's directory, for a challenge */
export function proofFileName(challenge: string): string {
  return `.auth-${challenge}`;
}

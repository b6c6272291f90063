/**
 * The local control socket's protocol: one JSON request per line, one JSON response per line.
 * Used by `lockgw sim ...` and `lockgw status` against a running daemon. Local only (a Unix
 * socket, mode 0660): whoever can reach it can open simulated doors, nothing else.
 */
import { z } from 'zod';
import { IdSchema } from '../access/model.js';

export const ControlRequestSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('status') }),
  z.strictObject({ command: z.literal('present'), door: IdSchema, card: z.string().max(100) }),
  z.strictObject({ command: z.literal('keys'), door: IdSchema, keys: z.string().min(1).max(64) }),
  z.strictObject({ command: z.literal('finger'), door: IdSchema, slot: z.number().int().min(0).max(65_535), confidence: z.number().int().min(0).max(100).optional() }),
  z.strictObject({ command: z.literal('phone'), door: IdSchema, keyId: IdSchema }),
  z.strictObject({ command: z.literal('door'), door: IdSchema, position: z.enum(['open', 'closed']) }),
  z.strictObject({ command: z.literal('rex'), door: IdSchema }),
  z.strictObject({ command: z.literal('fire'), active: z.boolean() }),
  z.strictObject({ command: z.literal('lockdown'), door: IdSchema.nullable(), on: z.boolean() }),
]);

export type ControlRequest = z.output<typeof ControlRequestSchema>;

export type ControlResponse =
  | { ok: true; timeZone: string; events?: unknown[]; doors?: unknown[]; note?: string }
  | { ok: false; code: string; error: string };

export const MAX_REQUEST_BYTES = 4096;

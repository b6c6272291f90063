/**
 * The shape of a card layout: where a format's facility code, card number and parity bits sit in
 * a Wiegand frame. Bit 1 is the first bit received; ranges are inclusive. The built-in formats
 * (cardFormatBuiltins.ts) and an installer's custom formats use the same shape; what a shape must
 * also satisfy to be decodable (no overlaps, every field bit under a parity bit, ...) is
 * cardFormatCheck.ts.
 */
import { z } from 'zod';

/** The longest frame the bridge line protocol carries (bridgeLine.ts), in bits. */
export const MAX_FRAME_BITS = 128;

const BitSchema = z.number().int().min(1, 'bits are numbered from 1 (the first received)').max(MAX_FRAME_BITS, `a frame has at most ${MAX_FRAME_BITS} bits`);

/** Bits `from` to `to`, inclusive; `from` is the field's most significant bit. */
const FieldSchema = z.strictObject({ from: BitSchema, to: BitSchema });

const ParityBitSchema = z.strictObject({
  /** where the parity bit is */
  bit: BitSchema,
  /** even: the parity bit and the bits it covers hold an even number of ones; odd: an odd number */
  kind: z.enum(['even', 'odd']),
  /** the bits it covers, as [from, to] ranges; may include other parity bits, never itself */
  over: z.array(z.tuple([BitSchema, BitSchema])).min(1, 'a parity bit covers at least one range'),
});

export const CardLayoutSchema = z.strictObject({
  /** names the format in logs and decodes; not a built-in name, not 'raw' */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'a format name is 1-40 letters, digits, . _ -'),
  /** the frame length this layout decodes; 9-128 (4 and 8 bits are keypad bursts) */
  bits: z.number().int().min(9, 'a card format has at least 9 bits (4 and 8 are keypad bursts)').max(MAX_FRAME_BITS, `a frame has at most ${MAX_FRAME_BITS} bits`),
  /** absent: the format has no facility code and its value is `<bits>:0:<number>` */
  facility: FieldSchema.optional(),
  number: FieldSchema,
  parity: z.array(ParityBitSchema).min(1, 'a card format needs a parity bit (frames without parity are rawLengths)').max(8),
});

export type CardLayout = z.output<typeof CardLayoutSchema>;
export type CardField = z.output<typeof FieldSchema>;

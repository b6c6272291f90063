/**
 * Seeded corruption of serial lines for the bridge fuzz tests: up to three byte flips,
 * insertions or deletions per line (a third of the lines), and occasional noise bursts of up to
 * 200 random bytes, optionally ending in LF.
 */
import fc from 'fast-check';

export interface CorruptionOp {
  kind: 'flip' | 'insert' | 'delete';
  pos: number;
  byte: number;
}

const byteArb = fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x20, 0x2a), fc.integer({ min: 0, max: 255 }));
const opArb: fc.Arbitrary<CorruptionOp> = fc.record({ kind: fc.constantFrom('flip' as const, 'insert' as const, 'delete' as const), pos: fc.nat(), byte: byteArb });

/** no change (2 in 3), or 1–3 operations */
export const corruptionOpsArb = fc.oneof({ weight: 2, arbitrary: fc.constant<CorruptionOp[]>([]) }, { weight: 1, arbitrary: fc.array(opArb, { minLength: 1, maxLength: 3 }) });

/** no noise (9 in 10), or a burst of bytes and whether it ends in LF */
export const noiseBurstArb = fc.oneof(
  { weight: 9, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 200 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), fc.boolean()) },
);

/** `text`'s bytes after `ops`, and whether they differ from the original */
export function corruptLine(text: string, ops: readonly CorruptionOp[]): { bytes: number[]; corrupted: boolean } {
  const original = [...Buffer.from(text, 'latin1')];
  const bytes = [...original];
  for (const op of ops) {
    if (op.kind === 'flip' && bytes.length > 0) bytes[op.pos % bytes.length]! ^= op.byte || 0xff;
    else if (op.kind === 'insert') bytes.splice(op.pos % (bytes.length + 1), 0, op.byte);
    else if (bytes.length > 0) bytes.splice(op.pos % bytes.length, 1);
  }
  return { bytes, corrupted: bytes.length !== original.length || bytes.some((b, i) => b !== original[i]) };
}

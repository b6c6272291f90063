/**
 * Reading and writing a card by its layout. Pure: no I/O, no clock. A layout is compiled once
 * (when a bridge starts) into bit masks, so a decode is a few ANDs and bit counts.
 *
 * Parity: a parity bit of kind 'even' makes itself and the bits it covers hold an even number of
 * ones, 'odd' an odd number. A frame is read only if every parity bit holds. Written frames set
 * the parity bits in an order where a parity bit that covers another comes after it (Corporate
 * 1000's bit 1 covers bits 2 and 35). The compiler trusts the layout: cardFormatCheck.ts is what
 * refuses a bad one.
 */
import { BUILTIN_LAYOUTS, type BuiltinFormat } from './cardFormatBuiltins.js';
import type { CardField, CardLayout } from './cardFormatSchema.js';

/** A bridge lists a format by built-in name or as a custom layout. */
export type CardFormatEntry = BuiltinFormat | CardLayout;

interface CompiledField {
  shift: bigint;
  mask: bigint;
}

interface CompiledParity {
  bit: bigint;
  over: bigint;
  odd: boolean;
}

export interface CompiledFormat {
  readonly name: string;
  readonly bits: number;
  readonly facility: CompiledField | null;
  readonly number: CompiledField;
  /** in write order */
  readonly parity: readonly CompiledParity[];
}

/** A bridge's formats by frame length (at most one per length). */
export type CardFormatSet = ReadonlyMap<number, CompiledFormat>;

export function layoutOf(entry: CardFormatEntry): CardLayout {
  return typeof entry === 'string' ? BUILTIN_LAYOUTS[entry] : entry;
}

export function compileFormats(entries: readonly CardFormatEntry[]): CardFormatSet {
  return new Map(entries.map((e) => {
    const compiled = compileLayout(layoutOf(e));
    return [compiled.bits, compiled];
  }));
}

export function compileLayout(layout: CardLayout): CompiledFormat {
  const at = (p: number) => 1n << BigInt(layout.bits - p);
  const field = (f: CardField): CompiledField => ({ shift: BigInt(layout.bits - f.to), mask: (1n << BigInt(f.to - f.from + 1)) - 1n });
  const order = parityOrder(layout) ?? layout.parity.map((_, i) => i);
  const parity = order.map((i) => {
    const p = layout.parity[i]!;
    let over = 0n;
    for (const [from, to] of p.over) for (let b = from; b <= to; b++) if (b !== p.bit) over |= at(b);
    return { bit: at(p.bit), over, odd: p.kind === 'odd' };
  });
  return { name: layout.name, bits: layout.bits, facility: layout.facility ? field(layout.facility) : null, number: field(layout.number), parity };
}

/**
 * The indexes of `layout.parity` in an order where every parity bit comes after the parity bits
 * it covers; null if two parity bits cover each other (directly or round a cycle).
 */
export function parityOrder(layout: CardLayout): number[] | null {
  const covers = (i: number, j: number) => i !== j && layout.parity[i]!.over.some(([a, b]) => a <= layout.parity[j]!.bit && layout.parity[j]!.bit <= b);
  const left = layout.parity.map((_, i) => i);
  const order: number[] = [];
  while (left.length > 0) {
    const next = left.findIndex((i) => !left.some((j) => covers(i, j)));
    if (next < 0) return null;
    order.push(...left.splice(next, 1));
  }
  return order;
}

/** The facility code and card number of a frame of `format.bits` bits; null when a parity bit is wrong. */
export function readCard(format: CompiledFormat, value: bigint): { facility: number; number: number } | null {
  for (const p of format.parity) {
    const ones = countOnes(value & p.over) + (value & p.bit ? 1 : 0);
    if ((ones % 2 === 1) !== p.odd) return null;
  }
  const get = (f: CompiledField) => Number((value >> f.shift) & f.mask);
  return { facility: format.facility ? get(format.facility) : 0, number: get(format.number) };
}

/** The frame value of a card; the caller has checked that both numbers fit their fields. */
export function writeCard(format: CompiledFormat, facility: number, number: number): bigint {
  let value = BigInt(number) << format.number.shift;
  if (format.facility) value |= BigInt(facility) << format.facility.shift;
  for (const p of format.parity) {
    const even = countOnes(value & p.over) % 2 === 0;
    if (even === p.odd) value |= p.bit;
  }
  return value;
}

/** Whether `n` fits a field of the format (facility: only 0 fits a format without one). */
export function fitsField(format: CompiledFormat, field: 'facility' | 'number', n: number): boolean {
  const f = format[field];
  return Number.isSafeInteger(n) && n >= 0 && BigInt(n) <= (f ? f.mask : 0n);
}

function countOnes(v: bigint): number {
  let n = 0;
  for (let x = v; x > 0n; x &= x - 1n) n++;
  return n;
}

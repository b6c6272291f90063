/**
 * What a bridge's card formats and raw lengths must satisfy beyond their shape, as a list of
 * problems with the path of each (relative to the bridge's options). The config schema
 * (serialConfig.ts) reports every problem; the driver (checkBridgeOptions) the first.
 */
import { parseCardNumber } from '../../../kernel/cardNumber.js';
import { z } from 'zod';
import { BUILTIN_FORMATS, BUILTIN_LAYOUTS, DEFAULT_FORMATS, type BuiltinFormat } from './cardFormatBuiltins.js';
import { layoutOf, parityOrder, type CardFormatEntry } from './cardFormat.js';
import { CardLayoutSchema, MAX_FRAME_BITS, type CardField, type CardLayout } from './cardFormatSchema.js';

export interface FormatProblem {
  path: (string | number)[];
  message: string;
}

/** The widest fields a card number carries (src/kernel/cardNumber.ts: 10 and 12 digits). */
const MAX_FACILITY_BITS = 32;
const MAX_NUMBER_BITS = 39;

/** Lengths that are never cards of a custom format or raw: keypad bursts. */
const KEYPAD_LENGTHS = [4, 8];
/** Lengths that are never raw: the default formats' (decoded with parity, or refused). */
const DEFAULT_LENGTHS = DEFAULT_FORMATS.map((f) => BUILTIN_LAYOUTS[f].bits);

/**
 * One entry of a bridge's `formats`: a built-in name or a custom layout, with the errors of the
 * one it looks like (not a union's "invalid input").
 */
export const CardFormatEntrySchema = z.unknown().transform((value, ctx): CardFormatEntry => {
  if (typeof value === 'string') {
    if (isBuiltin(value)) return value;
    ctx.addIssue({ code: 'custom', message: unknownName(value) });
    return z.NEVER;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `a card format is a built-in name (${BUILTIN_FORMATS.join(', ')}) or a custom layout {name, bits, facility, number, parity}` });
    return z.NEVER;
  }
  const layout = CardLayoutSchema.safeParse(value);
  if (layout.success) return layout.data;
  for (const issue of layout.error.issues) {
    const { path, message } = issue;
    ctx.addIssue(issue.code === 'unrecognized_keys' ? { code: 'unrecognized_keys', keys: issue.keys, path, message } : { code: 'custom', path, message });
  }
  return z.NEVER;
});

const span = (f: CardField) => `bits ${f.from}-${f.to}`;
const inside = (f: CardField | undefined, bit: number) => f !== undefined && f.from <= bit && bit <= f.to;

/** The problems of one custom layout, paths relative to the layout. */
function layoutProblems(layout: CardLayout): FormatProblem[] {
  const problems: FormatProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });
  const { bits, facility, number, parity } = layout;
  const fields = [['facility', facility, MAX_FACILITY_BITS], ['number', number, MAX_NUMBER_BITS]] as const;
  for (const [name, f, max] of fields) {
    if (!f) continue;
    if (f.from > f.to) add([name], `from ${f.from} is after to ${f.to}`);
    else if (f.to > bits) add([name], `${span(f)} run past the ${bits}-bit frame`);
    else if (f.to - f.from + 1 > max) add([name], `a ${name} field has at most ${max} bits (this one has ${f.to - f.from + 1})`);
  }
  if (facility && facility.from <= number.to && number.from <= facility.to) add(['number'], `the number field (${span(number)}) overlaps the facility field (${span(facility)})`);

  const seen = new Map<number, number>();
  parity.forEach((p, i) => {
    if (p.bit > bits) add(['parity', i, 'bit'], `parity bit ${p.bit} is outside the ${bits}-bit frame`);
    for (const [name, f] of fields) if (inside(f, p.bit)) add(['parity', i, 'bit'], `parity bit ${p.bit} is inside the ${name} field (${span(f!)})`);
    if (seen.has(p.bit)) add(['parity', i, 'bit'], `bit ${p.bit} is already parity bit ${seen.get(p.bit)}`);
    seen.set(p.bit, i);
    p.over.forEach(([from, to], j) => {
      if (from > to) add(['parity', i, 'over', j], `from ${from} is after to ${to}`);
      else if (to > bits) add(['parity', i, 'over', j], `bits ${from}-${to} run past the ${bits}-bit frame`);
      else if (from <= p.bit && p.bit <= to) add(['parity', i, 'over', j], `parity bit ${p.bit} cannot cover itself`);
    });
  });
  if (problems.length > 0) return problems;

  if (parityOrder(layout) === null) add(['parity'], 'two parity bits cover each other (directly or round a cycle): one of them must leave the other out');
  for (const [name, f] of fields) {
    if (!f) continue;
    for (let b = f.from; b <= f.to; b++) {
      if (!parity.some((p) => p.over.some(([from, to]) => from <= b && b <= to))) {
        add([name], `bit ${b} of the ${name} field is under no parity bit: one flipped bit there would present a different card`);
        break;
      }
    }
  }
  // Its decodes must be card numbers the access model accepts (and fit the ranges it knows for this length).
  const widest = (f: CardField | undefined) => (f ? 2 ** (f.to - f.from + 1) - 1 : 0);
  const normal = parseCardNumber(`${bits}:${widest(facility)}:${widest(number)}`);
  if (!normal.ok) add(['bits'], `its cards would not be valid card numbers: ${normal.reason}`);
  return problems;
}

/**
 * The problems of a bridge's `formats` and `rawLengths` (paths `formats.<i>…` and
 * `rawLengths.<i>`): entries of the wrong shape, custom layouts that cannot be decoded safely, two
 * formats of one length, names used twice, and raw lengths that are keypad bursts, default format
 * lengths or lengths a listed format decodes.
 */
export function formatSetProblems(formats: readonly CardFormatEntry[], rawLengths: readonly number[]): FormatProblem[] {
  const problems: FormatProblem[] = [];
  const byLength = new Map<number, { name: string; index: number }>();
  const names = new Map<string, number>();
  formats.forEach((entry, i) => {
    let layout: CardLayout;
    if (typeof entry === 'string') {
      if (!isBuiltin(entry)) return problems.push({ path: ['formats', i], message: unknownName(entry) });
      layout = layoutOf(entry);
    } else {
      const shape = CardLayoutSchema.safeParse(entry);
      if (!shape.success) return problems.push(...shape.error.issues.map((issue) => ({ path: ['formats', i, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], message: issue.message })));
      layout = shape.data;
      if (isBuiltin(layout.name) || layout.name === 'raw') problems.push({ path: ['formats', i, 'name'], message: `"${layout.name}" is a built-in name: list it by name, or name your layout differently` });
      if (KEYPAD_LENGTHS.includes(layout.bits)) problems.push({ path: ['formats', i, 'bits'], message: `${layout.bits}-bit frames are keypad bursts` });
      problems.push(...layoutProblems(layout).map((p) => ({ path: ['formats', i, ...p.path], message: p.message })));
    }
    const twice = names.get(layout.name);
    if (twice !== undefined) problems.push({ path: ['formats', i], message: `${layout.name} is already formats.${twice}` });
    names.set(layout.name, i);
    const other = byLength.get(layout.bits);
    if (other && twice === undefined) problems.push({ path: ['formats', i], message: `${layout.name} and ${other.name} (formats.${other.index}) both decode ${layout.bits}-bit frames: a bridge has at most one format per length` });
    if (!other) byLength.set(layout.bits, { name: layout.name, index: i });
    return undefined;
  });
  rawLengths.forEach((n, i) => {
    const message =
      !Number.isInteger(n) || n < 1 || n > MAX_FRAME_BITS ? `raw lengths are 1-${MAX_FRAME_BITS} bits, not ${n}`
      : KEYPAD_LENGTHS.includes(n) ? `${n} bits cannot be raw: ${n}-bit frames are keypad bursts`
      : DEFAULT_LENGTHS.includes(n) ? `${n} bits cannot be raw: ${DEFAULT_LENGTHS.join(', ')}-bit frames are decoded with their parity (${DEFAULT_FORMATS.join(', ')}), or refused when the bridge does not list that format`
      : byLength.has(n) ? `${n} bits cannot be raw: formats.${byLength.get(n)!.index} (${byLength.get(n)!.name}) decodes ${n}-bit frames with their parity`
      : null;
    if (message) problems.push({ path: ['rawLengths', i], message });
  });
  return problems;
}

function isBuiltin(name: string): name is BuiltinFormat {
  return (BUILTIN_FORMATS as readonly string[]).includes(name);
}

function unknownName(name: string): string {
  return `unknown card format "${name}": a built-in (${BUILTIN_FORMATS.join(', ')}) or a custom layout {name, bits, facility, number, parity}`;
}


/**
 * A site's PIN policy (docs/standalone.md, "Allocation"): the lengths a locally issued PIN may
 * have (within the 4–8 digits every keypad accepts) and the code-space rule of IEC 60839-11-1 —
 * at most one issued PIN per 1,000 possible codes — warned about or refused. It governs the
 * gateway's own allocation only: a PIN the cloud sends is never refused by it (it counts).
 *
 * Mixed lengths: the space is that of the **shortest** allowed length, 10^minLength. A guesser at
 * the keypad picks the shortest codes, and the gateway keeps PINs only as digests, so it cannot
 * tell how many of them are that short: every one might be. Summing 10^len over the lengths
 * would let a 4–8 site issue 111,110 PINs that could all be 4 digits long, filling the 10,000
 * four-digit codes eleven times over. Pure: no I/O.
 */
import { z } from 'zod';

/** what happens when one more PIN would pass the code-space limit */
export const CODE_SPACE_MODES = ['warn', 'refuse'] as const;

/** IEC 60839-11-1: one issued PIN per this many possible codes */
export const CODES_PER_ISSUED_PIN = 1000;

export const PIN_LENGTH_MIN = 4;
export const PIN_LENGTH_MAX = 8;

const Length = z.number().int().min(PIN_LENGTH_MIN, `a PIN has at least ${PIN_LENGTH_MIN} digits`).max(PIN_LENGTH_MAX, `a PIN has at most ${PIN_LENGTH_MAX} digits`);

export const PinPolicySchema = z
  .strictObject({
    minLength: Length.default(PIN_LENGTH_MIN),
    maxLength: Length.default(PIN_LENGTH_MAX),
    codeSpace: z.enum(CODE_SPACE_MODES).default('warn'),
  })
  .superRefine((p, ctx) => {
    if (p.minLength > p.maxLength) ctx.addIssue({ code: 'custom', path: ['maxLength'], message: `is shorter than minLength (${p.minLength})` });
  });

export type PinPolicy = z.output<typeof PinPolicySchema>;

/** today's behaviour: any 4 to 8 digits, a warning past the code-space limit */
export const DEFAULT_PIN_POLICY: PinPolicy = { minLength: PIN_LENGTH_MIN, maxLength: PIN_LENGTH_MAX, codeSpace: 'warn' };

/** The possible codes the rule counts: those of the shortest allowed length. */
export function codeSpace(policy: PinPolicy): number {
  return 10 ** policy.minLength;
}

/** How many PINs may be issued at the site: 4 digits → 10, 6 → 1,000, 8 → 100,000. */
export function pinLimit(policy: PinPolicy): number {
  return Math.floor(codeSpace(policy) / CODES_PER_ISSUED_PIN);
}

/** Why these digits are not a PIN this policy issues (their length), or null. */
export function lengthProblem(policy: PinPolicy, digits: string): string | null {
  if (!/^\d+$/.test(digits)) return 'a PIN is digits only';
  if (digits.length < policy.minLength || digits.length > policy.maxLength) {
    const range = policy.minLength === policy.maxLength ? `${policy.minLength}` : `${policy.minLength} to ${policy.maxLength}`;
    return `the site's PIN policy issues PINs of ${range} digits, not ${digits.length}`;
  }
  return null;
}

function runOfSteps(digits: string, step: 1 | -1): boolean {
  for (let i = 1; i < digits.length; i++) if (Number(digits[i]) - Number(digits[i - 1]) !== step) return false;
  return true;
}

/**
 * Why a code is trivially weak, or null: one digit repeated (1111), a run up or down (1234,
 * 9876), a repeated half (1212, 123123), or a code containing the holder's unit number when
 * that has three digits or more (unit 205C: 2051, 1205). Drawn codes are never weak; an asked one
 * is replaced by `preferred`, and issued by `strict` with a warning (the operator chose it).
 */
export function weakness(digits: string, unit?: string): string | null {
  if (/^(\d)\1*$/.test(digits)) return 'one digit repeated';
  if (runOfSteps(digits, 1) || runOfSteps(digits, -1)) return 'a run of consecutive digits';
  const half = digits.length / 2;
  if (Number.isInteger(half) && digits.slice(0, half) === digits.slice(half)) return 'a repeated pattern';
  const unitDigits = unit?.replace(/\D/g, '') ?? '';
  if (unitDigits.length >= 3 && digits.includes(unitDigits)) return "it contains the holder's unit number";
  return null;
}

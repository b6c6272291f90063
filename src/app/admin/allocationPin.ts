/**
 * Choosing a doorcode (docs/standalone.md, "Allocation"), as the hospitality portal's allocation
 * policies do: `random` draws one from crypto randomness, `preferred` takes the asked code if
 * the site may issue it and draws one otherwise (and says why), `strict` takes the asked code or
 * refuses naming why (taken, a length the policy does not issue; a weak code is issued and said).
 * A drawn code has the policy's shortest length (the length the code-space rule counts), is
 * never trivially weak (access/pinPolicy.ts weakness) and never one already issued at the site —
 * compared through the gateway's digest, as PINs are stored.
 */
import { randomInt } from 'node:crypto';
import { lengthProblem, weakness, type PinPolicy } from '../../access/pinPolicy.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AccessStore } from '../../store/accessStore.js';
import type { Allocation } from '../../wire/adminProtocol.js';
import type { PlanContext } from './adminPlan.js';

/** random draws before a small space is searched code by code */
const RANDOM_TRIES = 64;
/** a space up to this size is searched exhaustively when the random draws found nothing free */
const SEARCHED_SPACE = 1_000_000;
/** random draws in a larger space before it counts as full */
const LARGE_SPACE_TRIES = 10_000;

/** The digests of every PIN issued at the site (any status: a suspended PIN keeps its code). */
export function issuedPinDigests(store: AccessStore): Set<string> {
  const digests = new Set<string>();
  for (const c of store.credentials()) if (c.kind === 'pin') digests.add(c.value);
  return digests;
}

export interface PinChoice {
  pin: string;
  /** the gateway chose it (show it once) */
  drawn: boolean;
  /** why the asked code was not taken (preferred) */
  note?: string;
}

function refused(credentialId: string, why: string, hint?: string): GatewayError {
  return new GatewayError('POLICY_REFUSED', `credential ${credentialId}: ${why}`, { entity: 'credential', id: credentialId, field: 'pin', ...(hint ? { hint } : {}) });
}

/** Why the site may not issue this code (length, weakness), or null; taken codes are the store's DUPLICATE_CREDENTIAL. */
function notAllowed(policy: PinPolicy, pin: string, unit: string | undefined): string | null {
  const length = lengthProblem(policy, pin);
  if (length !== null) return length;
  const weak = weakness(pin, unit);
  return weak === null ? null : `the code is trivially weak (${weak})`;
}

function draw(ctx: PlanContext, policy: PinPolicy, issued: ReadonlySet<string>, unit: string | undefined, credentialId: string): string {
  const length = policy.minLength;
  const space = 10 ** length;
  const code = (n: number) => String(n).padStart(length, '0');
  const usable = (pin: string) => weakness(pin, unit) === null && !issued.has(ctx.hashPin(pin));
  const tries = space <= SEARCHED_SPACE ? RANDOM_TRIES : LARGE_SPACE_TRIES;
  for (let i = 0; i < tries; i++) {
    const pin = code(randomInt(space));
    if (usable(pin)) return pin;
  }
  if (space <= SEARCHED_SPACE) {
    // nearly full: every code once, from a random place, so a free one is found if there is one
    const start = randomInt(space);
    for (let i = 0; i < space; i++) {
      const pin = code((start + i) % space);
      if (usable(pin)) return pin;
    }
  }
  throw refused(credentialId, `no free doorcode of ${length} digits is left at this site (every code is issued or trivially weak)`, 'raise the PIN policy\'s minimum length (lockgw pin-policy set --length …) or revoke unused PINs');
}

/** Chooses the PIN of a credential by the allocation asked for; `asked` is the operator's code (preferred, strict). */
export function allocatePin(ctx: PlanContext, request: { credentialId: string; allocation: Allocation; asked?: string; unit?: string }): PinChoice {
  const policy = ctx.pinPolicy.get().policy;
  const issued = issuedPinDigests(ctx.store);
  const { credentialId, asked, unit } = request;
  if (request.allocation === 'random') return { pin: draw(ctx, policy, issued, unit, credentialId), drawn: true };
  if (asked === undefined) throw new GatewayError('INPUT_INVALID', `credential ${credentialId}: allocation ${request.allocation} needs a specific doorcode (--pin)`, { entity: 'credential', id: credentialId, field: 'pin' });
  const taken = issued.has(ctx.hashPin(asked));
  if (request.allocation === 'strict') {
    if (taken) throw new GatewayError('DUPLICATE_CREDENTIAL', `credential ${credentialId}: this PIN is issued at the site already (pin)`, { entity: 'credential', id: credentialId, field: 'pin', hint: 'choose another code, or give --allocation preferred to have one drawn instead' });
    const length = lengthProblem(policy, asked);
    if (length !== null) throw refused(credentialId, `${length} (allocation strict)`, 'choose another code, or give --allocation preferred to have one drawn instead');
    // strict is the operator's own code: a weak one is issued as asked, and said
    const weak = weakness(asked, unit);
    return { pin: asked, drawn: false, ...(weak ? { note: `warning: the doorcode of ${credentialId} is trivially weak (${weak}); --allocation preferred would have drawn another` } : {}) };
  }
  const problem = notAllowed(policy, asked, unit);
  if (problem === null && !taken) return { pin: asked, drawn: false };
  return { pin: draw(ctx, policy, issued, unit, credentialId), drawn: true, note: `the asked doorcode was not used (${problem ?? 'it is issued at the site already'}): a code was drawn instead` };
}

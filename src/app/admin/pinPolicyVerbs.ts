/**
 * pin-policy show / set (docs/standalone.md, "Allocation") as plans (adminPlan.ts), and the
 * code-space rule every local change is judged by: a change that raises the number of PINs
 * issued at the site past the policy's limit (access/pinPolicy.ts pinLimit) is warned about
 * (`warn`: said by the verb, journaled) or refused (`refuse`: POLICY_REFUSED, nothing changes).
 * Every PIN the store holds counts, the cloud's included; a change that does not add PINs (a
 * replace, a revoke) is never refused, so a site over its limit can always come back under it.
 */
import type { BatchOp } from '../../access/batchOpSchema.js';
import { codeSpace, PinPolicySchema, pinLimit, type PinPolicy } from '../../access/pinPolicy.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AccessStore } from '../../store/accessStore.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import type { AdminPlan, PlanContext } from './adminPlan.js';

type PolicyRequest = Extract<AdminRequest, { verb: 'pin-policy.show' | 'pin-policy.set' }>;

/** What `pin-policy show` answers. */
export interface PinPolicyView {
  policy: PinPolicy;
  /** the PINs issued at the site: every PIN credential the store holds, whatever its source or status */
  issued: number;
  /** the most PINs the code-space rule allows (one per 1,000 codes of the shortest length) */
  limit: number;
  /** the codes the rule counts: 10^minLength */
  codeSpace: number;
  changedAt: number | null;
  changedBy: number | null;
}

export function issuedPinCount(store: AccessStore): number {
  let n = 0;
  for (const c of store.credentials()) if (c.kind === 'pin') n++;
  return n;
}

export function describePolicy(p: PinPolicy): string {
  const lengths = p.minLength === p.maxLength ? `${p.minLength} digits` : `${p.minLength} to ${p.maxLength} digits`;
  return `PINs of ${lengths}, at most ${pinLimit(p).toLocaleString('en')} issued (code space ${codeSpace(p).toLocaleString('en')}, over the limit: ${p.codeSpace})`;
}

/** A policy from the fields given over the one in force: a bad one is INPUT_INVALID naming the field. */
export function mergedPolicy(current: PinPolicy, given: Partial<PinPolicy>): PinPolicy {
  const parsed = PinPolicySchema.safeParse({ ...current, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? 'pinPolicy');
  throw new GatewayError('INPUT_INVALID', `pin policy: ${field} ${issue.message}`, { entity: 'pin_policy', field });
}

export function planPinPolicy(ctx: PlanContext, request: PolicyRequest): AdminPlan {
  const entry = ctx.pinPolicy.get();
  if (request.verb === 'pin-policy.show') {
    const view: PinPolicyView = { policy: entry.policy, issued: issuedPinCount(ctx.store), limit: pinLimit(entry.policy), codeSpace: codeSpace(entry.policy), changedAt: entry.changedAt, changedBy: entry.changedBy };
    return { ops: [], keyIds: [], data: view };
  }
  const { verb: _verb, ...given } = request;
  const policy = mergedPolicy(entry.policy, given);
  const same = policy.minLength === entry.policy.minLength && policy.maxLength === entry.policy.maxLength && policy.codeSpace === entry.policy.codeSpace && entry.changedAt !== null;
  if (same) return { ops: [], keyIds: [], note: `the PIN policy is this already: ${describePolicy(policy)}` };
  const issued = issuedPinCount(ctx.store);
  const over = issued > pinLimit(policy) ? `the site has ${issued} PINs issued, over this limit: no PIN can be added locally until some are revoked${policy.codeSpace === 'warn' ? ' without a warning' : ''}` : undefined;
  return { ops: [], keyIds: [], local: { pinPolicy: policy, lines: [`set PIN policy: ${describePolicy(policy)}`] }, ...(over ? { note: over } : {}) };
}

/** The PINs the store holds now and once the operations are applied, in one pass over its credentials. */
function pinCounts(store: AccessStore, ops: readonly BatchOp[]): { before: number; after: number } {
  const pins = new Set<string>();
  for (const c of store.credentials()) if (c.kind === 'pin') pins.add(c.id);
  const before = pins.size;
  for (const op of ops) {
    if (op.entity !== 'credential') continue;
    if (op.op === 'delete') pins.delete(op.id);
    else if (op.record.kind === 'pin') pins.add(op.record.id);
    else pins.delete(op.record.id);
  }
  return { before, after: pins.size };
}

/**
 * The code-space rule on a plan: null when it is within the limit (or adds no PIN), the warning
 * to say under `warn`; POLICY_REFUSED under `refuse`. `policy` is the one the plan sets, if any.
 */
export function codeSpaceVerdict(ctx: PlanContext, plan: AdminPlan): { warning: string; before: number; after: number; limit: number } | null {
  // a plan that writes no credential leaves the count as it is: no scan of the site's credentials
  if (!plan.ops.some((op) => op.entity === 'credential')) return null;
  const policy = plan.local?.pinPolicy ?? ctx.pinPolicy.get().policy;
  const { before, after } = pinCounts(ctx.store, plan.ops);
  const limit = pinLimit(policy);
  if (after <= limit || after <= before) return null;
  const why = `${after} PINs would be issued at this site, over the code-space limit of ${limit} (IEC 60839-11-1: one PIN per 1,000 possible codes; ${codeSpace(policy).toLocaleString('en')} codes of ${policy.minLength} digits)`;
  if (policy.codeSpace === 'refuse') {
    throw new GatewayError('POLICY_REFUSED', `${why}: the PIN policy refuses it`, { entity: 'pin_policy', field: 'codeSpace', hint: 'revoke unused PINs, or raise the minimum length (lockgw pin-policy set --min-length 6)' });
  }
  return { warning: why, before, after, limit };
}

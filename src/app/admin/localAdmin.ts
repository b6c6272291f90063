/**
 * The one writer of local rule changes (docs/standalone.md). A request from a caller known by
 * uid is checked against the operator table and the permission matrix, planned into one batch,
 * applied through the gateway (so the doors' index swaps at once and the batch is all or
 * nothing) and journaled with its operator: `system`/`local_change` for a change,
 * `security`/`admin_refused` for a refusal. The daemon runs it for control-socket requests; the
 * CLI runs it itself on the database when no daemon runs — same checks, same journal.
 *
 * Refusals are GatewayError NOT_AUTHORISED; a cloud-managed gateway refuses rule changes with
 * CLOUD_MANAGED unless `forceLocal`, and then the cloud's next snapshot wins.
 */
import type { BatchOp } from '../../access/batchOpSchema.js';
import type { Operator } from '../../access/operator.js';
import type { Clock } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { JournalEvent } from '../../journal/journal.js';
import type { AccessStore, ApplyOptions } from '../../store/accessStore.js';
import type { CardStockStore } from '../../store/cardStockStore.js';
import type { OperatorStore } from '../../store/operatorStore.js';
import type { PinPolicyStore } from '../../store/pinPolicyStore.js';
import type { SystemAccounts } from '../../control/userNames.js';
import type { AppliedState } from '../../engine/accessEngine.js';
import type { AdminEnvelope, AdminOperator, AdminRequest, AdminResult, AdminVerb } from '../../wire/adminProtocol.js';
import { changeLine, type AdminPlan, type PlanContext } from './adminPlan.js';
import { planCredential } from './credentialVerbs.js';
import { planKey } from './keyVerbs.js';
import { planStock } from './cardStockVerbs.js';
import { runOperatorVerb } from './operatorVerbs.js';
import { permits } from './permissions.js';
import { codeSpaceVerdict, planPinPolicy } from './pinPolicyVerbs.js';
import { planPerson } from './personVerbs.js';
import { exportSite } from './siteExport.js';
import { planPeopleImport, planSiteApply } from './siteVerbs.js';

/** What the admin verbs act on: the gateway (app/gateway.ts) fits it. */
export interface AdminTarget {
  readonly store: AccessStore;
  readonly cloudManaged: boolean;
  readonly journal: { append(event: JournalEvent): number };
  applyBatch(raw: unknown, options: ApplyOptions, local?: { forceLocal?: boolean }): AppliedState;
  applied(): AppliedState;
  hashPin(pin: string): string;
  readonly index: { timeZone: string };
}

/** Who asks: a uid the socket's proof established, or the CLI's own uid on the database. */
export interface AdminCaller {
  uid: number;
  user: string | null;
}

export interface LocalAdminDeps {
  target: AdminTarget;
  operators: OperatorStore;
  /** the local allocation state (docs/standalone.md, "Allocation") */
  pinPolicy: PinPolicyStore;
  stock: CardStockStore;
  accounts: SystemAccounts;
  clock: Clock;
  /** uids that are Owner without a row (root, the daemon's own account, the database file's owner) */
  ownerUids: ReadonlySet<number>;
}

/** at most this many change lines are journaled per change (the count is always there) */
const JOURNALED_CHANGES = 50;

export class LocalAdmin {
  constructor(private readonly deps: LocalAdminDeps) {}

  /** The caller's operator record: Owner for the owner uids, the table's row, or null (not an operator). */
  operatorOf(caller: AdminCaller): Operator | null {
    if (this.deps.ownerUids.has(caller.uid)) return { uid: caller.uid, user: caller.user, role: 'owner', keyManagement: 'full', keyIds: [] };
    return this.deps.operators.get(caller.uid) ?? null;
  }

  run(envelope: AdminEnvelope, caller: AdminCaller): AdminResult {
    const { request, forceLocal } = envelope;
    const dryRun = envelope.dryRun;
    const verb: AdminVerb = request.verb === 'site.apply' && dryRun ? 'site.check' : request.verb;
    const operator = this.operatorOf(caller);
    if (operator === null) this.refuse(verb, caller, null, `uid ${caller.uid} (${caller.user ?? 'no local user'}) is not an operator`, 'an owner adds operators with lockgw operator add USER --role ROLE');
    const who: AdminOperator = { uid: caller.uid, user: caller.user, role: operator.role };
    this.check(operator, verb, [], who);
    const target = this.deps.target;
    const ctx: PlanContext = {
      store: target.store, hashPin: (pin) => target.hashPin(pin), timeZone: target.index.timeZone,
      pinPolicy: this.deps.pinPolicy, stock: this.deps.stock, now: this.deps.clock.now(), by: caller.uid,
    };
    const base = { verb, dryRun, operator: who };

    if (request.verb === 'site.export') return { ...base, applied: false, revision: target.applied().revision, changes: [], data: exportSite(target.store, request.format, this.policySet()) };
    if (request.verb === 'operator.add' || request.verb === 'operator.remove' || request.verb === 'operator.list') {
      const outcome = runOperatorVerb(request, { operators: this.deps.operators, accounts: this.deps.accounts, plan: ctx, now: this.deps.clock.now(), by: caller.uid, dryRun });
      if (outcome.changed) this.journalChange(who, verb, target.applied().revision, outcome.changes, false);
      return { ...base, applied: outcome.changed, revision: target.applied().revision, changes: outcome.changes, ...(outcome.data ? { data: outcome.data } : {}) };
    }

    const plan = this.plan(ctx, request);
    this.check(operator, verb, plan.keyIds, who);
    const codeSpace = codeSpaceVerdict(ctx, plan);
    const changes = [...plan.ops.map(changeLine), ...(plan.local?.lines ?? [])];
    const said = {
      ...(plan.note ? { note: plan.note } : {}), ...(codeSpace ? { warning: codeSpace.warning } : {}),
      ...(plan.data !== undefined ? { data: plan.data } : {}),
    };
    const local = plan.local;
    if (dryRun || (plan.ops.length === 0 && local === undefined)) return { ...base, applied: false, revision: target.applied().revision, changes, ...said };
    const writeLocal = () => {
      if (local?.stock) this.deps.stock.apply(local.stock);
      if (local?.pinPolicy) this.deps.pinPolicy.put(local.pinPolicy, ctx.now, caller.uid);
    };
    const forced = target.cloudManaged && forceLocal;
    // the stock's rows and the policy are written in the batch's transaction: all or nothing
    const applied = plan.ops.length === 0 ? (writeLocal(), target.applied()) : target.applyBatch(plan.ops satisfies BatchOp[], { source: 'local', beforeCommit: writeLocal }, { forceLocal });
    this.journalChange(who, verb, applied.revision, changes, forced);
    if (codeSpace) {
      this.deps.target.journal.append({ type: 'system', at: this.deps.clock.now(), reason: 'pin_code_space_exceeded', data: { verb, uid: who.uid, user: who.user, pins: codeSpace.after, limit: codeSpace.limit } });
    }
    const cloudNote = forced && plan.ops.length > 0 ? 'this gateway is cloud-managed: the change holds until the cloud\'s next snapshot replaces it' : undefined;
    const note = [plan.note, cloudNote].filter(Boolean).join('; ');
    // a drawn value goes to the operator here and nowhere else (the journal has its credential id only)
    return { ...base, applied: true, revision: applied.revision, changes, ...said, ...(note ? { note } : {}), ...(plan.issued ? { issued: plan.issued } : {}) };
  }

  private plan(ctx: PlanContext, request: Exclude<AdminRequest, { verb: 'site.export' | 'operator.add' | 'operator.remove' | 'operator.list' }>): AdminPlan {
    switch (request.verb) {
      case 'person.add':
      case 'person.edit':
      case 'person.suspend':
      case 'person.remove':
        return planPerson(ctx, request);
      case 'key.create':
      case 'key.edit':
      case 'key.remove':
      case 'give':
      case 'revoke':
        return planKey(ctx, request);
      case 'credential.add':
      case 'credential.replace':
      case 'credential.revoke':
        return planCredential(ctx, request);
      case 'site.apply':
        return planSiteApply(ctx, request);
      case 'people.import':
        return planPeopleImport(ctx, request);
      case 'pin-policy.show':
      case 'pin-policy.set':
        return planPinPolicy(ctx, request);
      case 'stock.add':
      case 'stock.list':
      case 'stock.lost':
      case 'stock.retire':
      case 'stock.return':
        return planStock(ctx, request);
    }
  }

  /** The PIN policy when one was set (export writes it), or undefined for the default. */
  private policySet() {
    const entry = this.deps.pinPolicy.get();
    return entry.changedAt === null ? undefined : entry.policy;
  }

  private check(operator: Operator, verb: AdminVerb, keyIds: readonly string[], who: AdminOperator): void {
    const permission = permits(operator, verb, keyIds);
    if (!permission.ok) this.refuse(verb, who, operator.role, permission.reason);
  }

  /** Journals the refusal as a security event and throws NOT_AUTHORISED. */
  private refuse(verb: AdminVerb, caller: AdminCaller, role: string | null, why: string, hint?: string): never {
    this.deps.target.journal.append({ type: 'security', at: this.deps.clock.now(), reason: 'admin_refused', data: { verb, uid: caller.uid, user: caller.user, role, why } });
    throw new GatewayError('NOT_AUTHORISED', `${verb} refused: ${why}`, { field: 'operator', ...(hint ? { hint } : {}) });
  }

  private journalChange(who: AdminOperator, verb: AdminVerb, revision: number, changes: readonly string[], forced: boolean): void {
    this.deps.target.journal.append({
      type: 'system', at: this.deps.clock.now(), reason: 'local_change',
      data: { verb, uid: who.uid, user: who.user, role: who.role, revision, operations: changes.length, changes: changes.slice(0, JOURNALED_CHANGES), ...(forced ? { forced: true } : {}) },
    });
  }
}

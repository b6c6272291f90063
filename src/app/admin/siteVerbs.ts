/**
 * site apply (the whole site as a file: validate with file:line:col errors, then the difference
 * from the rules in force as one batch) and people import (the bulk-user CSV: its people and
 * their holdings are added or updated, nobody else is touched) as plans (adminPlan.ts).
 */
import type { BatchOp } from '../../access/batchOpSchema.js';
import type { Person } from '../../access/model.js';
import { parseBulkUsersCsv } from '../../access/site/bulkUsersCsv.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import { siteInputFrom } from '../site/siteInput.js';
import { diffState } from '../site/stateDiff.js';
import type { AdminPlan, PlanContext } from './adminPlan.js';
import { describePolicy } from './pinPolicyVerbs.js';

function keysOf(ops: readonly BatchOp[]): string[] {
  const keys = new Set<string>();
  for (const op of ops) {
    if (op.entity === 'key') keys.add(op.op === 'upsert' ? op.record.id : op.id);
    if (op.entity === 'holding') keys.add(op.op === 'upsert' ? op.record.keyId : op.keyId);
  }
  return [...keys];
}

export function planSiteApply(ctx: PlanContext, request: Extract<AdminRequest, { verb: 'site.apply' }>): AdminPlan {
  const input = siteInputFrom(request.site, request.users);
  const ops = diffState(ctx.store, input.records, (pin) => ctx.hashPin(pin));
  const c = input.counts;
  // the file's PIN policy, when it has one and it differs (a file without one leaves it as it is)
  const policy = input.records.pinPolicy;
  const current = ctx.pinPolicy.get();
  const samePolicy = policy === undefined || (current.changedAt !== null && policy.minLength === current.policy.minLength && policy.maxLength === current.policy.maxLength && policy.codeSpace === current.policy.codeSpace);
  return {
    ops, keyIds: keysOf(ops),
    ...(samePolicy ? {} : { local: { pinPolicy: policy, lines: [`set PIN policy: ${describePolicy(policy)}`] } }),
    note: ops.length === 0 && samePolicy
      ? `${request.site.source}: the rules in force are this site already`
      : `${request.site.source}: ${c.doors} doors, ${c.keys} keys, ${c.people} people, ${c.credentials} credentials; anything the file does not name is deleted`,
  };
}

/** The CSV says a person's unit and place: what it leaves out is cleared. */
function withoutUnit(p: Person): Person {
  const { unit: _unit, place: _place, ...rest } = p;
  return rest;
}

function pick(p: Person): Partial<Person> {
  return { ...(p.unit !== undefined ? { unit: p.unit } : {}), ...(p.place !== undefined ? { place: p.place } : {}) };
}

export function planPeopleImport(ctx: PlanContext, request: Extract<AdminRequest, { verb: 'people.import' }>): AdminPlan {
  if (ctx.store.site() === null) {
    throw new GatewayError('INPUT_INVALID', `${request.users.source}: the gateway has no site yet, so the expiry dates have no time zone`, { field: 'site', hint: 'apply a site file first (lockgw site apply FILE)' });
  }
  const users = parseBulkUsersCsv(request.users.text, request.users.source, { timeZone: ctx.timeZone, keys: [...ctx.store.keys()] });
  const ops: BatchOp[] = [];
  for (const person of users.people) {
    const known = ctx.store.person(person.id);
    // a second upload updates name and kind; a suspension, a host or extended unlock stays
    const record: Person = known === undefined ? person : { ...withoutUnit(known), name: person.name, kind: known.kind === 'guest' ? known.kind : person.kind, ...pick(person) };
    ops.push({ op: 'upsert', entity: 'person', record });
  }
  for (const holding of users.holdings) ops.push({ op: 'upsert', entity: 'holding', record: holding });
  return { ops, keyIds: keysOf(ops), note: `${request.users.source}: ${users.people.length} people, ${users.holdings.length} holdings` };
}

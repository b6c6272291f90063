/** person add / edit / suspend / remove as plans (adminPlan.ts). */
import type { Person } from '../../access/model.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import { notFound, type AdminPlan, type PlanContext } from './adminPlan.js';

type PersonRequest = Extract<AdminRequest, { verb: 'person.add' | 'person.edit' | 'person.suspend' | 'person.remove' }>;

function existing(ctx: PlanContext, id: string): Person {
  const person = ctx.store.person(id);
  if (person === undefined) throw notFound('person', id, 'id', 'lockgw list people shows who exists');
  return person;
}

export function planPerson(ctx: PlanContext, request: PersonRequest): AdminPlan {
  switch (request.verb) {
    case 'person.add':
      if (ctx.store.person(request.person.id) !== undefined) {
        throw new GatewayError('INPUT_INVALID', `person ${request.person.id} exists already (id): change them with lockgw person edit`, { entity: 'person', id: request.person.id, field: 'id' });
      }
      return { ops: [{ op: 'upsert', entity: 'person', record: request.person }], keyIds: [] };
    case 'person.edit': {
      const { id, verb: _verb, hostId, unit, place, ...fields } = request;
      const person = existing(ctx, id);
      const edited: Person = { ...person, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
      // null removes an optional field, undefined keeps it
      for (const [field, value] of [['hostId', hostId], ['unit', unit], ['place', place]] as const) {
        if (value === null) delete edited[field];
        else if (value !== undefined) edited[field] = value;
      }
      return { ops: [{ op: 'upsert', entity: 'person', record: edited }], keyIds: [] };
    }
    case 'person.suspend': {
      const person = existing(ctx, request.id);
      const guests = ctx.store.guestsOf(request.id);
      const note = request.suspended && guests.length > 0 ? `the guests of ${request.id} (${guests.join(', ')}) are denied with host_revoked while ${request.id} is suspended` : undefined;
      return { ops: [{ op: 'upsert', entity: 'person', record: { ...person, status: request.suspended ? 'suspended' : 'active' } }], keyIds: [], ...(note ? { note } : {}) };
    }
    case 'person.remove': {
      existing(ctx, request.id);
      const credentials = [...ctx.store.credentials(request.id)].length;
      return {
        ops: [{ op: 'delete', entity: 'person', id: request.id }], keyIds: [],
        note: `removing ${request.id} also removes their holdings and ${credentials} credential${credentials === 1 ? '' : 's'}`,
      };
    }
  }
}

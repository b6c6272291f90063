/**
 * key create / edit / remove and give / revoke as plans (adminPlan.ts). Revoking takes back only
 * what the key gave: credentials belong to the person, not to the key, so a PIN that another key
 * of the same person still needs keeps working (Latch's "move without losing codes";
 * docs/access-model.md, "Revocation").
 */
import type { Key, KeyDoor } from '../../access/model.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import { keyById, notFound, type AdminPlan, type PlanContext } from './adminPlan.js';

type KeyRequest = Extract<AdminRequest, { verb: 'key.create' | 'key.edit' | 'key.remove' | 'give' | 'revoke' }>;

function existingKey(ctx: PlanContext, id: string, field: string): Key {
  const key = keyById(ctx.store, id);
  if (key === undefined) throw notFound('key', id, field, 'lockgw list keys shows the keys');
  return key;
}

function editedDoors(key: Key, request: Extract<KeyRequest, { verb: 'key.edit' }>): KeyDoor[] {
  let doors = request.doors ?? key.doors;
  if (request.removeDoors) {
    const missing = request.removeDoors.filter((d) => !doors.some((kd) => kd.doorId === d));
    if (missing.length > 0) throw new GatewayError('NOT_FOUND', `key ${key.id} has no door ${missing.join(', ')} to remove (removeDoors)`, { entity: 'key', id: key.id, field: 'removeDoors' });
    const gone = new Set(request.removeDoors);
    doors = doors.filter((kd) => !gone.has(kd.doorId));
  }
  for (const add of request.addDoors ?? []) {
    const at = doors.findIndex((kd) => kd.doorId === add.doorId);
    doors = at < 0 ? [...doors, add] : doors.map((kd, i) => (i === at ? add : kd));
  }
  return doors;
}

export function planKey(ctx: PlanContext, request: KeyRequest): AdminPlan {
  switch (request.verb) {
    case 'key.create': {
      if (keyById(ctx.store, request.key.id) !== undefined) {
        throw new GatewayError('INPUT_INVALID', `key ${request.key.id} exists already (id): edit it with lockgw key edit`, { entity: 'key', id: request.key.id, field: 'id' });
      }
      return { ops: [{ op: 'upsert', entity: 'key', record: request.key }], keyIds: [request.key.id] };
    }
    case 'key.edit': {
      const key = existingKey(ctx, request.id, 'id');
      const edited: Key = {
        ...key,
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.mayShare !== undefined ? { mayShare: request.mayShare } : {}),
        doors: editedDoors(key, request),
      };
      return { ops: [{ op: 'upsert', entity: 'key', record: edited }], keyIds: [key.id] };
    }
    case 'key.remove': {
      existingKey(ctx, request.id, 'id');
      return { ops: [{ op: 'delete', entity: 'key', id: request.id }], keyIds: [request.id], note: `every holding of ${request.id} ends; credentials stay with their people` };
    }
    case 'give': {
      const { personId, keyId } = request.holding;
      if (ctx.store.person(personId) === undefined) throw notFound('person', personId, 'personId');
      existingKey(ctx, keyId, 'keyId');
      return { ops: [{ op: 'upsert', entity: 'holding', record: request.holding }], keyIds: [keyId] };
    }
    case 'revoke': {
      const { personId, keyId } = request;
      const held = [...ctx.store.holdings(personId)];
      if (!held.some((h) => h.keyId === keyId)) {
        throw new GatewayError('NOT_FOUND', `person ${personId} does not hold key ${keyId} (keyId)`, { entity: 'holding', id: `${personId}/${keyId}`, field: 'keyId' });
      }
      const others = held.filter((h) => h.keyId !== keyId).map((h) => h.keyId);
      const credentials = [...ctx.store.credentials(personId)].length;
      const note = others.length > 0
        ? `${personId} keeps ${credentials} credential${credentials === 1 ? '' : 's'}: they still open the doors of ${others.join(', ')}`
        : `${personId} holds no other key: their ${credentials} credential${credentials === 1 ? '' : 's'} are kept but open nothing until a key is given`;
      return { ops: [{ op: 'delete', entity: 'holding', personId, keyId }], keyIds: [keyId], note };
    }
  }
}

/**
 * credential add / replace / revoke as plans (adminPlan.ts). A PIN arrives in clear and leaves
 * this module only inside the batch, which the store hashes with the device secret before it
 * writes it (`gateway.hashPin`): it is never stored, journaled or returned in clear.
 */
import { CredentialInputSchema, type Credential, type CredentialInput } from '../../access/model.js';
import { credentialInput } from '../../access/site/siteRecords.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import { notFound, type AdminPlan, type PlanContext } from './adminPlan.js';

type CredentialRequest = Extract<AdminRequest, { verb: 'credential.add' | 'credential.replace' | 'credential.revoke' }>;

function existing(ctx: PlanContext, id: string): Credential {
  const credential = ctx.store.credential(id);
  if (credential === undefined) throw notFound('credential', id, 'id', 'lockgw list credentials shows them');
  return credential;
}

/** The stored credential with a new value of its own kind, given as text (card number, digits, slot, phone key id). */
function replaced(stored: Credential, value: string): CredentialInput {
  const common = {
    id: stored.id, personId: stored.personId, status: 'active' as const, duress: stored.duress,
    ...(stored.validFrom !== undefined ? { validFrom: stored.validFrom } : {}),
    ...(stored.validUntil !== undefined ? { validUntil: stored.validUntil } : {}),
    ...(stored.useLimit !== undefined ? { useLimit: stored.useLimit } : {}),
    ...(stored.label !== undefined ? { label: stored.label } : {}),
  };
  let raw: unknown;
  switch (stored.kind) {
    case 'pin':
      raw = { ...common, kind: 'pin', pin: value };
      break;
    case 'card':
      raw = { ...common, kind: 'card', card: value };
      break;
    case 'fingerprint': {
      const reader = stored.value.slice(0, stored.value.lastIndexOf(':'));
      const [readerId, slot] = value.includes(':') ? [value.slice(0, value.lastIndexOf(':')), value.slice(value.lastIndexOf(':') + 1)] : [reader, value];
      raw = { ...common, kind: 'fingerprint', readerId, slot: /^\d+$/.test(slot) ? Number(slot) : slot };
      break;
    }
    case 'mobile':
      raw = { ...common, kind: 'mobile', mobileKeyId: value };
      break;
  }
  const parsed = CredentialInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GatewayError('INPUT_INVALID', `credential ${stored.id} is a ${stored.kind}: the new value ${issue.path.length > 0 ? `(${issue.path.join('.')}) ` : ''}${issue.message}`, { entity: 'credential', id: stored.id, field: 'value' });
  }
  return parsed.data;
}

export function planCredential(ctx: PlanContext, request: CredentialRequest): AdminPlan {
  switch (request.verb) {
    case 'credential.add': {
      const { id, personId } = request.credential;
      if (ctx.store.credential(id) !== undefined) {
        throw new GatewayError('INPUT_INVALID', `credential ${id} exists already (id): give it a new value with lockgw credential replace`, { entity: 'credential', id, field: 'id' });
      }
      if (ctx.store.person(personId) === undefined) throw notFound('person', personId, 'personId');
      return { ops: [{ op: 'upsert', entity: 'credential', record: request.credential }], keyIds: [] };
    }
    case 'credential.replace': {
      const stored = existing(ctx, request.id);
      return { ops: [{ op: 'upsert', entity: 'credential', record: replaced(stored, request.value) }], keyIds: [], note: `credential ${stored.id} has a new ${stored.kind} value; the old one opens nothing` };
    }
    case 'credential.revoke': {
      const stored = existing(ctx, request.id);
      if (!request.lost) return { ops: [{ op: 'delete', entity: 'credential', id: stored.id }], keyIds: [] };
      if (stored.kind === 'pin') {
        throw new GatewayError('INPUT_INVALID', `credential ${stored.id} is a PIN: a PIN is not lost, revoke it without --lost (it is deleted)`, { entity: 'credential', id: stored.id, field: 'lost' });
      }
      // the stored value is the card number, reader:slot or phone key id itself (only a PIN is a digest)
      return { ops: [{ op: 'upsert', entity: 'credential', record: { ...credentialInput(stored), status: 'lost' } }], keyIds: [], note: `credential ${stored.id} is kept as lost: presenting it is journaled as credential_lost` };
    }
  }
}

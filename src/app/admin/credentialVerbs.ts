/**
 * credential add / replace / revoke as plans (adminPlan.ts). A PIN arrives in clear and leaves
 * this module only inside the batch, which the store hashes with the device secret before it
 * writes it (`gateway.hashPin`): it is never stored, journaled or returned in clear — except a
 * PIN the gateway drew, returned once to the operator who asked (AdminResult.issued).
 */
import { CredentialInputSchema, type Credential, type CredentialInput } from '../../access/model.js';
import { credentialInput } from '../../access/site/siteRecords.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import { maskCardValue } from '../../kernel/cardNumber.js';
import type { StockWrite } from '../../store/cardStockStore.js';
import { notFound, type AdminPlan, type PlanContext } from './adminPlan.js';
import { allocateCard } from './allocationCard.js';
import { allocatePin } from './allocationPin.js';

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

type AddRequest = Extract<AdminRequest, { verb: 'credential.add' }>;

function parsedInput(raw: unknown, id: string): CredentialInput {
  const parsed = CredentialInputSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new GatewayError('INPUT_INVALID', `credential ${id}: ${issue.path.join('.') || 'value'}: ${issue.message}`, { entity: 'credential', id, field: String(issue.path[0] ?? 'value') });
}

/**
 * credential add: the value given (allocation `strict` unless asked otherwise: the code or card
 * as given, or a refusal; `preferred`: it if it may be issued, else one drawn) or drawn by the
 * gateway (`random`, a PIN or a stock card). A drawn value is the plan's `issued`, shown once.
 */
function planAdd(ctx: PlanContext, request: AddRequest): AdminPlan {
  const given = request.credential;
  const draw = request.draw;
  if ((given === undefined) === (draw === undefined)) throw new GatewayError('INPUT_INVALID', 'credential add takes either a credential with its value or one to draw (draw), not both or neither', { field: 'credential' });
  const { id, personId } = (given ?? draw)!;
  if (ctx.store.credential(id) !== undefined) {
    throw new GatewayError('INPUT_INVALID', `credential ${id} exists already (id): give it a new value with lockgw credential replace`, { entity: 'credential', id, field: 'id' });
  }
  const person = ctx.store.person(personId);
  if (person === undefined) throw notFound('person', personId, 'personId');
  const kind = (given ?? draw)!.kind;
  const allocation = request.allocation ?? (given ? 'strict' : 'random');
  if (kind !== 'pin' && kind !== 'card') {
    if (request.allocation !== undefined) throw new GatewayError('INPUT_INVALID', `credential ${id}: allocation is for a PIN or a keycard, not a ${kind} (allocation)`, { entity: 'credential', id, field: 'allocation' });
    return { ops: [{ op: 'upsert', entity: 'credential', record: given! }], keyIds: [] };
  }
  if (given !== undefined && allocation === 'random') throw new GatewayError('INPUT_INVALID', `credential ${id}: allocation random draws the ${kind === 'pin' ? 'doorcode' : 'keycard'}: give no value, or --allocation preferred or strict (allocation)`, { entity: 'credential', id, field: 'allocation' });
  const { kind: _kind, pin: _pin, card: _card, ...common } = (given ?? draw)! as Record<string, unknown>;
  if (kind === 'pin') {
    const choice = allocatePin(ctx, { credentialId: id, allocation, ...(given?.kind === 'pin' ? { asked: given.pin } : {}), ...(person.unit ? { unit: person.unit } : {}) });
    const record = parsedInput({ ...common, kind: 'pin', pin: choice.pin }, id);
    return { ops: [{ op: 'upsert', entity: 'credential', record }], keyIds: [], ...(choice.note ? { note: choice.note } : {}), ...(choice.drawn ? { issued: { credentialId: id, pin: choice.pin } } : {}) };
  }
  const choice = allocateCard(ctx, { credentialId: id, personId, allocation, ...(given?.kind === 'card' ? { asked: given.card } : {}) });
  const record = parsedInput({ ...common, kind: 'card', card: choice.card }, id);
  return {
    ops: [{ op: 'upsert', entity: 'credential', record }], keyIds: [],
    ...(choice.writes.length ? { local: { stock: choice.writes, lines: [choice.line!] } } : {}),
    ...(choice.note ? { note: choice.note } : {}), ...(choice.drawn ? { issued: { credentialId: id, card: choice.card } } : {}),
  };
}

/**
 * credential replace: a PIN or keycard is chosen as credential add chooses it (no value: drawn);
 * a stock card replaced becomes lost (or, `old: returned`, used: it goes back to stock by
 * lockgw stock return), in the same batch as the new card's assignment.
 */
function planReplace(ctx: PlanContext, request: Extract<AdminRequest, { verb: 'credential.replace' }>): AdminPlan {
  const stored = existing(ctx, request.id);
  const note = `credential ${stored.id} has a new ${stored.kind} value; the old one opens nothing`;
  if (stored.kind !== 'pin' && stored.kind !== 'card') {
    if (request.value === undefined) throw new GatewayError('INPUT_INVALID', `credential ${stored.id} is a ${stored.kind}: give its new value (value)`, { entity: 'credential', id: stored.id, field: 'value' });
    if (request.allocation !== undefined) throw new GatewayError('INPUT_INVALID', `credential ${stored.id}: allocation is for a PIN or a keycard, not a ${stored.kind} (allocation)`, { entity: 'credential', id: stored.id, field: 'allocation' });
    return { ops: [{ op: 'upsert', entity: 'credential', record: replaced(stored, request.value) }], keyIds: [], note };
  }
  const allocation = request.allocation ?? (request.value === undefined ? 'random' : 'strict');
  if (request.value !== undefined && allocation === 'random') throw new GatewayError('INPUT_INVALID', `credential ${stored.id}: allocation random draws the value: give none, or --allocation preferred or strict (allocation)`, { entity: 'credential', id: stored.id, field: 'allocation' });
  const unit = ctx.store.person(stored.personId)?.unit;
  // a value that is no PIN or card number at all is bad input, whatever the allocation
  if (request.value !== undefined) replaced(stored, request.value);
  if (stored.kind === 'pin') {
    const choice = allocatePin(ctx, { credentialId: stored.id, allocation, ...(request.value !== undefined ? { asked: request.value } : {}), ...(unit ? { unit } : {}) });
    return {
      ops: [{ op: 'upsert', entity: 'credential', record: replaced(stored, choice.pin) }], keyIds: [],
      note: [choice.note, note].filter(Boolean).join('; '), ...(choice.drawn ? { issued: { credentialId: stored.id, pin: choice.pin } } : {}),
    };
  }
  const choice = allocateCard(ctx, { credentialId: stored.id, personId: stored.personId, allocation, ...(request.value !== undefined ? { asked: request.value } : {}) });
  const oldRow = ctx.stock.get(stored.value);
  const writes: StockWrite[] = [...choice.writes];
  const lines = choice.line ? [choice.line] : [];
  if (oldRow !== undefined && request.old === 'lost') {
    writes.push({ write: 'state', card: stored.value, state: 'lost', at: ctx.now });
    lines.push(`mark stock card ${maskCardValue(stored.value)} lost`);
  } else if (oldRow !== undefined) lines.push(`stock card ${maskCardValue(stored.value)} is used (lockgw stock return puts it back)`);
  return {
    ops: [{ op: 'upsert', entity: 'credential', record: replaced(stored, choice.card) }], keyIds: [],
    ...(writes.length || lines.length ? { local: { stock: writes, lines } } : {}),
    note: [choice.note, note].filter(Boolean).join('; '), ...(choice.drawn ? { issued: { credentialId: stored.id, card: choice.card } } : {}),
  };
}

export function planCredential(ctx: PlanContext, request: CredentialRequest): AdminPlan {
  switch (request.verb) {
    case 'credential.add':
      return planAdd(ctx, request);
    case 'credential.replace':
      return planReplace(ctx, request);
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

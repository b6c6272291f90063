/**
 * A batch of changes to the access model: the unit the cloud sends (a delta) and the unit
 * the store applies (one transaction). Operations apply in order.
 */
import { z } from 'zod';
import {
  CredentialInputSchema,
  DoorSchema,
  HolidaySchema,
  HoldingSchema,
  IdSchema,
  KeySchema,
  LocalDateSchema,
  PersonSchema,
  ScheduleSchema,
  SiteSchema,
  type CredentialInput,
  type Door,
  type Holding,
  type Holiday,
  type Key,
  type Person,
  type Schedule,
  type Site,
} from '../access/model.js';
import { GatewayError } from '../gatewayError.js';

export const ENTITIES = ['site', 'door', 'holiday', 'schedule', 'key', 'person', 'holding', 'credential'] as const;
export type Entity = (typeof ENTITIES)[number];

const RECORD_SCHEMAS = {
  site: SiteSchema,
  door: DoorSchema,
  holiday: HolidaySchema,
  schedule: ScheduleSchema,
  key: KeySchema,
  person: PersonSchema,
  holding: HoldingSchema,
  credential: CredentialInputSchema,
} as const;

/** How a delete names its record: by id, by date (holiday), by person+key (holding). */
const DELETE_SCHEMAS = {
  site: z.strictObject({ id: IdSchema }),
  door: z.strictObject({ id: IdSchema }),
  holiday: z.strictObject({ date: LocalDateSchema }),
  schedule: z.strictObject({ id: IdSchema }),
  key: z.strictObject({ id: IdSchema }),
  person: z.strictObject({ id: IdSchema }),
  holding: z.strictObject({ personId: IdSchema, keyId: IdSchema }),
  credential: z.strictObject({ id: IdSchema }),
} as const;

export type UpsertOp =
  | { op: 'upsert'; entity: 'site'; record: Site }
  | { op: 'upsert'; entity: 'door'; record: Door }
  | { op: 'upsert'; entity: 'holiday'; record: Holiday }
  | { op: 'upsert'; entity: 'schedule'; record: Schedule }
  | { op: 'upsert'; entity: 'key'; record: Key }
  | { op: 'upsert'; entity: 'person'; record: Person }
  | { op: 'upsert'; entity: 'holding'; record: Holding }
  | { op: 'upsert'; entity: 'credential'; record: CredentialInput };

export type DeleteOp =
  | { op: 'delete'; entity: 'holiday'; date: string }
  | { op: 'delete'; entity: 'holding'; personId: string; keyId: string }
  | { op: 'delete'; entity: Exclude<Entity, 'holiday' | 'holding'>; id: string };

export type BatchOp = UpsertOp | DeleteOp;

const HeadSchema = z.object({ op: z.enum(['upsert', 'delete']), entity: z.enum(ENTITIES) });

/** The id a record is known by, for error messages: id, date, or person/key. */
export function recordName(entity: Entity, raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (entity === 'holiday') return typeof r.date === 'string' ? r.date : undefined;
  if (entity === 'holding') return typeof r.personId === 'string' && typeof r.keyId === 'string' ? `${r.personId}/${r.keyId}` : undefined;
  return typeof r.id === 'string' ? r.id : undefined;
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; message: string } {
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
  return { field, message: issue.message };
}

/**
 * Validates one raw operation. Throws GatewayError('RECORD_INVALID') naming the operation's
 * position, the entity, the record and the field.
 */
export function parseBatchOp(raw: unknown, index: number): BatchOp {
  const head = HeadSchema.safeParse(raw);
  if (!head.success) {
    const { field, message } = describeIssue(head.error.issues[0]!);
    throw new GatewayError('RECORD_INVALID', `operation ${index}: ${field || 'operation'} ${message}`, { index, field, hint: `op is upsert|delete; entity is one of ${ENTITIES.join(', ')}` });
  }
  const { op, entity } = head.data;
  const id = recordName(entity, op === 'upsert' ? (raw as Record<string, unknown>).record : raw);
  if (op === 'upsert') {
    const parsed = RECORD_SCHEMAS[entity].safeParse((raw as Record<string, unknown>).record);
    if (!parsed.success) {
      const { field, message } = describeIssue(parsed.error.issues[0]!);
      const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
      throw new GatewayError('RECORD_INVALID', `operation ${index}: ${entity}${id ? ` ${id}` : ''}: ${field ? `${field} ` : ''}${message}${more}`, {
        index,
        entity,
        ...(id === undefined ? {} : { id }),
        field: field || 'record',
      });
    }
    return { op, entity, record: parsed.data } as UpsertOp;
  }
  const { op: _op, entity: _entity, ...rest } = raw as Record<string, unknown>;
  const parsed = DELETE_SCHEMAS[entity].safeParse(rest);
  if (!parsed.success) {
    const { field, message } = describeIssue(parsed.error.issues[0]!);
    throw new GatewayError('RECORD_INVALID', `operation ${index}: delete ${entity}: ${field} ${message}`, { index, entity, field });
  }
  return { op, entity, ...parsed.data } as DeleteOp;
}

export function parseBatch(raw: unknown): BatchOp[] {
  if (!Array.isArray(raw)) throw new GatewayError('BATCH_INVALID', 'a batch must be an array of operations');
  return raw.map((op, i) => parseBatchOp(op, i));
}

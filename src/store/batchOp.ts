/**
 * A batch of changes to the access model: the unit the cloud sends (a delta) and the unit
 * the store applies (one transaction). Operations apply in order.
 */
import { z } from 'zod';
import { DeleteOpSchema, ENTITIES, UpsertOpSchema, type BatchOp, type Entity } from '../access/batchOpSchema.js';
import { GatewayError } from '../kernel/gatewayError.js';

export { ENTITIES };
export type { BatchOp, DeleteOp, Entity, UpsertOp } from '../access/batchOpSchema.js';

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
    const parsed = UpsertOpSchema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      // name the field inside the record, not the operation's own keys
      const { field, message } = describeIssue(first.path[0] === 'record' ? { ...first, path: first.path.slice(1) } : first);
      const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
      throw new GatewayError('RECORD_INVALID', `operation ${index}: ${entity}${id ? ` ${id}` : ''}: ${field ? `${field} ` : ''}${message}${more}`, {
        index,
        entity,
        ...(id === undefined ? {} : { id }),
        field: field || 'record',
      });
    }
    return parsed.data;
  }
  const parsed = DeleteOpSchema.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = describeIssue(parsed.error.issues[0]!);
    throw new GatewayError('RECORD_INVALID', `operation ${index}: delete ${entity}: ${field} ${message}`, { index, entity, field });
  }
  return parsed.data;
}

export function parseBatch(raw: unknown): BatchOp[] {
  if (!Array.isArray(raw)) throw new GatewayError('BATCH_INVALID', 'a batch must be an array of operations');
  return raw.map((op, i) => parseBatchOp(op, i));
}

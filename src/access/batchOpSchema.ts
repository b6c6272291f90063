/**
 * The change format of the access model: an ordered list of upserts and deletes of its entities.
 * One zod schema, the single source of truth for the store's batch parser (src/store/batchOp.ts),
 * the cloud's delta and snapshot messages (src/wire/messages.ts) and their JSON Schemas.
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
} from './model.js';

export const ENTITIES = ['site', 'door', 'holiday', 'schedule', 'key', 'person', 'holding', 'credential'] as const;
export type Entity = (typeof ENTITIES)[number];

const upsert = <E extends string, S extends z.ZodType>(entity: E, record: S) =>
  z.strictObject({ op: z.literal('upsert'), entity: z.literal(entity), record });

export const UpsertOpSchema = z.discriminatedUnion('entity', [
  upsert('site', SiteSchema),
  upsert('door', DoorSchema),
  upsert('holiday', HolidaySchema),
  upsert('schedule', ScheduleSchema),
  upsert('key', KeySchema),
  upsert('person', PersonSchema),
  upsert('holding', HoldingSchema),
  upsert('credential', CredentialInputSchema),
]);

const deleteById = <E extends string>(entity: E) => z.strictObject({ op: z.literal('delete'), entity: z.literal(entity), id: IdSchema });

export const DeleteOpSchema = z.discriminatedUnion('entity', [
  deleteById('site'),
  deleteById('door'),
  z.strictObject({ op: z.literal('delete'), entity: z.literal('holiday'), date: LocalDateSchema }),
  deleteById('schedule'),
  deleteById('key'),
  deleteById('person'),
  z.strictObject({ op: z.literal('delete'), entity: z.literal('holding'), personId: IdSchema, keyId: IdSchema }),
  deleteById('credential'),
]);

export const BatchOpSchema = z.discriminatedUnion('op', [UpsertOpSchema, DeleteOpSchema]);

export type UpsertOp = z.output<typeof UpsertOpSchema>;
export type DeleteOp = z.output<typeof DeleteOpSchema>;
export type BatchOp = z.output<typeof BatchOpSchema>;

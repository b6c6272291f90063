/**
 * The access model in the vocabulary of property-management portals (Latch, Amazon Key,
 * hospitality portals). One zod schema per entity is the single source of truth: the
 * TypeScript types are inferred from it, the store validates every record with it, and the
 * cloud contract derives its JSON Schemas from it.
 *
 * Instants are accepted as ISO 8601 strings with an offset (or epoch ms) and become epoch ms.
 * Local dates and times of day are wall-clock values in the site's time zone.
 */
import { z } from 'zod';
import { parseCardNumber } from '../kernel/cardNumber.js';
import { IdSchema } from '../kernel/idSchema.js';

export { IdSchema };


/** HH:MM, 00:00–23:59, or 24:00 (end of day, only as an interval end). */
export const TimeOfDaySchema = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be HH:MM between 00:00 and 24:00');

export const LocalDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'is not a calendar date');

/** An instant: ISO 8601 with an explicit offset or Z, or epoch milliseconds. Output: epoch ms. */
export const InstantSchema = z.union([
  z.number().int().min(0).max(8.64e15),
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/, 'must be ISO 8601 with an offset, e.g. 2026-12-24T15:00:00Z')
    .transform((s, ctx) => {
      const ms = Date.parse(s);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: 'is not a valid instant' });
        return z.NEVER;
      }
      return ms;
    }),
]);

export const TimeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.length > 0;
  } catch {
    return false;
  }
}, 'is not an IANA time zone (e.g. Europe/Berlin)');

export const SiteSchema = z.strictObject({
  id: IdSchema,
  name: z.string().min(1).max(200),
  timeZone: TimeZoneSchema,
});

export const DoorSchema = z.strictObject({
  id: IdSchema,
  name: z.string().min(1).max(200),
  /** where the door is, for grouping: "Building A", "Amenities" */
  place: z.string().max(200).default(''),
  /** card+PIN door: a card alone is not enough, the holder's PIN must follow */
  cardAndPin: z.boolean().default(false),
});

export const HolidayTypeSchema = z.union([z.literal(1), z.literal(2), z.literal(3)]);

export const HolidaySchema = z.strictObject({
  date: LocalDateSchema,
  type: HolidayTypeSchema,
  name: z.string().max(200).default(''),
});

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export const WeekdaySchema = z.enum(WEEKDAYS);

/**
 * A weekly interval. It applies on the listed weekdays (when the date is not a holiday) and on
 * holidays of the listed types. end <= start means the interval crosses midnight: 22:00–06:00 on
 * Monday runs from Monday 22:00 to Tuesday 06:00. An interval belongs to the day it starts on.
 */
export const IntervalSchema = z
  .strictObject({
    days: z.array(WeekdaySchema).max(7).default([]),
    holidayTypes: z.array(HolidayTypeSchema).max(3).default([]),
    start: TimeOfDaySchema,
    end: TimeOfDaySchema,
  })
  .superRefine((iv, ctx) => {
    if (iv.days.length === 0 && iv.holidayTypes.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['days'], message: 'an interval needs at least one weekday or holiday type' });
    }
    if (iv.start === '24:00') {
      ctx.addIssue({ code: 'custom', path: ['start'], message: '24:00 is only valid as an end' });
    }
    if (iv.start === iv.end) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'an interval must not end when it starts (zero length)' });
    }
  });

export const ScheduleSchema = z.strictObject({
  id: IdSchema,
  name: z.string().min(1).max(200),
  intervals: z.array(IntervalSchema).min(1, 'a schedule needs at least one interval').max(64),
});

/** Up to 8 schedules per door per key (Amazon Key allows three per entrance). None means 24/7. */
export const MAX_SCHEDULES_PER_KEY_DOOR = 8;

export const KeyDoorSchema = z.strictObject({
  doorId: IdSchema,
  scheduleIds: z.array(IdSchema).max(MAX_SCHEDULES_PER_KEY_DOOR).default([]),
});

export const KeySchema = z
  .strictObject({
    id: IdSchema,
    name: z.string().min(1).max(200),
    /** holders may share this key with guests */
    mayShare: z.boolean().default(false),
    /** cloud-managed (Deliveries, Default All-Access): never editable locally */
    system: z.boolean().default(false),
    doors: z.array(KeyDoorSchema).max(10_000).default([]),
  })
  .superRefine((k, ctx) => {
    const seen = new Set<string>();
    k.doors.forEach((d, i) => {
      if (seen.has(d.doorId)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'doorId'], message: `door ${d.doorId} is listed twice` });
      seen.add(d.doorId);
    });
  });

function validityOrder<T extends { validFrom?: number | undefined; validUntil?: number | undefined }>(v: T, ctx: z.RefinementCtx): void {
  if (v.validFrom !== undefined && v.validUntil !== undefined && v.validUntil <= v.validFrom) {
    ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'ends before it starts (validUntil must be after validFrom)' });
  }
}

/** A person holds a key with their own validity: lease end, arrival and departure. */
export const HoldingSchema = z
  .strictObject({
    personId: IdSchema,
    keyId: IdSchema,
    validFrom: InstantSchema.optional(),
    validUntil: InstantSchema.optional(),
  })
  .superRefine(validityOrder);

export const PERSON_KINDS = ['resident', 'staff', 'guest', 'vendor', 'delivery'] as const;

export const PersonSchema = z
  .strictObject({
    id: IdSchema,
    name: z.string().min(1).max(200),
    status: z.enum(['active', 'suspended']).default('active'),
    kind: z.enum(PERSON_KINDS).default('resident'),
    /** a guest's host: suspending or removing the host ends the guest's access */
    hostId: IdSchema.optional(),
    /** extended unlock time at doors (accessibility) */
    extendedUnlock: z.boolean().default(false),
    /** the unit the person lives in or belongs to ("205C"), as portals keep it beside the name */
    unit: z.string().min(1).max(50).optional(),
    /** where, for grouping ("Building A"), as a door's place */
    place: z.string().min(1).max(200).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.hostId !== undefined && p.kind !== 'guest') ctx.addIssue({ code: 'custom', path: ['hostId'], message: 'only a guest has a host' });
    if (p.hostId === p.id) ctx.addIssue({ code: 'custom', path: ['hostId'], message: 'a person cannot be their own host' });
  });

export const CREDENTIAL_STATUSES = ['pending', 'active', 'suspended', 'lost'] as const;

/** the fields every credential has, whatever its kind (the admin verbs reuse them for a credential whose value the gateway draws) */
export const credentialCommon = {
  id: IdSchema,
  personId: IdSchema,
  status: z.enum(CREDENTIAL_STATUSES).default('active'),
  validFrom: InstantSchema.optional(),
  validUntil: InstantSchema.optional(),
  /** number of grants allowed (one-time codes: 1); none = unlimited */
  useLimit: z.number().int().min(1).max(1_000_000).optional(),
  /** opens and raises a silent alarm */
  duress: z.boolean().default(false),
  label: z.string().max(200).optional(),
};

const CardValueSchema = z.string().transform((s, ctx) => {
  const parsed = parseCardNumber(s);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.value;
});

/**
 * A credential as the cloud or an installer writes it. A PIN arrives in clear and is turned
 * into an HMAC by the store before it is written; it is never stored or logged in clear.
 */
export const CredentialInputSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...credentialCommon, kind: z.literal('pin'), pin: z.string().regex(/^\d{4,8}$/, 'a PIN is 4 to 8 digits') }),
    z.strictObject({ ...credentialCommon, kind: z.literal('card'), card: CardValueSchema }),
    z.strictObject({
      ...credentialCommon,
      kind: z.literal('fingerprint'),
      readerId: IdSchema,
      slot: z.number().int().min(0).max(65_535),
    }),
    z.strictObject({
      ...credentialCommon,
      kind: z.literal('mobile'),
      mobileKeyId: IdSchema,
      publicKey: z.string().regex(/^[A-Za-z0-9+/=_-]{16,1024}$/, 'must be base64').optional(),
    }),
  ])
  .superRefine(validityOrder);

export type Site = z.output<typeof SiteSchema>;
export type Door = z.output<typeof DoorSchema>;
export type Holiday = z.output<typeof HolidaySchema>;
export type HolidayType = z.output<typeof HolidayTypeSchema>;
export type Interval = z.output<typeof IntervalSchema>;
export type Schedule = z.output<typeof ScheduleSchema>;
export type KeyDoor = z.output<typeof KeyDoorSchema>;
export type Key = z.output<typeof KeySchema>;
export type Holding = z.output<typeof HoldingSchema>;
export type Person = z.output<typeof PersonSchema>;
export type CredentialInput = z.output<typeof CredentialInputSchema>;
export type CredentialKind = CredentialInput['kind'];
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];

/**
 * A credential as stored and compiled: `value` is the lookup value of its kind — the HMAC hex
 * of a PIN, the normalised card number, `readerId:slot` of a fingerprint, the mobile key id.
 */
export interface Credential {
  id: string;
  personId: string;
  kind: CredentialKind;
  value: string;
  status: CredentialStatus;
  validFrom?: number | undefined;
  validUntil?: number | undefined;
  useLimit?: number | undefined;
  duress: boolean;
  label?: string | undefined;
  publicKey?: string | undefined;
}

/** The lookup value of a fingerprint credential: reader and template slot. */
export function fingerprintValue(readerId: string, slot: number): string {
  return `${readerId}:${slot}`;
}

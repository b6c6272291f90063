/**
 * The admin verbs on the control socket (docs/standalone.md): one request names a verb and its
 * input; the daemon checks the caller's role, turns the verb into one batch of the access
 * model's operations, applies it and journals it with the operator. The CLI without a daemon
 * runs the same requests against the database itself.
 *
 * Records are given in the model's own schemas (a person, a key, a holding, a credential with
 * its PIN in clear — hashed by the gateway before it is written). Files (a site file, a bulk-user
 * CSV) travel as their text with their name, so every error still names file:line:col.
 */
import { z } from 'zod';
import { credentialCommon, CredentialInputSchema, HoldingSchema, IdSchema, KeySchema, PERSON_KINDS, PersonSchema, KeyDoorSchema, MAX_SCHEDULES_PER_KEY_DOOR } from '../access/model.js';
import { KEY_MANAGEMENT_LEVELS, ROLES } from '../access/operator.js';
import { CODE_SPACE_MODES, PinPolicySchema } from '../access/pinPolicy.js';

// ---- allocation (docs/standalone.md, "Allocation"): PIN policy, keycard stock, how a value is chosen ----

/** how a doorcode or keycard is chosen (the hospitality portal's allocation policies) */
export const ALLOCATIONS = ['random', 'preferred', 'strict'] as const;
export type Allocation = (typeof ALLOCATIONS)[number];
/** a card's state as listed: the stored ones, and `used` (assigned, then its credential went) */
export const STOCK_VIEW_STATES = ['available', 'assigned', 'used', 'lost', 'retired'] as const;
/** the most cards one stock add takes (a range, a CSV) */
export const MAX_STOCK_CARDS = 100_000;

/** a PIN or card credential whose value the gateway draws */
const DrawnCredentialSchema = z.strictObject({ ...credentialCommon, kind: z.enum(['pin', 'card']) });
const StockCard = z.string().min(1).max(200);

const AllocationRequests = [
  z.strictObject({ verb: z.literal('pin-policy.show') }),
  /** the fields given replace those of the policy in force */
  z.strictObject({ verb: z.literal('pin-policy.set'), minLength: PinPolicySchema.shape.minLength.optional(), maxLength: PinPolicySchema.shape.maxLength.optional(), codeSpace: z.enum(CODE_SPACE_MODES).optional() }),
  z.strictObject({ verb: z.literal('stock.add'), cards: z.array(StockCard).min(1).max(MAX_STOCK_CARDS) }),
  z.strictObject({ verb: z.literal('stock.list'), state: z.enum(STOCK_VIEW_STATES).optional() }),
  /** lost: also marks the credential that holds it lost, in one batch */
  z.strictObject({ verb: z.literal('stock.lost'), card: StockCard }),
  z.strictObject({ verb: z.literal('stock.retire'), card: StockCard }),
  /** a used or lost card back to available */
  z.strictObject({ verb: z.literal('stock.return'), card: StockCard }),
] as const;

/** the largest file a request carries (a site of tens of thousands of records) */
export const MAX_ADMIN_FILE_BYTES = 8 * 1024 * 1024;

const FileText = z.strictObject({ text: z.string().max(MAX_ADMIN_FILE_BYTES), source: z.string().min(1).max(1000) });
/** a system account: its name, or its uid as digits */
const Account = z.string().min(1).max(64);

export const AdminRequestSchema = z.discriminatedUnion('verb', [
  z.strictObject({ verb: z.literal('operator.add'), user: Account, role: z.enum(ROLES), keyManagement: z.enum(KEY_MANAGEMENT_LEVELS).optional(), keyIds: z.array(IdSchema).max(10_000).optional() }),
  z.strictObject({ verb: z.literal('operator.remove'), user: Account }),
  z.strictObject({ verb: z.literal('operator.list') }),
  /** with `check: true` a dry run (verb site.check for the roles) */
  z.strictObject({ verb: z.literal('site.apply'), site: FileText, users: FileText.optional() }),
  z.strictObject({ verb: z.literal('site.export'), format: z.enum(['yaml', 'json']).default('yaml') }),
  z.strictObject({ verb: z.literal('person.add'), person: PersonSchema }),
  z.strictObject({
    verb: z.literal('person.edit'),
    id: IdSchema,
    name: z.string().min(1).max(200).optional(),
    kind: z.enum(PERSON_KINDS).optional(),
    /** null: no host any more */
    hostId: IdSchema.nullable().optional(),
    extendedUnlock: z.boolean().optional(),
    /** null: no unit (no place) any more */
    unit: z.string().min(1).max(50).nullable().optional(),
    place: z.string().min(1).max(200).nullable().optional(),
  }),
  /** suspended: false reinstates */
  z.strictObject({ verb: z.literal('person.suspend'), id: IdSchema, suspended: z.boolean().default(true) }),
  z.strictObject({ verb: z.literal('person.remove'), id: IdSchema }),
  z.strictObject({ verb: z.literal('key.create'), key: KeySchema }),
  z.strictObject({
    verb: z.literal('key.edit'),
    id: IdSchema,
    name: z.string().min(1).max(200).optional(),
    mayShare: z.boolean().optional(),
    /** replaces the key's doors */
    doors: z.array(KeyDoorSchema).max(10_000).optional(),
    /** adds or replaces these doors (with their schedules), keeping the others */
    addDoors: z.array(z.strictObject({ doorId: IdSchema, scheduleIds: z.array(IdSchema).max(MAX_SCHEDULES_PER_KEY_DOOR).default([]) })).max(10_000).optional(),
    removeDoors: z.array(IdSchema).max(10_000).optional(),
  }),
  z.strictObject({ verb: z.literal('key.remove'), id: IdSchema }),
  z.strictObject({ verb: z.literal('give'), holding: HoldingSchema }),
  z.strictObject({ verb: z.literal('revoke'), personId: IdSchema, keyId: IdSchema }),
  /**
   * `credential` with its value (allocation strict by default, or preferred), or `draw`: a PIN or
   * card the gateway chooses (random) — exactly one of them
   */
  z.strictObject({ verb: z.literal('credential.add'), credential: CredentialInputSchema.optional(), draw: DrawnCredentialSchema.optional(), allocation: z.enum(ALLOCATIONS).optional() }),
  /**
   * a new value of the credential's own kind (a new card number, a new PIN, another slot, another
   * phone key), same id; no value: a PIN or card drawn. A stock card replaced becomes `old`
   */
  z.strictObject({ verb: z.literal('credential.replace'), id: IdSchema, value: z.string().min(1).max(200).optional(), allocation: z.enum(ALLOCATIONS).optional(), old: z.enum(['lost', 'returned']).default('lost') }),
  /** lost: kept with status lost (a presented lost card is journaled as such); otherwise deleted */
  z.strictObject({ verb: z.literal('credential.revoke'), id: IdSchema, lost: z.boolean().default(false) }),
  z.strictObject({ verb: z.literal('people.import'), users: FileText }),
  ...AllocationRequests,
]);

export type AdminRequest = z.output<typeof AdminRequestSchema>;

/** What a request asks for; `site.check` is `site.apply` with `dryRun`. */
export type AdminVerb = AdminRequest['verb'] | 'site.check';

/** How a request is run: `dryRun` shows the change without applying it; `forceLocal` changes a cloud-managed gateway's rules until the cloud's next snapshot. */
export const AdminEnvelopeSchema = z.strictObject({
  request: AdminRequestSchema,
  dryRun: z.boolean().default(false),
  forceLocal: z.boolean().default(false),
});

export type AdminEnvelope = z.output<typeof AdminEnvelopeSchema>;

/** Who ran a verb, as journaled. */
export interface AdminOperator {
  uid: number;
  user: string | null;
  role: string;
}

export interface AdminResult {
  verb: AdminVerb;
  /** the change was applied (false for a dry run, a read, or nothing to change) */
  applied: boolean;
  dryRun: boolean;
  /** the rules revision after (or, unapplied, still) */
  revision: number;
  /** one line per operation: "upsert person ann", "delete holding ann/gym" */
  changes: string[];
  operator: AdminOperator;
  /** what a read returns: the operators, the exported site's text */
  data?: unknown;
  /** a sentence for the caller (what was kept, what the cloud will do) */
  note?: string;
  /** what the caller is warned of (the code-space limit passed): printed on stderr */
  warning?: string;
  /**
   * a value the gateway drew, shown to the operator once (stdout of the verb) and nowhere else:
   * never journaled, never logged, not recoverable (a PIN is stored as its digest)
   */
  issued?: { credentialId: string; pin?: string; card?: string };
}

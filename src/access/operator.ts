/**
 * The people who administer a gateway locally (the CLI and the control socket), in the vocabulary
 * of the portals: a role (the hospitality portal's Owner, General Manager, Team, Installer,
 * Housekeeping) and, for managers and team members, Latch's level of key management — full
 * (create, edit, delete, give and revoke every key), limited (give and revoke only) or specific
 * (give and revoke only the listed keys; access logs only for their doors). An operator is a
 * system account, named by its uid: the caller proves its uid to the daemon (docs/standalone.md).
 */
import { z } from 'zod';
import { IdSchema } from '../kernel/idSchema.js';

export const ROLES = ['owner', 'manager', 'team', 'installer', 'housekeeping'] as const;
export type Role = (typeof ROLES)[number];

export const KEY_MANAGEMENT_LEVELS = ['full', 'limited', 'specific'] as const;

/** The roles whose key management is a choice; the others have none (installer, housekeeping) or all of it (owner). */
export const ROLES_WITH_KEY_MANAGEMENT: ReadonlySet<Role> = new Set(['manager', 'team']);

export const OperatorSchema = z
  .strictObject({
    uid: z.number().int().min(0).max(4_294_967_294),
    /** the account's name when it was added, for listings (the uid is what counts) */
    user: z.string().min(1).max(64).nullable().default(null),
    role: z.enum(ROLES),
    keyManagement: z.enum(KEY_MANAGEMENT_LEVELS).default('full'),
    /** the keys a `specific` key manager gives and revokes */
    keyIds: z.array(IdSchema).max(10_000).default([]),
  })
  .superRefine((o, ctx) => {
    if (!ROLES_WITH_KEY_MANAGEMENT.has(o.role) && (o.keyManagement !== 'full' || o.keyIds.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['keyManagement'], message: `key management levels are for managers and team members; ${o.role === 'owner' ? 'an owner manages every key' : `a ${o.role} manages no keys`}` });
    }
    if (o.keyManagement === 'specific' && o.keyIds.length === 0) ctx.addIssue({ code: 'custom', path: ['keyIds'], message: 'specific key management needs the keys (at least one key id)' });
    if (o.keyManagement !== 'specific' && o.keyIds.length > 0) ctx.addIssue({ code: 'custom', path: ['keyIds'], message: 'keys are listed only with specific key management' });
  });

export type Operator = z.output<typeof OperatorSchema>;

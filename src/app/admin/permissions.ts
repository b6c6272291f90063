/**
 * What each role may do, per admin verb: one table, pure (docs/standalone.md prints it). Two
 * rules sit beside the table, from Latch's key management levels:
 *   - creating, editing and deleting keys — and applying a whole site file, which does all of
 *     that — needs `full` key management;
 *   - giving and revoking needs any level, and with `specific` only the operator's own keys.
 * Owners always have full key management; installers and housekeeping have none (the
 * hospitality portal: they may not create keys, and housekeeping may not give them).
 */
import type { Operator, Role } from '../../access/operator.js';
import type { Key } from '../../access/model.js';
import type { AdminVerb } from '../../wire/adminProtocol.js';

const O = 'owner', M = 'manager', T = 'team', I = 'installer', H = 'housekeeping';

/** Which roles may use a verb at all (key management is checked after). */
export const ROLE_MATRIX: Readonly<Record<AdminVerb, readonly Role[]>> = {
  'operator.add': [O],
  'operator.remove': [O],
  'operator.list': [O, M],
  'site.apply': [O, M],
  /** a dry run: validate a site file and show the difference, change nothing */
  'site.check': [O, M, T, I],
  'site.export': [O, M, T, I],
  'person.add': [O, M, T],
  'person.edit': [O, M, T],
  'person.suspend': [O, M, T],
  'person.remove': [O, M],
  'key.create': [O, M, T],
  'key.edit': [O, M, T],
  'key.remove': [O, M, T],
  give: [O, M, T],
  revoke: [O, M, T],
  'credential.add': [O, M, T],
  'credential.replace': [O, M, T],
  /** housekeeping may take a lost keycard out of service */
  'credential.revoke': [O, M, T, H],
  'people.import': [O, M, T],
  // allocation (docs/standalone.md, "Allocation"): the policy is the site's, set by who runs it;
  // the stock is delivered and enrolled at commissioning (installer), cards are issued from it by
  // the front desk (team) and reported lost by housekeeping, as a lost keycard is revoked
  'pin-policy.show': [O, M, T, I],
  'pin-policy.set': [O, M],
  'stock.add': [O, M, I],
  'stock.list': [O, M, T, I, H],
  'stock.lost': [O, M, T, H],
  'stock.retire': [O, M],
  'stock.return': [O, M, T],
};

/** Verbs that create, edit or delete keys: full key management only. */
const NEEDS_FULL: ReadonlySet<AdminVerb> = new Set(['key.create', 'key.edit', 'key.remove', 'site.apply']);
/** Verbs that give or revoke keys: any key management, `specific` for the operator's keys. */
const GIVES_KEYS: ReadonlySet<AdminVerb> = new Set(['give', 'revoke', 'people.import']);

export type Permission = { ok: true } | { ok: false; reason: string };

const article = (role: Role) => (role === 'owner' || role === 'installer' ? 'an' : 'a');

/** May `operator` use `verb` on these keys (the keys it gives, revokes, creates or edits)? */
export function permits(operator: Pick<Operator, 'role' | 'keyManagement' | 'keyIds'>, verb: AdminVerb, keyIds: readonly string[] = []): Permission {
  const { role } = operator;
  if (!ROLE_MATRIX[verb].includes(role)) {
    return { ok: false, reason: `${article(role)} ${role} may not ${verb} (allowed: ${ROLE_MATRIX[verb].join(', ')})` };
  }
  if (role === 'owner') return { ok: true };
  const level = operator.keyManagement;
  if (NEEDS_FULL.has(verb) && level !== 'full') {
    return { ok: false, reason: `${verb} creates, edits or deletes keys: that needs full key management (this operator has ${level})` };
  }
  if (GIVES_KEYS.has(verb) && level === 'specific') {
    const mine = new Set(operator.keyIds);
    const other = keyIds.filter((k) => !mine.has(k));
    if (other.length > 0) return { ok: false, reason: `this operator gives and revokes only the keys ${operator.keyIds.join(', ')}, not ${other.join(', ')}` };
  }
  return { ok: true };
}

/**
 * The doors whose access log an operator may read: every door, or those of the keys a
 * `specific` key manager manages (Latch: "only for doors in the keys you manage"); none for
 * housekeeping. The journal's query verb filters with it.
 */
export function logScope(operator: Pick<Operator, 'role' | 'keyManagement' | 'keyIds'>, keys: Iterable<Key>): 'all' | ReadonlySet<string> {
  if (operator.role === 'housekeeping') return new Set();
  if (operator.role === 'owner' || operator.keyManagement !== 'specific') return 'all';
  const mine = new Set(operator.keyIds);
  const doors = new Set<string>();
  for (const key of keys) if (mine.has(key.id)) for (const d of key.doors) doors.add(d.doorId);
  return doors;
}

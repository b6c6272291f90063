/**
 * operator add / remove / list: the local operator table (store/operatorStore.ts). An account is
 * named by user name or uid; it must exist on this system. Keys of a `specific` key manager must
 * exist. Owner only (permissions.ts); root and the daemon's own account are Owner without a row.
 */
import { OperatorSchema } from '../../access/operator.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { SystemAccounts } from '../../control/userNames.js';
import type { OperatorEntry, OperatorStore } from '../../store/operatorStore.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import { keyById, notFound, type PlanContext } from './adminPlan.js';

type OperatorRequest = Extract<AdminRequest, { verb: 'operator.add' | 'operator.remove' | 'operator.list' }>;

export interface OperatorOutcome {
  changed: boolean;
  changes: string[];
  data?: OperatorEntry[];
}

function uidOf(accounts: SystemAccounts, user: string): number {
  const uid = accounts.uidOf(user);
  if (uid === null) throw new GatewayError('NOT_FOUND', `no account ${user} on this system (user)`, { entity: 'operator', id: user, field: 'user', hint: 'give an existing user name or a numeric uid' });
  return uid;
}

export function runOperatorVerb(
  request: OperatorRequest,
  deps: { operators: OperatorStore; accounts: SystemAccounts; plan: PlanContext; now: number; by: number; dryRun: boolean },
): OperatorOutcome {
  const { operators, accounts } = deps;
  switch (request.verb) {
    case 'operator.list':
      return { changed: false, changes: [], data: operators.list() };
    case 'operator.add': {
      const uid = uidOf(accounts, request.user);
      const parsed = OperatorSchema.safeParse({ uid, user: accounts.userName(uid), role: request.role, keyManagement: request.keyManagement, keyIds: request.keyIds });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = String(issue.path[0] ?? 'role');
        throw new GatewayError('INPUT_INVALID', `operator ${request.user}: ${field}: ${issue.message}`, { entity: 'operator', id: request.user, field });
      }
      for (const keyId of parsed.data.keyIds) if (keyById(deps.plan.store, keyId) === undefined) throw notFound('key', keyId, 'keyIds');
      const line = `${operators.get(uid) ? 'replace' : 'add'} operator ${uid}${parsed.data.user ? ` (${parsed.data.user})` : ''} as ${parsed.data.role}${parsed.data.role === 'manager' || parsed.data.role === 'team' ? `, ${parsed.data.keyManagement} key management${parsed.data.keyIds.length ? ` of ${parsed.data.keyIds.join(', ')}` : ''}` : ''}`;
      if (!deps.dryRun) operators.put(parsed.data, deps.now, deps.by);
      return { changed: !deps.dryRun, changes: [line] };
    }
    case 'operator.remove': {
      const uid = uidOf(accounts, request.user);
      if (operators.get(uid) === undefined) throw new GatewayError('NOT_FOUND', `${request.user} is not an operator (user)`, { entity: 'operator', id: request.user, field: 'user', hint: 'lockgw operator list shows the operators' });
      if (!deps.dryRun) operators.remove(uid);
      return { changed: !deps.dryRun, changes: [`remove operator ${uid}`] };
    }
  }
}

/** `lockgw operator add|list|remove`: who may administer this gateway locally (Owner only; root adds the first). */
import { Argument, type Command } from 'commander';
import { KEY_MANAGEMENT_LEVELS, ROLES } from '../../access/operator.js';
import type { OperatorEntry } from '../../store/operatorStore.js';
import type { CliContext } from '../cliContext.js';
import { runAdmin, type AdminCliOptions } from '../adminClient.js';
import { adminOptions } from './adminOptions.js';

function describe(data: unknown): string[] {
  const list = data as OperatorEntry[];
  if (list.length === 0) return ['no operators (root and the daemon account are Owner)'];
  return list.map((o) => `${String(o.uid).padStart(6)}  ${(o.user ?? '?').padEnd(16)} ${o.role.padEnd(12)} ${o.role === 'manager' || o.role === 'team' ? `${o.keyManagement}${o.keyIds.length ? ` (${o.keyIds.join(', ')})` : ''}` : ''}`);
}

export function registerOperator(program: Command, cli: CliContext): void {
  const operator = program
    .command('operator')
    .description('the local operators: a system account → role and key management (owners only)')
    .addHelpText('after', '\nExamples:\n  sudo lockgw operator add alice --role manager --key-management limited\n  sudo lockgw operator add 1005 --role team --key-management specific --key resident --key gym\n  lockgw operator list');
  adminOptions(operator.command('add'), ['sudo lockgw operator add alice --role manager --key-management limited', 'sudo lockgw operator add 1005 --role team --key-management specific --key resident'])
    .description('add an operator, or change its role')
    .argument('<user>', 'a user name or numeric uid of this system')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--key-management <level>', `for a manager or team member: ${KEY_MANAGEMENT_LEVELS.join(', ')} (default full)`)
    .option('--key <id>', 'a key a specific key manager gives and revokes (repeat it)', (v: string, p: string[] = []) => [...p, v])
    .action((user: string, o: AdminCliOptions & { role: string; keyManagement?: string; key?: string[] }) =>
      runAdmin(cli, o, { verb: 'operator.add', user, role: o.role, ...(o.keyManagement ? { keyManagement: o.keyManagement } : {}), ...(o.key ? { keyIds: o.key } : {}) }));
  adminOptions(operator.command('remove'), ['sudo lockgw operator remove alice'])
    .description('remove an operator')
    .addArgument(new Argument('<user>', 'a user name or numeric uid'))
    .action((user: string, o: AdminCliOptions) => runAdmin(cli, o, { verb: 'operator.remove', user }));
  adminOptions(operator.command('list'), ['lockgw operator list --json'], false)
    .description('the operators: uid, user, role, key management')
    .action((o: AdminCliOptions) => runAdmin(cli, o, { verb: 'operator.list' }, describe));
}

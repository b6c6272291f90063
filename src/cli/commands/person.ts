/** `lockgw person add|edit|suspend|remove`: the people of the site (docs/standalone.md). */
import type { Command } from 'commander';
import { PERSON_KINDS } from '../../access/model.js';
import type { CliContext } from '../cliContext.js';
import { runAdmin, type AdminCliOptions } from '../adminClient.js';
import { adminOptions } from './adminOptions.js';

interface PersonOptions extends AdminCliOptions {
  name?: string;
  kind?: string;
  host?: string | false;
  extendedUnlock?: boolean;
  reinstate?: boolean;
  unit?: string | false;
  place?: string | false;
}

export function registerPerson(program: Command, cli: CliContext): void {
  const person = program
    .command('person')
    .description('add, edit, suspend or remove a person (owner, manager, team)')
    .addHelpText('after', '\nExamples:\n  lockgw person add ann --name "Ann Example"\n  lockgw person add ann-guest --name "Ann\'s guest" --kind guest --host ann\n  lockgw person suspend ann\n  lockgw person suspend ann --reinstate');
  adminOptions(person.command('add'), ['lockgw person add ann --name "Ann Example"', 'lockgw person add ann-guest --name "Guest of Ann" --kind guest --host ann'])
    .description('add a person')
    .argument('<id>', 'the person id')
    .requiredOption('--name <name>', 'the name')
    .option('--kind <kind>', PERSON_KINDS.join(', '), 'resident')
    .option('--host <personId>', "a guest's host")
    .option('--extended-unlock', 'a longer unlock time at doors (accessibility)')
    .option('--unit <unit>', 'the unit: 205C')
    .option('--place <place>', 'where: Building A')
    .action((id: string, o: PersonOptions) =>
      runAdmin(cli, o, {
        verb: 'person.add',
        person: { id, name: o.name, kind: o.kind, ...(o.host ? { hostId: o.host } : {}), extendedUnlock: o.extendedUnlock === true, ...(o.unit ? { unit: o.unit } : {}), ...(o.place ? { place: o.place } : {}) },
      }));
  adminOptions(person.command('edit'), ['lockgw person edit ann --name "Ann Smith" --extended-unlock'])
    .description('change what is given, keep the rest')
    .argument('<id>', 'the person id')
    .option('--name <name>', 'the name')
    .option('--kind <kind>', PERSON_KINDS.join(', '))
    .option('--host <personId>', "a guest's host")
    .option('--no-host', 'no host any more')
    .option('--extended-unlock', 'a longer unlock time at doors')
    .option('--no-extended-unlock', 'the usual unlock time')
    .option('--unit <unit>', 'the unit')
    .option('--no-unit', 'no unit any more')
    .option('--place <place>', 'where')
    .option('--no-place', 'no place any more')
    .action((id: string, o: PersonOptions) =>
      runAdmin(cli, o, {
        verb: 'person.edit', id,
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.kind !== undefined ? { kind: o.kind } : {}),
        ...(o.host === false ? { hostId: null } : o.host !== undefined ? { hostId: o.host } : {}),
        ...(o.extendedUnlock !== undefined ? { extendedUnlock: o.extendedUnlock } : {}),
        ...(o.unit === false ? { unit: null } : o.unit !== undefined ? { unit: o.unit } : {}),
        ...(o.place === false ? { place: null } : o.place !== undefined ? { place: o.place } : {}),
      }));
  adminOptions(person.command('suspend'), ['lockgw person suspend ann', 'lockgw person suspend ann --reinstate'])
    .description('suspend a person (every credential denied, guests too), or --reinstate')
    .argument('<id>', 'the person id')
    .option('--reinstate', 'end the suspension')
    .action((id: string, o: PersonOptions) => runAdmin(cli, o, { verb: 'person.suspend', id, suspended: o.reinstate !== true }));
  adminOptions(person.command('remove'), ['lockgw person remove ann --dry-run'])
    .description('remove a person with their holdings and credentials (owner, manager)')
    .argument('<id>', 'the person id')
    .action((id: string, o: PersonOptions) => runAdmin(cli, o, { verb: 'person.remove', id }));
}

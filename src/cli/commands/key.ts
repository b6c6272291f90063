/**
 * `lockgw key create|edit|remove` (doors × schedules, mayShare: full key management) and
 * `lockgw give|revoke` (a holding with its validity). Revoking takes back only the key's doors:
 * the person's credentials stay, and keep opening the doors of their other keys.
 */
import type { Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { runAdmin, type AdminCliOptions } from '../adminClient.js';
import { adminOptions, keyDoor, repeated } from './adminOptions.js';

interface KeyOptions extends AdminCliOptions {
  name?: string;
  mayShare?: boolean;
  door?: string[];
  addDoor?: string[];
  removeDoor?: string[];
  from?: string;
  until?: string;
}

const DOOR_HELP = 'a door, 24/7 (lobby), or with its schedules (gym:gym-hours+weekend); repeat it';

export function registerKey(program: Command, cli: CliContext): void {
  const key = program
    .command('key')
    .description('create, edit or remove a key: doors with their schedules (owner; manager or team with full key management)')
    .addHelpText('after', '\nExamples:\n  lockgw key create resident --name Resident --door front --door gym:gym-hours --may-share\n  lockgw key edit resident --add-door pool:pool-hours --remove-door gym');
  adminOptions(key.command('create'), ['lockgw key create resident --name Resident --door front --door gym:gym-hours --may-share'])
    .description('create a key')
    .argument('<id>', 'the key id')
    .requiredOption('--name <name>', 'the name')
    .option('--door <door[:schedules]>', DOOR_HELP, repeated)
    .option('--may-share', 'holders may share it with guests')
    .action((id: string, o: KeyOptions) => runAdmin(cli, o, { verb: 'key.create', key: { id, name: o.name, mayShare: o.mayShare === true, doors: (o.door ?? []).map(keyDoor) } }));
  adminOptions(key.command('edit'), ['lockgw key edit resident --add-door pool:pool-hours --remove-door gym'])
    .description('change a key; its holders get the change at once')
    .argument('<id>', 'the key id')
    .option('--name <name>', 'the name')
    .option('--may-share', 'holders may share it with guests')
    .option('--no-may-share', 'holders may not share it')
    .option('--door <door[:schedules]>', `replaces all doors: ${DOOR_HELP}`, repeated)
    .option('--add-door <door[:schedules]>', `adds (or re-schedules) a door: ${DOOR_HELP}`, repeated)
    .option('--remove-door <door>', 'removes a door (repeat it)', repeated)
    .action((id: string, o: KeyOptions) =>
      runAdmin(cli, o, {
        verb: 'key.edit', id,
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.mayShare !== undefined ? { mayShare: o.mayShare } : {}),
        ...(o.door ? { doors: o.door.map(keyDoor) } : {}),
        ...(o.addDoor ? { addDoors: o.addDoor.map(keyDoor) } : {}),
        ...(o.removeDoor ? { removeDoors: o.removeDoor } : {}),
      }));
  adminOptions(key.command('remove'), ['lockgw key remove old-staff --dry-run'])
    .description('remove a key: every holding of it ends, credentials stay with their people')
    .argument('<id>', 'the key id')
    .action((id: string, o: KeyOptions) => runAdmin(cli, o, { verb: 'key.remove', id }));

  adminOptions(program.command('give'), ['lockgw give ann resident', 'lockgw give guest-12 room-12 --from 2026-12-24T15:00:00+01:00 --until 2026-12-27T11:00:00+01:00'])
    .description('give a person a key, with its own validity (a lease, a stay)')
    .argument('<person>', 'the person id')
    .argument('<key>', 'the key id')
    .option('--from <instant>', 'valid from: ISO 8601 with an offset, 2026-12-01T15:00:00+01:00')
    .option('--until <instant>', 'valid until: ISO 8601 with an offset')
    .action((personId: string, keyId: string, o: KeyOptions) =>
      runAdmin(cli, o, { verb: 'give', holding: { personId, keyId, ...(o.from ? { validFrom: o.from } : {}), ...(o.until ? { validUntil: o.until } : {}) } }));
  adminOptions(program.command('revoke'), ['lockgw give tracy key-b && lockgw revoke tracy key-a   # move Tracy without new codes'])
    .description("take a key back: only its doors; the person's PINs and cards keep opening their other keys' doors")
    .argument('<person>', 'the person id')
    .argument('<key>', 'the key id')
    .action((personId: string, keyId: string, o: KeyOptions) => runAdmin(cli, o, { verb: 'revoke', personId, keyId }));
}

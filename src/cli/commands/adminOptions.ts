/** What every admin verb takes (docs/standalone.md): --config, --json, --dry-run, --force-local; and the door:schedule syntax of keys. */
import type { Command } from 'commander';
import { configOption } from './commonOptions.js';

/** The admin options, and the verb's examples in its --help. */
export function adminOptions(command: Command, examples: string[], change = true): Command {
  configOption(command).option('--json', 'the result as one JSON object');
  command.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  if (!change) return command;
  return command
    .option('--dry-run', 'show the change, apply nothing')
    .option('--force-local', "change a cloud-managed gateway's rules anyway (the cloud's next snapshot wins)");
}

/** Collects a repeated option's values. */
export function repeated(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `lobby` (24/7) or `gym:gym-hours+weekend` (the door with its schedules) → a key's door. */
export function keyDoor(text: string): { doorId: string; scheduleIds: string[] } {
  const at = text.indexOf(':');
  if (at < 0) return { doorId: text, scheduleIds: [] };
  return { doorId: text.slice(0, at), scheduleIds: text.slice(at + 1).split('+').filter((s) => s !== '') };
}

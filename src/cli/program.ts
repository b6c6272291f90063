/**
 * The `lockgw` command's parser: commander, with every verb registered from commands/. Usage
 * errors (an unknown verb or option, a missing or bad value) name what was wrong, suggest the
 * nearest verb or option, and exit 2; `--help` on any verb prints its options and examples.
 * Output goes through the CliContext, never straight to the process, so tests read it.
 */
import { Command } from 'commander';
import { lockgwVersion } from '../app/version.js';
import type { CliContext, Out } from './cliContext.js';
import { registerCommands } from './commands/index.js';

const EXIT_CODES = `
Configuration: --config FILE, else $LOCKGW_CONFIG, else /etc/lockgw/lockgw.yaml, else the embedded
demo defaults (simulated doors, database under ./data; said on stderr every time).
Exit codes: 0 done, 1 error, 2 usage (or a problem doctor found), 3 refused or denied.`;

/** commander writes whole chunks ending in a newline; our outputs take lines. */
function lines(to: Out): (chunk: string) => void {
  return (chunk) => {
    for (const line of chunk.replace(/\n$/, '').split('\n')) to(line);
  };
}

export function buildProgram(cli: CliContext): Command {
  const program = new Command('lockgw')
    .description('the lock gateway: decide offline, run the doors, sync with the cloud. A verb with --help shows its options and examples.')
    .version(`lockgw ${lockgwVersion()}`, '-V, --version', "lockgw's version")
    .exitOverride()
    .configureOutput({ writeOut: lines(cli.out), writeErr: lines(cli.err), outputError: (message, write) => write(message.replace(/^error: /, 'lockgw: ')) })
    .showSuggestionAfterError(true)
    .showHelpAfterError('(lockgw <verb> --help shows its options)')
    .addHelpText('after', EXIT_CODES);
  registerCommands(program, cli);
  return program;
}

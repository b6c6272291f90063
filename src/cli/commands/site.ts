/**
 * `lockgw site apply FILE` (validate with file:line:col errors, show the difference, apply it as
 * one batch; --dry-run only shows it) and `lockgw site export` (the rules in force as a site file
 * that site apply takes back unchanged), and `lockgw people import FILE.csv` (the bulk-user CSV).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { CliContext } from '../cliContext.js';
import { runAdmin, type AdminCliOptions } from '../adminClient.js';
import { adminOptions } from './adminOptions.js';

function fileText(path: string, field: string): { text: string; source: string } {
  try {
    return { text: readFileSync(path, 'utf8'), source: path };
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', `cannot read ${path} (${field}): ${(err as Error).message}`, { field });
  }
}

export function registerSite(program: Command, cli: CliContext): void {
  const site = program
    .command('site')
    .description('the whole site as a file: apply it, or export the rules in force')
    .addHelpText('after', '\nExamples:\n  lockgw site apply site.yaml --dry-run\n  sudo lockgw site apply site.yaml --users residents.csv\n  lockgw site export --format json > site.json');
  adminOptions(site.command('apply'), ['lockgw site apply site.yaml --dry-run', 'sudo lockgw site apply site.yaml --users residents.csv'])
    .description('make the rules what FILE says (anything it does not name is deleted); --dry-run shows the difference')
    .argument('<file>', 'a site file, YAML (or JSON by its .json name)')
    .option('--users <file.csv>', 'a bulk-user CSV whose people join the file')
    .action((file: string, o: AdminCliOptions & { users?: string }) =>
      runAdmin(cli, o, { verb: 'site.apply', site: fileText(file, 'file'), ...(o.users ? { users: fileText(o.users, 'users') } : {}) }));
  adminOptions(site.command('export'), ['lockgw site export > site.yaml', 'lockgw site export --format json --output site.json'], false)
    .description('the rules in force as a site file (PINs as their digests, never in clear)')
    .addOption(new Option('--format <format>', 'yaml or json').choices(['yaml', 'json']).default('yaml'))
    .option('--output <file>', 'write it to a file (mode 0600) instead of stdout')
    .action(async (o: AdminCliOptions & { format: string; output?: string }) => {
      // the text is the answer: --json would wrap it in the result object
      await runAdmin(cli, { ...o, json: true }, { verb: 'site.export', format: o.format }, undefined, (result) => {
        const text = String(result.data);
        if (o.output) writeFileSync(o.output, text, { mode: 0o600 });
        else cli.out(text.replace(/\n$/, ''));
      });
    });

  const people = program.command('people').description('people in bulk');
  adminOptions(people.command('import'), ['lockgw people import residents.csv --dry-run'])
    .description("the bulk-user CSV (Email, Unit Number, Expiry Date, Keys; unit n/a = staff): adds or updates its people and their keys")
    .argument('<file.csv>', 'the CSV')
    .addHelpText('after', '\nThe CSV:\n  Email,Unit Number,Expiry Date,Keys\n  ann@example.com,205C,2027-06-30,Resident;Gym\n  maint@example.com,n/a,2027-12-31,Employee All Access 24/7')
    .action((file: string, o: AdminCliOptions) => runAdmin(cli, o, { verb: 'people.import', users: fileText(file, 'file') }));
}

/**
 * `lockgw backup FILE` — a backup of the gateway (database, device secret, pairings) sealed
 * under a passphrase, safe while the daemon runs (app/backupBundle.ts).
 * `lockgw backup --into DIR --keep N` — the nightly form (systemd/lockgw-nightly.service): a
 * file named by the time into DIR, then only the newest N such files are kept. A database that
 * fails its check makes no backup, rotates nothing and exits 1.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createBackup } from '../../app/backupBundle.js';
import { nightlyBackupName, rotateBackups } from '../../app/backupRotation.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { CliContext } from '../cliContext.js';
import { readPassphrase } from '../passphrase.js';
import { configOption, wholeNumber } from './commonOptions.js';

interface BackupOptions {
  config?: string;
  passphraseFile?: string;
  into?: string;
  keep?: number;
  json?: boolean;
}

export function registerBackup(program: Command, cli: CliContext): void {
  configOption(program.command('backup'))
    .description('an encrypted backup of the database (an online copy, checked with quick_check), the device secret and the BLE pairings; safe while the daemon runs')
    .argument('[file]', 'the backup file to write (never over an existing one)')
    .option('--passphrase-file <file>', "the passphrase is this file's first line (default: asked twice on the terminal; never an argument)")
    .option('--into <dir>', 'the nightly form: write DIR/lockgw-<gateway>-<time>.backup')
    .option('--keep <n>', 'with --into: keep only the newest N nightly backups there', wholeNumber(1))
    .option('--json', 'one JSON object: the file, its size, the parts, the removed backups')
    .addHelpText('after', [
      '\nExamples:',
      '  sudo -u lockgw lockgw backup /var/lib/lockgw/backups/before-rewiring.backup',
      '  lockgw backup --into /var/lib/lockgw/backups --keep 14 --passphrase-file /etc/lockgw/backup-passphrase',
    ].join('\n'))
    .action(async (file: string | undefined, o: BackupOptions) => {
      if ((o.into === undefined) === (file === undefined)) throw new GatewayError('INPUT_INVALID', 'backup needs a FILE, or --into DIR (with --keep N)', { field: 'file', hint: 'lockgw backup --help' });
      if (o.keep !== undefined && o.into === undefined) throw new GatewayError('INPUT_INVALID', '--keep goes with --into DIR', { field: 'keep' });
      const config = cli.config(o.config);
      const now = Date.now();
      const dest = o.into === undefined ? resolve(file!) : join(resolve(o.into), nightlyBackupName(config.gateway.id, now));
      const passphrase = await readPassphrase({ file: o.passphraseFile, confirm: true, input: process.stdin, prompt: process.stderr });
      const made = await createBackup(config, dest, { passphrase, now, uid: process.getuid?.() });
      const removed = o.into !== undefined && o.keep !== undefined ? rotateBackups(resolve(o.into), config.gateway.id, o.keep) : [];
      if (o.json) {
        cli.out(JSON.stringify({ ...made, removed }));
        return;
      }
      cli.out(`backed up ${made.parts.join(', ')} to ${made.file} (${made.bytes} bytes, database schema ${made.schemaVersion}, quick_check ok)`);
      for (const r of removed) cli.out(`removed the older backup ${r}`);
    });
}

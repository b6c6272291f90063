/**
 * `lockgw backup FILE` — a backup of the gateway (database, device secret, pairings) sealed
 * under a passphrase, safe while the daemon runs (app/backupBundle.ts).
 * `lockgw backup --into DIR --keep N` — the nightly form (systemd/lockgw-nightly.service): a
 * file named by the time into DIR, then only the newest N such files are kept. A database that
 * fails its check makes no backup, rotates nothing and exits 1.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createBackup } from '../app/backupBundle.js';
import { nightlyBackupName, rotateBackups } from '../app/backupRotation.js';
import type { GatewayConfig } from '../app/config/configSchema.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { readPassphrase } from './passphrase.js';

type Out = (line: string) => void;

export const BACKUP_USAGE = `usage: lockgw backup FILE [--passphrase-file F]
       lockgw backup --into DIR --keep N [--passphrase-file F]
  a backup of the database (an online copy, checked with quick_check), the device secret and the
  BLE pairings, encrypted under a passphrase; safe while the daemon runs
  --passphrase-file F   the passphrase is F's first line (default: asked twice on the terminal)
  --into DIR --keep N   the nightly form: DIR/lockgw-<gateway>-<time>.backup, then keep the newest N
  examples:
    sudo -u lockgw lockgw backup /var/lib/lockgw/backups/before-rewiring.backup
    lockgw backup --into /var/lib/lockgw/backups --keep 14 --passphrase-file /etc/lockgw/backup-passphrase`;

function usage(message: string, field: string): never {
  throw new GatewayError('INPUT_INVALID', message, { field, hint: 'lockgw backup --help' });
}

export async function runBackup(args: string[], config: GatewayConfig, out: Out, now = Date.now()): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { 'passphrase-file': { type: 'string' }, into: { type: 'string' }, keep: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, config: { type: 'string', short: 'c' } },
  });
  if (values.help) {
    out(BACKUP_USAGE);
    return 0;
  }
  if (positionals.length > 1) usage(`backup takes one FILE, not ${positionals.length}`, 'FILE');
  const into = values.into;
  if ((into === undefined) === (positionals[0] === undefined)) usage('backup needs a FILE, or --into DIR (with --keep N)', 'FILE');
  let keep: number | undefined;
  if (values.keep !== undefined) {
    keep = Number(values.keep);
    if (into === undefined) usage('--keep goes with --into DIR', 'keep');
    if (!Number.isInteger(keep) || keep < 1) usage(`--keep must be a whole number of backups, at least 1 (not ${values.keep})`, 'keep');
  }
  const file = into === undefined ? resolve(positionals[0]!) : join(resolve(into), nightlyBackupName(config.gateway.id, now));
  const passphrase = await readPassphrase({ file: values['passphrase-file'], confirm: true, input: process.stdin, prompt: process.stderr });
  const made = await createBackup(config, file, { passphrase, now, uid: process.getuid?.() });
  const removed = into !== undefined && keep !== undefined ? rotateBackups(resolve(into), config.gateway.id, keep) : [];
  if (values.json) {
    out(JSON.stringify({ ...made, removed }));
  } else {
    out(`backed up ${made.parts.join(', ')} to ${made.file} (${made.bytes} bytes, database schema ${made.schemaVersion}, quick_check ok)`);
    for (const r of removed) out(`removed the older backup ${r}`);
  }
  return 0;
}

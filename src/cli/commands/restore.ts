/**
 * `lockgw restore FILE` — puts a backup (lockgw backup) in place of the gateway's database,
 * device secret and pairings, with the daemon stopped: refused while a daemon answers on the
 * control socket (or when that cannot be told) unless --force. The file is verified whole
 * before anything changes; the replaced files are kept as `<file>.before-restore-<time>`.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { restoreBackup } from '../../app/backupRestore.js';
import type { GatewayConfig } from '../../app/config/configSchema.js';
import { probeSocket } from '../../control/socketPlace.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { CliContext } from '../cliContext.js';
import { readPassphrase } from '../passphrase.js';
import { configOption } from './commonOptions.js';

/** Why restoring now is refused, or null: a running daemon would keep the old files open. */
async function daemonInTheWay(config: GatewayConfig, socket: string): Promise<string | null> {
  if (!config.control.enabled) return 'control.enabled is false, so whether the daemon runs cannot be told';
  const answer = await probeSocket(socket);
  if (answer === 'live') return `a lockgw daemon answers on ${socket}`;
  if (answer === 'refused' || answer === 'ENOENT') return null;
  return `whether a daemon runs cannot be told: ${socket} gave ${answer}`;
}

export function registerRestore(program: Command, cli: CliContext): void {
  configOption(program.command('restore'))
    .description('replaces the database, the device secret and the BLE pairings with a backup, after checking it whole (authentication, quick_check, schema version); the replaced files are kept aside')
    .argument('<file>', 'a backup made by lockgw backup')
    .option('--passphrase-file <file>', "the passphrase is this file's first line (default: asked on the terminal; never an argument)")
    .option('--force', 'restore even though a daemon answers on the control socket (or that cannot be told)')
    .option('--json', 'one JSON object: what was restored, what was kept aside')
    .addHelpText('after', [
      '\nExamples:',
      '  sudo systemctl stop lockgw',
      '  sudo -u lockgw lockgw restore /var/lib/lockgw/backups/lockgw-gw-0042-20261207T023000Z.backup',
      '  sudo systemctl start lockgw',
    ].join('\n'))
    .action(async (file: string, o: { config?: string; passphraseFile?: string; force?: boolean; json?: boolean }) => {
      const config = cli.config(o.config);
      const inTheWay = await daemonInTheWay(config, cli.socketPath(config));
      if (inTheWay !== null && !o.force) {
        throw new GatewayError('UNAVAILABLE', `not restoring: ${inTheWay}; nothing was changed`, { hint: "stop it first (sudo systemctl stop lockgw), or add --force if it is not this gateway's daemon" });
      }
      const passphrase = await readPassphrase({ file: o.passphraseFile, confirm: false, input: process.stdin, prompt: process.stderr });
      const done = restoreBackup(config, resolve(file), { passphrase, now: Date.now(), uid: process.getuid?.() });
      if (o.json) {
        cli.out(JSON.stringify(done));
        return;
      }
      const m = done.manifest;
      cli.out(`restored the backup of ${m.gatewayId} made ${m.createdAt} by lockgw ${m.lockgwVersion} (database schema ${m.schemaVersion})`);
      for (const f of done.restored) cli.out(`  in place: ${f}`);
      for (const f of done.setAside) cli.out(`  kept aside: ${f}`);
      for (const n of done.notes) cli.out(`  note: ${n}`);
      cli.out('start the daemon: sudo systemctl start lockgw');
    });
}

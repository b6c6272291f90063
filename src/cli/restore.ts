/**
 * `lockgw restore FILE` — puts a backup (lockgw backup) in place of the gateway's database,
 * device secret and pairings, with the daemon stopped: it is refused while a daemon answers on
 * the control socket (or when that cannot be told) unless --force. The file is verified whole
 * before anything changes; the replaced files are kept as `<file>.before-restore-<time>`.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { restoreBackup } from '../app/backupRestore.js';
import type { GatewayConfig } from '../app/config/configSchema.js';
import { probeSocket } from '../control/socketPlace.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { readPassphrase } from './passphrase.js';

type Out = (line: string) => void;

export const RESTORE_USAGE = `usage: lockgw restore FILE [--passphrase-file F] [--force]
  replaces the database, the device secret and the BLE pairings with those in FILE (made by
  lockgw backup), after checking it whole: its authentication, the database's quick_check and
  schema version. The files it replaces are kept beside them as <file>.before-restore-<time>.
  Stop the daemon first (systemctl stop lockgw); --force restores even when a daemon answers.
  examples:
    sudo systemctl stop lockgw
    sudo -u lockgw lockgw restore /var/lib/lockgw/backups/lockgw-gw-0042-20261207T023000Z.backup
    sudo systemctl start lockgw`;

/** Why restoring now is refused, or null: a daemon on the control socket would keep the old files open. */
async function daemonInTheWay(config: GatewayConfig): Promise<string | null> {
  if (!config.control.enabled) return 'control.enabled is false, so whether the daemon runs cannot be told';
  const socket = resolve(config.gateway.dataDir, config.control.socket);
  const answer = await probeSocket(socket);
  if (answer === 'live') return `a lockgw daemon answers on ${socket}`;
  if (answer === 'refused' || answer === 'ENOENT') return null;
  return `whether a daemon runs cannot be told: ${socket} gave ${answer}`;
}

export async function runRestore(args: string[], config: GatewayConfig, out: Out, now = Date.now()): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { 'passphrase-file': { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, config: { type: 'string', short: 'c' } },
  });
  if (values.help) {
    out(RESTORE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new GatewayError('INPUT_INVALID', `restore takes one FILE${positionals.length ? `, not ${positionals.length}` : ''}`, { field: 'FILE', hint: 'lockgw restore --help' });
  const inTheWay = await daemonInTheWay(config);
  if (inTheWay !== null && !values.force) {
    throw new GatewayError('UNAVAILABLE', `not restoring: ${inTheWay}; nothing was changed`, { hint: 'stop it first (sudo systemctl stop lockgw), or add --force if it is not this gateway\'s daemon' });
  }
  const passphrase = await readPassphrase({ file: values['passphrase-file'], confirm: false, input: process.stdin, prompt: process.stderr });
  const done = restoreBackup(config, resolve(positionals[0]!), { passphrase, now, uid: process.getuid?.() });
  if (values.json) {
    out(JSON.stringify(done));
    return 0;
  }
  const m = done.manifest;
  out(`restored the backup of ${m.gatewayId} made ${m.createdAt} by lockgw ${m.lockgwVersion} (database schema ${m.schemaVersion})`);
  for (const f of done.restored) out(`  in place: ${f}`);
  for (const f of done.setAside) out(`  kept aside: ${f}`);
  for (const n of done.notes) out(`  note: ${n}`);
  out('start the daemon: sudo systemctl start lockgw');
  return 0;
}

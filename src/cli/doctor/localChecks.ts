/** What the doctor checks on this machine without the daemon: the configuration, the device secret, the disk. */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDeviceSecret } from '../../app/deviceSecret.js';
import type { ConfigLookup } from '../../app/config/configLookup.js';
import type { SystemAccounts } from '../../control/userNames.js';
import { isGatewayError } from '../../kernel/gatewayError.js';
import { type Check, ok, problem, warn } from './check.js';
import { fileAccess, thisProcess, type Asker } from './fileAccess.js';

export function configCheck(found: ConfigLookup): Check {
  if (found.source === 'demo') return warn('config', 'the embedded demo defaults (no --config, no $LOCKGW_CONFIG, no /etc/lockgw/lockgw.yaml)', "on a site: sudo lockgw doctor --config /etc/lockgw/lockgw.yaml");
  return ok('config', `${found.path} (${found.source === 'flag' ? '--config' : found.source === 'env' ? '$LOCKGW_CONFIG' : 'the system file'})`);
}

/** The device secret keys every PIN digest: missing, unreadable or malformed means no PIN can be checked. */
export function secretCheck(path: string, databaseExists: boolean, accounts: SystemAccounts, asker: Asker = thisProcess()): Check {
  const access = fileAccess(path, accounts, asker);
  if (access.state === 'missing') {
    if (!databaseExists) return ok('device secret', `${path} does not exist yet: the first start creates it`);
    return problem('device secret', `${path} is missing: no stored PIN can be checked`, 'restore it from a backup (lockgw restore FILE); a new secret makes every stored PIN unusable');
  }
  if (access.state === 'unreadable') return problem('device secret', `${path}: ${access.why}`, 'run the doctor as root or as the daemon\'s user (sudo lockgw doctor); if the daemon cannot read it either, fix the owner: chown lockgw: and chmod 600');
  try {
    const secret = loadDeviceSecret(path, false);
    if (secret.warning) return warn('device secret', secret.warning);
    return ok('device secret', `${path} (mode ${access.mode.toString(8).padStart(4, '0')})`);
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    return problem('device secret', err.message, err.details.hint);
  }
}

/** Free space where the database lives: SQLite cannot write (and the journal cannot record) on a full disk. */
export function diskCheck(dataDir: string, minFreeBytes = 200 * 1024 * 1024): Check {
  let dir = dataDir;
  for (;;) {
    try {
      const fs = statfsSync(dir);
      const free = fs.bavail * fs.bsize;
      const total = fs.blocks * fs.bsize;
      const pct = total > 0 ? Math.round((free / total) * 100) : 0;
      const detail = `${(free / 1024 / 1024).toFixed(0)} MB free of ${(total / 1024 / 1024).toFixed(0)} MB (${pct}%) at ${dir}`;
      if (free < minFreeBytes / 4 || pct < 2) return problem('disk', detail, 'free space: the journal and the database need room to write (old backups? logs?)');
      if (free < minFreeBytes || pct < 10) return warn('disk', detail, 'free space before the journal runs out of room');
      return ok('disk', detail);
    } catch (err) {
      const parent = dirname(dir);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) return warn('disk', `cannot measure the free space at ${dataDir}: ${(err as Error).message}`);
      dir = parent;
    }
  }
}

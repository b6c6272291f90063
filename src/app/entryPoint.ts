/**
 * Whether a module is the program node was asked to run. node gives the path it was given
 * (process.argv[1]: through /opt/lockgw/current, a symlink to the release), while a module's own
 * URL is its real path: the two are compared after resolving the symlinks, or an installed
 * release would start, do nothing and exit 0.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function isEntryPoint(moduleUrl: string, argv1: string | undefined = process.argv[1]): boolean {
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

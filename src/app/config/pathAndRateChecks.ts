/**
 * Semantic checks of config values that a type cannot express: where the state directory may
 * be, how the database file is named, which serial baud rates exist. Pure: no file system.
 */
import { isAbsolute, posix } from 'node:path';

/** The termios rates (Linux B50 … B4000000); a UART driver refuses or silently rounds others. */
export const STANDARD_BAUD_RATES: ReadonlySet<number> = new Set([
  50, 75, 110, 134, 150, 200, 300, 600, 1_200, 1_800, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 500_000,
  576_000, 921_600, 1_000_000, 1_152_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 4_000_000,
]);

/** Kernel pseudo file systems: state written there is lost, refused or blocks forever. */
const SYSTEM_ROOTS = ['/proc', '/sys', '/dev'];

export interface PathProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

export function pathProblems(dataDir: string, storeFile: string): PathProblem[] {
  const problems: PathProblem[] = [];
  if (dataDir.split(/[\\/]/).includes('..')) {
    problems.push({ path: ['gateway', 'dataDir'], message: `"${dataDir}" climbs out with ..; write the directory itself` });
  } else if (isAbsolute(dataDir)) {
    const dir = posix.normalize(dataDir);
    const root = SYSTEM_ROOTS.find((r) => dir === r || dir.startsWith(`${r}/`));
    if (root) problems.push({ path: ['gateway', 'dataDir'], message: `"${dataDir}" is under ${root}, a kernel file system that cannot hold the gateway's state` });
  }
  if (isAbsolute(storeFile)) {
    problems.push({ path: ['store', 'file'], message: `"${storeFile}" is absolute; store.file is relative to gateway.dataDir` });
  }
  return problems;
}

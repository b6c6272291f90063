/**
 * lockgw's version, from its package.json: found by walking up from this module (src/app/ when
 * run from the sources, dist/src/app/ when built), read once per call; `unknown` if none is found.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function lockgwVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'lockgw' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours or unreadable: keep looking
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/**
 * A data dir with a config and a site file and no daemon: the CLI opens the database itself, as
 * an installer commissioning a gateway does. `cli(...args)` runs `lockgw` in this process with
 * `--config` added and returns its exit code and output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/lockgw.js';

export interface Commissioning {
  /** the data dir; the site file is `site.yaml` in it */
  dir: string;
  cli(...args: string[]): Promise<{ code: number; out: string; err: string }>;
}

/** `site`: the site file's YAML; `extraConfig`: YAML appended to the config (e.g. a cloud section) */
export function commissioning(t: { teardown(fn: () => unknown): void }, site: string, extraConfig = ''): Commissioning {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-commissioning-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  dataDir: ${JSON.stringify(dir)}\ndemo:\n  seed: false\n${extraConfig}`);
  writeFileSync(join(dir, 'site.yaml'), site);
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...args, '--config', config], (l) => out.push(l), (l) => err.push(l));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  return { dir, cli };
}

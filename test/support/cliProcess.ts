/** The `lockgw` command (src/cli/lockgw.ts under tsx) in a child process: its exit code and output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from './childEnv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function runLockgw(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/lockgw.ts'), ...args], { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

/**
 * The real daemon (`src/main.ts` under tsx) in a child process, for tests and benches that need
 * the process itself (signals, exit codes, its log): its ready line, its output so far.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from './childEnv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface DaemonProcess {
  child: ChildProcess;
  /** resolves with the ready line; rejects (with the output) if the daemon exits first */
  readyLine: Promise<string>;
  /** stdout and stderr so far */
  output(): { out: string; err: string };
}

export function spawnDaemon(args: string[], options: { env?: NodeJS.ProcessEnv; nodeFlags?: readonly string[] } = {}): DaemonProcess {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', join(root, 'src/main.ts'), ...args], {
    cwd: root, env: childEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const readyLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('lockgw ready'));
      if (line) resolve(line);
    });
    child.once('exit', (code, signal) => reject(new Error(`the daemon exited (${code ?? signal}) before ready: ${err}${out}`)));
  });
  readyLine.catch(() => undefined); // a caller that never awaits it must not see an unhandled rejection
  return { child, readyLine, output: () => ({ out, err }) };
}

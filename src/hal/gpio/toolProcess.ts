/**
 * One run of a command-line tool as a child process, its stdout split into lines. The tool's
 * output is untrusted: a line longer than `maxLineLength` is handed on cut short (so that it
 * fails to parse) and the rest of it up to the next newline is discarded; stderr keeps its last
 * 2 KB for the reason. `ended` resolves once, after the process and its pipes closed, or at once
 * when it could not be started (ENOENT: not installed). `kill()` sends SIGTERM, then SIGKILL
 * after `killTimeoutMs` on the clock, and resolves when the process is gone.
 */
import { spawn } from 'node:child_process';
import type { Clock } from '../../kernel/clock.js';

export type ToolEnd =
  | { kind: 'unstartable'; errno: string }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stderr: string };

export interface ToolProcessOptions {
  command: string;
  args: readonly string[];
  clock: Clock;
  onLine(line: string): void;
  /** the process exists (not called when it could not be started) */
  onSpawn?(): void;
  killTimeoutMs?: number;
  maxLineLength?: number;
}

export interface ToolProcess {
  readonly ended: Promise<ToolEnd>;
  kill(): Promise<void>;
}

const STDERR_KEPT = 2048;

export function startTool(options: ToolProcessOptions): ToolProcess {
  const maxLine = options.maxLineLength ?? 256;
  const child = spawn(options.command, [...options.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let pending = '';
  let discarding = false;
  let spawnErrno: string | null = null;
  let gone = false;

  child.once('spawn', () => options.onSpawn?.());
  child.once('error', (err: NodeJS.ErrnoException) => {
    if (child.pid === undefined) spawnErrno = err.code ?? 'unknown';
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    for (;;) {
      const nl = pending.indexOf('\n');
      if (nl < 0) break;
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (discarding) discarding = false;
      else options.onLine(line.slice(0, maxLine));
    }
    if (pending.length > maxLine) {
      if (!discarding) options.onLine(pending.slice(0, maxLine));
      discarding = true;
      pending = '';
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });

  const ended = new Promise<ToolEnd>((resolve) => {
    child.once('close', (code, signal) => {
      gone = true;
      resolve(spawnErrno !== null ? { kind: 'unstartable', errno: spawnErrno } : { kind: 'exited', code, signal, stderr });
    });
  });

  const kill = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const guard = options.clock.setTimeout(() => {
      if (!gone) child.kill('SIGKILL');
    }, options.killTimeoutMs ?? 2000);
    await ended;
    options.clock.clearTimeout(guard);
  };

  return { ended, kill };
}

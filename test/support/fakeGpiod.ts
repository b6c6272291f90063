/**
 * Fake libgpiod tools for testing GpiodToolLineSource as real child processes: `start()` writes
 * two executable wrappers, `gpioget` and `gpiomon`, into a temporary directory (pass
 * `commands` to the source), each running fakeGpiod/tool.mjs under plain node. Every run of
 * either connects back to this object's control socket:
 *  - `gpiomon --version` is answered with `versionLine` (the format of libgpiod 1.6 / 2.x);
 *  - `gpioget` is answered with `getReply` unless that is null;
 *  - everything else (and any unanswered run) is queued for `next(tool)`, and the test drives
 *    it: out(), err(), exit(), ignoreTerm(); `gone` resolves when the process ended.
 * Nothing here is libgpiod: it tests our spawning, parsing, restarts and kills, not the tools.
 */
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FakeTool = 'gpioget' | 'gpiomon';

export interface Invocation {
  tool: FakeTool;
  args: string[];
  pid: number;
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
  /** resolves once the process no longer handles SIGTERM */
  ignoreTerm(): Promise<void>;
  /** resolves when the process has ended (its control connection closed) */
  gone: Promise<void>;
}

export interface FakeReply {
  out?: string;
  err?: string;
  exit: number;
}

const TOOL_SCRIPT = fileURLToPath(new URL('./fakeGpiod/tool.mjs', import.meta.url));

export const VERSION_1 = 'gpiomon (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski\n';
export const VERSION_2 = 'gpiomon (libgpiod) v2.2.1\nCopyright (C) 2017-2023 Bartosz Golaszewski\n';

export class FakeGpiod {
  /** what `gpiomon --version` prints (exit 0); null: queued like any other run */
  versionLine: string | null = VERSION_1;
  /** how gpioget answers; null: queued for the test */
  getReply: FakeReply | null = { out: '0\n', exit: 0 };
  /** every run, in order */
  readonly runs: { tool: FakeTool; args: string[] }[] = [];
  commands = { gpioget: '', gpiomon: '' };
  #dir = '';
  #server: Server | null = null;
  #sockets = new Set<Socket>();
  #queue: Invocation[] = [];
  #waiters: { tool: FakeTool; resolve: (i: Invocation) => void }[] = [];

  async start(t: { teardown(fn: () => unknown): void }): Promise<this> {
    this.#dir = mkdtempSync(join(tmpdir(), 'fake-gpiod-'));
    const socketPath = join(this.#dir, 'control.sock');
    this.#server = createServer((socket) => this.#accept(socket));
    this.#server.listen(socketPath);
    await once(this.#server, 'listening');
    for (const tool of ['gpioget', 'gpiomon'] as const) {
      const path = join(this.#dir, tool);
      // tap's coverage hooks stay out of the fake (see childEnv.ts)
      writeFileSync(path, `#!/bin/sh\nexec env -u NODE_OPTIONS -u NODE_V8_COVERAGE -u _TAPJS_PROCESSINFO_COVERAGE_ '${process.execPath}' '${TOOL_SCRIPT}' '${socketPath}' ${tool} "$@"\n`);
      chmodSync(path, 0o755);
      this.commands[tool] = path;
    }
    t.teardown(() => this.stop());
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    if (this.#server) await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
    this.#server = null;
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }

  /** The next run of `tool` that was not answered automatically; rejects after `timeoutMs` (a guard, not a wait). */
  next(tool: FakeTool, timeoutMs = 10_000): Promise<Invocation> {
    const index = this.#queue.findIndex((i) => i.tool === tool);
    if (index >= 0) return Promise.resolve(this.#queue.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`no ${tool} run within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ tool, resolve: (i) => (clearTimeout(guard), resolve(i)) });
    });
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setEncoding('utf8');
    let pending = '';
    let acks: (() => void)[] = [];
    let invocation: Invocation | null = null;
    const gone = new Promise<void>((resolve) => socket.once('close', () => (this.#sockets.delete(socket), resolve())));
    const send = (command: object) => socket.write(`${JSON.stringify(command)}\n`);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const message = JSON.parse(pending.slice(0, nl)) as { tool?: FakeTool; args?: string[]; pid?: number; ack?: true };
        pending = pending.slice(nl + 1);
        if (message.ack) {
          acks.shift()?.();
          continue;
        }
        invocation = {
          tool: message.tool!,
          args: message.args!,
          pid: message.pid!,
          out: (text) => send({ out: text }),
          err: (text) => send({ err: text }),
          exit: (code) => send({ exit: code }),
          ignoreTerm: () => new Promise<void>((resolve) => (acks = [...acks, resolve], send({ ignoreTerm: true }))),
          gone,
        };
        this.runs.push({ tool: invocation.tool, args: invocation.args });
        this.#dispatch(invocation);
      }
    });
  }

  #dispatch(invocation: Invocation): void {
    if (invocation.tool === 'gpiomon' && invocation.args[0] === '--version' && this.versionLine !== null) {
      return send(invocation, { out: this.versionLine, exit: 0 });
    }
    if (invocation.tool === 'gpioget' && this.getReply !== null) return send(invocation, this.getReply);
    const waiter = this.#waiters.findIndex((w) => w.tool === invocation.tool);
    if (waiter >= 0) this.#waiters.splice(waiter, 1)[0]!.resolve(invocation);
    else this.#queue.push(invocation);
  }
}

function send(invocation: Invocation, reply: FakeReply): void {
  if (reply.out) invocation.out(reply.out);
  if (reply.err) invocation.err(reply.err);
  invocation.exit(reply.exit);
}

/** Whether a process id is alive (signal 0 probes without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

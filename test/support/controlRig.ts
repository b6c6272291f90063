/** A real gateway (temp data dir, ManualClock) with a ControlServer on a real Unix socket beside it, and raw socket helpers. */
import { join } from 'node:path';
import { createConnection, type Socket } from 'node:net';
import { pino } from 'pino';
import { ControlServer, type ControlServerOptions } from '../../src/control/controlServer.js';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { runCli } from '../../src/cli/lockgw.js';
import { gatewayFixture, type GatewayFixture } from './gatewayFixture.js';

export interface ControlRig {
  f: GatewayFixture;
  server: ControlServer;
  socketPath: string;
  cli(args: string[]): Promise<{ code: number; out: string; err: string }>;
}

export function controlServer(f: GatewayFixture, extra: Partial<ControlServerOptions> = {}): ControlServer {
  return new ControlServer({
    path: join(f.dataDir, 'lockgw.sock'),
    dbPath: join(f.dataDir, 'lockgw.db'),
    target: f.gateway.controlTarget(),
    clock: f.clock,
    logger: pino({ level: 'silent' }),
    ...extra,
  });
}

export async function controlRig(t: { teardown(fn: () => unknown): void }, config: GatewayConfigInput = {}, extra: Partial<ControlServerOptions> = {}): Promise<ControlRig> {
  const f = await gatewayFixture(t, config);
  const server = controlServer(f, extra);
  await server.start();
  t.teardown(() => server.stop());
  const socketPath = join(f.dataDir, 'lockgw.sock');
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...args, '--config', f.configFile], (l) => out.push(l), (l) => err.push(l));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  return { f, server, socketPath, cli };
}

/** A raw client: every line it received, and a promise for the next `n` lines or the close. */
export function rawClient(path: string): { socket: Socket; lines: string[]; connected: Promise<void>; closed: Promise<void>; nextLines(n: number): Promise<string[]> } {
  const socket = createConnection(path);
  socket.setEncoding('utf8');
  const lines: string[] = [];
  let partial = '';
  const waiters: Array<{ n: number; resolve: (l: string[]) => void }> = [];
  socket.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) if (lines.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(lines.slice(0, w.n)); }
  });
  socket.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const nextLines = (n: number) => new Promise<string[]>((resolve, reject) => {
    if (lines.length >= n) return resolve(lines.slice(0, n));
    waiters.push({ n, resolve });
    void closed.then(() => reject(new Error(`closed after ${lines.length} of ${n} lines: ${lines.join(' | ')}`)));
  });
  return { socket, lines, connected, closed, nextLines };
}

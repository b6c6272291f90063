/**
 * A fake NOTIFY_SOCKET: a real unix datagram socket that receives what a Type=notify service
 * sends, as systemd's manager would. Node cannot bind one (dgram is UDP only), so perl (part of
 * every Debian base system) binds it and prints each datagram as a hex line. Like the manager it
 * closes any descriptors a sender passes (it reads without ancillary data, so the kernel closes
 * them): a `systemd-notify` BARRIER=1 handshake completes at once. Barriers are not listed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PEER = `
use Socket;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
bind($s, pack_sockaddr_un($ARGV[0])) or die "bind $ARGV[0]: $!";
$| = 1;
print "bound\\n";
while (defined(recv($s, my $buf, 65536, 0))) { print unpack("H*", $buf), "\\n"; }
`;

export interface NotifySocketPeer {
  /** the socket's path, for NOTIFY_SOCKET (short: under the system's tmp, not the test dir) */
  path: string;
  /** every notification so far, in arrival order, e.g. "READY=1\nSTATUS=…" */
  messages: string[];
  /** when each arrived (performance.now() of this process) */
  arrivals: number[];
  /** the first message from index `from` on that `matches`; rejects after `timeoutMs` with what came */
  next(matches: (message: string) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<string>;
}

export function notifyToolsAvailable(): boolean {
  return spawnSync('perl', ['-MSocket', '-e', '1'], { stdio: 'ignore' }).status === 0;
}

export function notifySocketPeer(t: { teardown(fn: () => unknown): void }): Promise<NotifySocketPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'lgw-notify-'));
  const path = join(dir, 'notify.sock');
  const child = spawn('perl', ['-e', PEER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const messages: string[] = [];
  const arrivals: number[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let pending = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const peer: NotifySocketPeer = {
    path, messages, arrivals,
    next(matches, { from = 0, timeoutMs = 60_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(matches);
          if (found === undefined) return false;
          waiters.delete(check as () => void);
          clearTimeout(guard);
          resolve(found);
          return true;
        };
        const guard = setTimeout(() => {
          waiters.delete(check as () => void);
          reject(new Error(`no such notification within ${timeoutMs} ms; received: ${JSON.stringify(messages.slice(from))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check as () => void);
      });
    },
  };
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the notify peer exited (${code}): ${stderr}`)));
    child.stdout.on('data', (d) => {
      pending += String(d);
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === 'bound') {
          resolve(peer);
          continue;
        }
        const message = Buffer.from(line, 'hex').toString('utf8');
        if (message === 'BARRIER=1') continue;
        messages.push(message);
        arrivals.push(performance.now());
      }
      for (const w of [...waiters]) w();
    });
  });
}

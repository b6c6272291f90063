/**
 * Sends datagrams to systemd's NOTIFY_SOCKET. Node cannot (dgram is UDP only), so one small perl
 * process does, for the daemon's whole life: perl-base is Essential on Debian and Raspberry Pi
 * OS (nothing to install, no native addon to build on a Pi), and one process started while the
 * daemon is still small costs the doors' loop a pipe write per notification instead of a fork of
 * the whole daemon per notification (`systemd-notify`, measured in bench/README.md
 * `systemd_notify`; docs/systemd.md). Being alive when systemd reads its datagram, its messages
 * are attributed to the unit (NotifyAccess=all: it is not the main pid).
 *
 * Protocol on its pipes: one hex-encoded notification per line in; `ok` or `err <reason>` per
 * line out, in order. It ignores SIGTERM and SIGINT (systemd signals the whole cgroup at stop, a
 * terminal the whole process group) so that STOPPING=1 still goes out, and exits when its stdin
 * closes — when the daemon stops it, or dies.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { GatewayError } from '../kernel/gatewayError.js';

const SENDER = `
use Socket;
$SIG{TERM} = 'IGNORE'; $SIG{INT} = 'IGNORE';
my $path = $ARGV[0]; $path =~ s/^@/\\0/;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\\n";
my $to = pack_sockaddr_un($path);
$| = 1;
print "up\\n";
while (my $line = <STDIN>) {
  chomp $line;
  if (defined send($s, pack("H*", $line), 0, $to)) { print "ok\\n" } else { print "err $!\\n" }
}
`;

export class NotifySender {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  /** the answers awaited, in the order the lines were written */
  private readonly waiting: ((failure: string | null) => void)[] = [];
  private exitReason: string | null = null;

  constructor(
    readonly socket: string,
    /** the perl program (default: found on the PATH) */
    private readonly perl = 'perl',
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  /** the sender's process id while it runs (diagnostics) */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the sender; rejects (UNAVAILABLE) when perl cannot run it. */
  start(): Promise<void> {
    if (this.child !== null) return Promise.resolve();
    this.exitReason = null;
    const child = spawn(this.perl, ['-e', SENDER, this.socket], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdin.on('error', () => undefined); // a sender that died: said by 'exit' below
    return new Promise((resolve, reject) => {
      let up = false;
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (!up && line === 'up') {
          up = true;
          return resolve();
        }
        this.waiting.shift()?.(line === 'ok' ? null : line.replace(/^err /, ''));
      });
      const gone = (why: string) => {
        if (this.child === child) this.child = null;
        this.exitReason = why;
        for (const answer of this.waiting.splice(0)) answer(why);
        if (!up) reject(new GatewayError('UNAVAILABLE', `cannot start the systemd notification sender: ${why}`, { hint: 'perl (Debian: perl-base) sends the datagrams to NOTIFY_SOCKET' }));
      };
      child.once('error', (err) => gone(`${this.perl}: ${err.message}`));
      child.once('exit', (code, signal) => gone(`the sender exited (${code ?? signal})${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
  }

  /** Sends one notification; resolves with null once sent, or with why it was not. */
  send(message: string): Promise<string | null> {
    const child = this.child;
    if (child === null) return Promise.resolve(this.exitReason ?? 'the sender is not started');
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      child.stdin.write(`${Buffer.from(message, 'utf8').toString('hex')}\n`);
    });
  }

  /** Closes its stdin: the sender exits once it has answered what it was sent. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    await exited;
  }
}

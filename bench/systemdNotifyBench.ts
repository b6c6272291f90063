/**
 * systemd_notify: what one notification (a watchdog ping) costs the doors' event loop. lockgw
 * writes it to its long-lived sender's pipe (src/app/notifySender.ts); the baseline, run in the
 * same process, is one `systemd-notify` run per notification, whose spawn forks a process as
 * large as the daemon. Both against a fake NOTIFY_SOCKET (test/support/notifySocketPeer.ts), once
 * at the bench's RSS and once with 300 MB of touched ballast, the RSS of a gateway holding the
 * largest synthetic site.
 */
import { spawn, spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { ManualClock } from '../src/kernel/clock.js';
import { NotifySender } from '../src/app/notifySender.js';
import { SystemdNotify } from '../src/app/systemdNotify.js';
import { notifySocketPeer, notifyToolsAvailable, type NotifySocketPeer } from '../test/support/notifySocketPeer.js';
import { emit, note } from './report.js';
import { percentile } from './stats.js';

const BALLAST_MB = 300;

const sorted = (values: number[]) => Float64Array.from(values).sort();

/** the loop time of status() on an idle notifier, and until the datagram arrived */
async function throughSender(notify: SystemdNotify, peer: NotifySocketPeer, samples: number): Promise<{ loop: number[]; delivered: number[] }> {
  const loop: number[] = [];
  const delivered: number[] = [];
  for (let i = 0; i < samples; i++) {
    const from = peer.messages.length;
    const t0 = performance.now();
    notify.status(`sender ${i}`);
    loop.push(performance.now() - t0);
    await peer.next((m) => m === `STATUS=sender ${i}`, { from });
    delivered.push(performance.now() - t0);
    await new Promise((resolve) => setImmediate(resolve)); // idle again before the next sample
  }
  return { loop, delivered };
}

/** the baseline: the loop time of spawning systemd-notify, and until the datagram arrived */
async function throughSystemdNotify(peer: NotifySocketPeer, samples: number): Promise<{ loop: number[]; delivered: number[] }> {
  const loop: number[] = [];
  const delivered: number[] = [];
  for (let i = 0; i < samples; i++) {
    const from = peer.messages.length;
    const t0 = performance.now();
    const child = spawn('systemd-notify', [`STATUS=baseline ${i}`], { env: { ...process.env, NOTIFY_SOCKET: peer.path }, stdio: 'ignore' });
    loop.push(performance.now() - t0);
    await peer.next((m) => m === `STATUS=baseline ${i}`, { from });
    delivered.push(performance.now() - t0);
    await new Promise((resolve) => child.once('close', resolve));
  }
  return { loop, delivered };
}

function report(name: string, run: { loop: number[]; delivered: number[] }): void {
  emit({ bench: 'systemd_notify', metric: `${name}_loop_p50_ms`, value: percentile(sorted(run.loop), 50), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'systemd_notify', metric: `${name}_loop_p99_ms`, value: percentile(sorted(run.loop), 99), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'systemd_notify', metric: `${name}_delivered_p50_ms`, value: percentile(sorted(run.delivered), 50), unit: 'ms', target: null, better: 'lower' });
}

export async function runSystemdNotifyBench(scale: number): Promise<void> {
  if (!notifyToolsAvailable()) return note('systemd_notify: skipped (needs perl)');
  const baseline = spawnSync('systemd-notify', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!baseline) note('systemd_notify: no systemd-notify here: the baseline is left out');
  const teardowns: (() => unknown)[] = [];
  try {
    const peer = await notifySocketPeer({ teardown: (fn) => teardowns.push(fn) });
    const notify = new SystemdNotify(new NotifySender(peer.path), null, { clock: new ManualClock(0), logger: pino({ level: 'silent' }) });
    await notify.start();
    const samples = Math.max(20, Math.round(200 * scale));
    for (const [suffix, ballast] of [['', 0], ['_ballast', BALLAST_MB]] as const) {
      const held = Array.from({ length: ballast }, () => Buffer.alloc(1 << 20, 1));
      const rss = process.memoryUsage().rss / 2 ** 20;
      note(`systemd_notify${suffix}: ${samples} notifications each way at ${rss.toFixed(0)} MB RSS (holding ${held.length} MB)`);
      emit({ bench: 'systemd_notify', metric: `rss${suffix}_mb`, value: rss, unit: 'MB', target: null, better: 'lower' });
      report(`sender${suffix}`, await throughSender(notify, peer, samples));
      if (baseline) report(`systemd_notify${suffix}`, await throughSystemdNotify(peer, samples));
    }
    await notify.stopping();
  } finally {
    for (const fn of teardowns) await fn();
  }
}

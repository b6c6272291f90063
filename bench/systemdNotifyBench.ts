/**
 * systemd_notify: what one notification costs the doors' event loop. Each WATCHDOG=1 runs
 * `systemd-notify` (src/app/systemdNotify.ts); the loop pays for the spawn (fork + exec of a
 * process as large as the daemon), not for the delivery, which happens in the child. Measured
 * through SystemdNotify.status() against a fake NOTIFY_SOCKET (test/support/notifySocketPeer.ts),
 * once as the bench process is and once with 300 MB of touched ballast, the RSS of a gateway
 * holding the largest synthetic site.
 */
import { pino } from 'pino';
import { SystemClock } from '../src/kernel/clock.js';
import { SystemdNotify } from '../src/app/systemdNotify.js';
import { notifySocketPeer, notifyToolsAvailable } from '../test/support/notifySocketPeer.js';
import { emit, note } from './report.js';
import { percentile } from './stats.js';

const BALLAST_MB = 300;

const sorted = (values: number[]) => Float64Array.from(values).sort();

/** a fresh notifier per sample: an idle one spawns inside status(), on the caller's loop turn */
async function measure(peer: Awaited<ReturnType<typeof notifySocketPeer>>, samples: number): Promise<{ loop: number[]; delivered: number[] }> {
  const loop: number[] = [];
  const delivered: number[] = [];
  for (let i = 0; i < samples; i++) {
    const notify = new SystemdNotify(peer.path, null, { clock: new SystemClock(), logger: pino({ level: 'silent' }) });
    const from = peer.messages.length;
    const t0 = performance.now();
    notify.status(`sample ${i}`);
    loop.push(performance.now() - t0);
    await peer.next((m) => m === `STATUS=sample ${i}`, { from });
    delivered.push(performance.now() - t0);
    await notify.stopping(); // its STOPPING=1 is not timed
  }
  return { loop, delivered };
}

export async function runSystemdNotifyBench(scale: number): Promise<void> {
  if (!notifyToolsAvailable()) return note('systemd_notify: skipped (needs perl and systemd-notify)');
  const teardowns: (() => unknown)[] = [];
  try {
    const peer = await notifySocketPeer({ teardown: (fn) => teardowns.push(fn) });
    const samples = Math.max(20, Math.round(200 * scale));
    for (const [label, ballast] of [['', 0], ['_ballast', BALLAST_MB]] as const) {
      const held = Array.from({ length: ballast }, () => Buffer.alloc(1 << 20, 1));
      const rss = process.memoryUsage().rss / 2 ** 20;
      const { loop, delivered } = await measure(peer, samples);
      note(`systemd_notify${label}: ${samples} notifications at ${rss.toFixed(0)} MB RSS (holding ${held.length} MB)`);
      emit({ bench: 'systemd_notify', metric: `rss${label}_mb`, value: rss, unit: 'MB', target: null, better: 'lower' });
      emit({ bench: 'systemd_notify', metric: `loop${label}_p50_ms`, value: percentile(sorted(loop), 50), unit: 'ms', target: null, better: 'lower' });
      emit({ bench: 'systemd_notify', metric: `loop${label}_p99_ms`, value: percentile(sorted(loop), 99), unit: 'ms', target: null, better: 'lower' });
      emit({ bench: 'systemd_notify', metric: `delivered${label}_p50_ms`, value: percentile(sorted(delivered), 50), unit: 'ms', target: null, better: 'lower' });
    }
  } finally {
    for (const fn of teardowns) await fn();
  }
}

/**
 * `relay_restart`: how long an LCUS relay board keeps a fail-secure strike released after the
 * daemon is killed with SIGKILL (kill -9; a power loss of the Pi behaves the same for the board),
 * on the systemd restart path: the real daemon (`tsx src/main.ts`) on a serial door, a card
 * granted so the strike is energised, kill -9, the unit's RestartSec (2 s, waited on the wall
 * clock here), the daemon started again, until the emulated board receives the channel's
 * de-energise frame (the restarted daemon's state reconciliation). Median of ≥ 3 runs.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { socatAvailable } from '../test/support/ptyPair.js';
import { relayRestartRig } from '../test/support/relayRestartRig.js';
import { emit, note } from './report.js';
import { median } from './stats.js';

/** systemd/lockgw.service RestartSec */
const RESTART_SEC_MS = 2_000;
const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;

export async function runRelayRestartBench(scale: number): Promise<void> {
  if (!socatAvailable()) {
    note('relay_restart: skipped, socat is not installed (apt-get install socat)');
    return;
  }
  const teardowns: (() => unknown)[] = [];
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  const runs = Math.max(3, Math.round(5 * scale));
  const killToRelock: number[] = [];
  const startToRelock: number[] = [];
  const startToReady: number[] = [];
  try {
    const rig = await relayRestartRig(owner);
    for (let run = 0; run < runs; run++) {
      const first = rig.start();
      await first.ready;
      await rig.grant();
      const killed = process.hrtime.bigint();
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      if (!rig.relays.energised(rig.channel)) throw new Error('relay_restart: the strike was not released after the kill; nothing to measure');
      await sleep(Math.max(0, RESTART_SEC_MS - ms(killed, process.hrtime.bigint())));
      const relocked = rig.nextFrame(false, 60_000);
      const spawned = process.hrtime.bigint();
      const second = rig.start();
      await relocked;
      const relockedAt = process.hrtime.bigint();
      await second.ready;
      const readyAt = process.hrtime.bigint();
      killToRelock.push(ms(killed, relockedAt));
      startToRelock.push(ms(spawned, relockedAt));
      startToReady.push(ms(spawned, readyAt));
      note(`relay_restart: run ${run + 1}/${runs}: kill → re-locked ${ms(killed, relockedAt).toFixed(0)} ms (restart delay ${RESTART_SEC_MS} ms, start → re-locked ${ms(spawned, relockedAt).toFixed(0)} ms, start → ready ${ms(spawned, readyAt).toFixed(0)} ms)`);
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
    emit({ bench: 'relay_restart', metric: 'kill_to_relock_ms', value: median(killToRelock), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'relay_restart', metric: 'kill_to_relock_max_ms', value: Math.max(...killToRelock), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'relay_restart', metric: 'start_to_relock_ms', value: median(startToRelock), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'relay_restart', metric: 'start_to_ready_ms', value: median(startToReady), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'relay_restart', metric: 'runs', value: runs, unit: 'count', target: null, better: 'higher' });
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

/**
 * `fire_release`: the fire input releases a real serial door while the database is corrupt. The
 * real daemon (`tsx src/main.ts`) on a serial door (Wiegand bridge and LCUS relay board emulated on
 * socat PTYs), its fire input on the bridge's port 2 aux terminal (supervised). The daemon runs
 * once to create its database, is stopped, the file's header is overwritten with garbage, and the
 * daemon starts again (safety-only mode). Then, timed on the wall clock:
 *  - start_to_ready_ms: spawn → the ready line, on the corrupt file;
 *  - release_ms: the bridge's `I 2 aux active` line written → the relay board receiving the
 *    strike's energise frame, over `cycles` fire on/off cycles (median and p99; target ≤ 1 s).
 * Baseline in the same run: the same cycles on the healthy database before the corruption.
 */
import { once } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { socatAvailable } from '../test/support/ptyPair.js';
import { relayRestartRig, type RestartRig } from '../test/support/relayRestartRig.js';
import { emit, note } from './report.js';
import { summarize } from './stats.js';

const FIRE_PORT = 2;
const TARGET_MS = 1_000;
const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;

async function cycles(rig: RestartRig, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const released = rig.nextFrame(true, 10_000);
    const at = process.hrtime.bigint();
    await rig.bridge.setInput(FIRE_PORT, 'aux', 'active');
    await released;
    times.push(ms(at, process.hrtime.bigint()));
    const relocked = rig.nextFrame(false, 10_000);
    await rig.bridge.setInput(FIRE_PORT, 'aux', 'normal');
    await relocked;
  }
  return times;
}

export async function runFireReleaseBench(scale: number): Promise<void> {
  if (!socatAvailable()) {
    note('fire_release: skipped, socat is not installed (apt-get install socat)');
    return;
  }
  const teardowns: (() => unknown)[] = [];
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  const count = Math.max(5, Math.round(50 * scale));
  try {
    const rig = await relayRestartRig(owner, { firePort: FIRE_PORT });
    await rig.bridge.sendHeartbeat();
    const healthy = rig.start();
    await healthy.ready;
    const baseline = await cycles(rig, count);
    healthy.child.kill('SIGTERM');
    await once(healthy.child, 'exit');

    const fd = openSync(join(rig.dataDir, 'lockgw.db'), 'r+');
    writeSync(fd, Buffer.alloc(100, 'garbage'), 0, 100, 0);
    closeSync(fd);
    const spawned = process.hrtime.bigint();
    const broken = rig.start();
    await broken.ready;
    const ready = ms(spawned, process.hrtime.bigint());
    if (!/safety-only|SAFETY-ONLY/i.test(broken.output())) throw new Error(`fire_release: the daemon did not report safety-only mode on the corrupt file: ${broken.output().slice(-2000)}`);
    const corrupt = await cycles(rig, count);
    broken.child.kill('SIGTERM');
    await once(broken.child, 'exit');

    const c = summarize(Float64Array.from(corrupt));
    const b = summarize(Float64Array.from(baseline));
    emit({ bench: 'fire_release', metric: 'corrupt_db_release_p50_ms', value: c.p50, unit: 'ms', target: TARGET_MS, better: 'lower' });
    emit({ bench: 'fire_release', metric: 'corrupt_db_release_p99_ms', value: c.p99, unit: 'ms', target: TARGET_MS, better: 'lower' });
    emit({ bench: 'fire_release', metric: 'healthy_db_release_p50_ms', value: b.p50, unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'fire_release', metric: 'healthy_db_release_p99_ms', value: b.p99, unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'fire_release', metric: 'corrupt_db_start_to_ready_ms', value: ready, unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'fire_release', metric: 'cycles', value: count, unit: 'count', target: null, better: 'higher' });
    note(`fire_release: corrupt database p50 ${c.p50.toFixed(2)} ms (healthy ${b.p50.toFixed(2)} ms, ratio ${(c.p50 / b.p50).toFixed(2)}), p99 ${c.p99.toFixed(2)} ms over ${count} cycles, ready ${ready.toFixed(0)} ms after spawn`);
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

/**
 * The gateway of the sync benchmarks, in its own process: the doors' event loop is measured in a
 * process that holds only the gateway (not the benchmark's million-record generator, whose heap
 * would lengthen every garbage collection). Driven over IPC by syncBench.ts:
 *
 *   {start}  start the gateway from a config and wait until the cloud link is connected
 *   {watch}  measure the event loop until the apply_ack of a snapshot id or a revision
 *   {drain}  fill the journal with N events while the link is stopped, start it, time the drain
 */
import { pino } from 'pino';
import { SystemClock } from '../src/kernel/clock.js';
import type { ApplyAck } from '../src/wire/messages.js';
import { parseConfig } from '../src/app/config/loadConfig.js';
import type { GatewayConfigInput } from '../src/app/config/configSchema.js';
import { Gateway } from '../src/app/gateway.js';
import { StallMonitor } from './stallMonitor.js';

export type GatewayCommand =
  | { start: GatewayConfigInput }
  | { watch: { snapshotId?: string; revision?: number } }
  | { drain: { events: number } }
  | { stop: true };

export type GatewayReply =
  | { ready: true }
  | { watching: true }
  | { applied: { ack: ApplyAck; seconds: number; runs: number; gaps: number[]; ends: number[]; fullGcMs: number; heapMb: number } }
  | { drained: { seconds: number; events: number } }
  | { stopped: true }
  | { error: string };

let gateway: Gateway | null = null;

/** LOCKGW_BENCH_STALLS=ms: each gap longer than that, with the CLOCK_MONOTONIC second it ended at (perf record -k CLOCK_MONOTONIC uses the same clock), on stderr */
function reportStalls(monitor: StallMonitor, overMs: number): void {
  const base = Number(monitor.startedMonotonicNs) / 1e9;
  process.stderr.write(`gateway pid ${process.pid} (its main thread's tid): gaps over ${overMs} ms\n`);
  for (let i = 0; i < monitor.gaps.length; i++) {
    if (monitor.gaps[i]! > overMs) process.stderr.write(`  ${monitor.gaps[i]!.toFixed(1)} ms ending at ${(base + monitor.ends[i]! / 1000).toFixed(6)}\n`);
  }
}
const send = (reply: GatewayReply) => process.send!(reply);

async function onCommand(command: GatewayCommand): Promise<void> {
  if ('start' in command) {
    const config = parseConfig(command.start);
    gateway = new Gateway(config, { clock: new SystemClock(), logger: pino({ level: process.env.LOCKGW_BENCH_LOG ?? 'silent' }, pino.destination(2)) });
    await gateway.start();
    const link = gateway.cloud!;
    if (link.status().connection?.state !== 'connected') await new Promise((resolve) => link.once('connected', resolve));
    send({ ready: true });
    return;
  }
  const g = gateway!;
  const link = g.cloud!;
  if ('watch' in command) {
    const gc = (globalThis as { gc?: () => void }).gc;
    let fullGcMs = Number.NaN;
    if (gc !== undefined) {
      const t = performance.now();
      gc();
      fullGcMs = performance.now() - t;
    }
    const heapMb = process.memoryUsage().heapUsed / 1e6;
    const { snapshotId, revision } = command.watch;
    const monitor = new StallMonitor();
    let runs = 0;
    const acked = new Promise<ApplyAck>((resolve, reject) => {
      const listener = (a: ApplyAck) => {
        if (a.duplicate) return;
        runs += 1;
        if ((snapshotId !== undefined && a.snapshotId === snapshotId) || (revision !== undefined && a.revision === revision)) {
          link.off('applied', listener);
          resolve(a);
        }
      };
      link.on('applied', listener);
      // a refused or failed change would never be acknowledged: say why at once
      link.on('security', (r) => reject(new Error(`the gateway refused a message: ${r.reason}: ${r.detail}`)));
      link.on('requested', (r) => {
        if (r.reason === 'apply_failed' || r.reason === 'hash_mismatch') reject(new Error(`the gateway could not apply: ${r.reason}: ${r.detail ?? ''}`));
      });
    });
    monitor.start();
    const t0 = performance.now();
    send({ watching: true });
    const ack = await acked;
    const seconds = (performance.now() - t0) / 1000;
    const { gaps, ends } = monitor.stop();
    if (process.env.LOCKGW_BENCH_STALLS !== undefined) reportStalls(monitor, Number(process.env.LOCKGW_BENCH_STALLS) || 15);
    send({ applied: { ack, seconds, runs, gaps, ends, fullGcMs, heapMb } });
    return;
  }
  if ('drain' in command) {
    const { events } = command.drain;
    await link.stop(); // fill the journal while nothing uploads
    const journal = g.journal;
    const at = Date.now();
    for (let i = 0; i < events; i++) {
      journal.append({ type: 'access', at: at + i, doorId: 'door-1', grant: i % 3 !== 0, reason: i % 3 !== 0 ? 'granted' : 'outside_schedule', personId: `p-${i % 5000}`, credentialId: `c-${i}`, data: { kind: 'card', revision: 1 } });
    }
    journal.flush();
    const drained = new Promise<void>((resolve) => link.on('acked', () => { if (journal.stats().count === 0) resolve(); }));
    const t = performance.now();
    await link.start();
    await drained;
    send({ drained: { seconds: (performance.now() - t) / 1000, events } });
    return;
  }
  if ('stop' in command) {
    await g.stop();
    send({ stopped: true });
  }
}

process.on('message', (command: GatewayCommand) => {
  onCommand(command).catch((err: unknown) => send({ error: (err as Error).stack ?? String(err) }));
});
process.on('disconnect', () => {
  void (gateway?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
});

/**
 * `decision`: decide() against the compiled index of the synthetic site. Each presentation is
 * built just before its call (as a reader driver would), then the call alone is timed with
 * process.hrtime.bigint() (the timer's own cost is reported as timer_overhead_ns). A second pass
 * times blocks of 1,000 calls without a timer around each, for the timer-free mean.
 *
 * With `trust` (the engine's offline lease and clock trust, bench/offlineTrustRig.ts) each timed
 * call is what AccessEngine.evaluate runs: trust.at(now) (a clock reading judged, the leases
 * checked) and decide() with its answer. The rig's clock moves 1 ms per call; decide() gets the
 * presentation's own instant.
 */
import type { AccessIndex } from '../src/access/accessIndex.js';
import { decide } from '../src/access/decide.js';
import { STANDALONE_TRUST, type DecisionTrust } from '../src/access/decisionTrust.js';
import type { Presentation, Verdict } from '../src/access/verdict.js';
import { presentation, type PresentationSet } from './presentations.js';
import { Registry } from 'prom-client';
import { JournalCounters } from '../src/app/metrics/journalCounters.js';
import { emit, note } from './report.js';
import { summarize, timerOverheadNs } from './stats.js';

export interface DecisionRun {
  /** per-call latency in ns, in presentation order */
  latencyNs: Float64Array;
  grants: Uint8Array;
  reasons: string[];
}

const gc = (globalThis as { gc?: () => void }).gc;
const BLOCK = 1_000;

/** What the engine asks before each decision (offlineTrust.ts); `startsAt` is its clock's first reading. */
export interface TrustInPath {
  trust: { at(now: number): DecisionTrust };
  startsAt: number;
}

const NO_TRUST: TrustInPath = { trust: { at: () => STANDALONE_TRUST }, startsAt: 0 };

/** What runs after each decision inside its timing: the metrics' decision counter (null: nothing). */
type AfterDecision = ((p: Presentation, v: Verdict, now: number, seq: number) => void) | null;

/**
 * Calls decide on `warmup` first (JIT), then times each call on `set` (with `after` inside the
 * timing). The trust's clock starts `clockFrom` ms after inPath.startsAt and moves 1 ms per call.
 */
export function timeDecisions(index: AccessIndex, set: PresentationSet, warmup: PresentationSet, inPath: TrustInPath = NO_TRUST, after: AfterDecision = null, clockFrom = 0): DecisionRun {
  const { trust } = inPath;
  let clock = inPath.startsAt + clockFrom;
  for (let i = 0; i < warmup.length; i++) {
    const p = presentation(warmup, i);
    const v = decide(index, p, warmup.at[i]!, trust.at(clock++));
    after?.(p, v, warmup.at[i]!, i);
  }
  gc?.();
  const n = set.length;
  const latencyNs = new Float64Array(n);
  const grants = new Uint8Array(n);
  const reasons: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = presentation(set, i);
    const now = set.at[i]!;
    const t0 = process.hrtime.bigint();
    const v: Verdict = decide(index, p, now, trust.at(clock++));
    if (after !== null) after(p, v, now, i);
    const t1 = process.hrtime.bigint();
    latencyNs[i] = Number(t1 - t0);
    grants[i] = v.grant ? 1 : 0;
    reasons[i] = v.reason;
  }
  return { latencyNs, grants, reasons };
}

/** Mean µs per call over blocks of BLOCK presentations built before each block is timed. */
function untimedMeanUs(index: AccessIndex, set: PresentationSet, inPath: TrustInPath): { meanUs: number; granted: number } {
  const { trust } = inPath;
  let clock = inPath.startsAt + 10_000_000;
  const block: Presentation[] = new Array(BLOCK);
  let totalNs = 0;
  let granted = 0;
  for (let from = 0; from < set.length; from += BLOCK) {
    const size = Math.min(BLOCK, set.length - from);
    for (let j = 0; j < size; j++) block[j] = presentation(set, from + j);
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < size; j++) if (decide(index, block[j], set.at[from + j]!, trust.at(clock++)).grant) granted++;
    totalNs += Number(process.hrtime.bigint() - t0);
  }
  return { meanUs: totalNs / set.length / 1000, granted };
}

/**
 * The decision counter of the metrics (src/app/metrics/journalCounters.ts) after every other
 * decide() (even calls): the journal entry the engine appends, handed to the counter as
 * Journal.append's watcher does. Odd calls only pay the hook's parity test. Interleaved in one
 * pass, both halves see the same trust state, lease progression and machine load. The entry is
 * built inside the timing, though the journal builds it with metrics off too.
 */
function countedByMetrics(): AfterDecision {
  const counters = new JournalCounters(new Registry());
  return (p, v, now, seq) => {
    if ((seq & 1) === 0) counters.count({ type: 'access', seq, at: now, doorId: p.doorId, grant: v.grant, reason: v.reason });
  };
}

/** The even (counted) and odd (not counted) calls' latencies, µs. */
function byParity(latencyNs: Float64Array): { counted: Float64Array; plain: Float64Array } {
  const counted = new Float64Array(Math.ceil(latencyNs.length / 2));
  const plain = new Float64Array(Math.floor(latencyNs.length / 2));
  for (let i = 0; i < latencyNs.length; i++) (i & 1 ? plain : counted)[i >> 1] = latencyNs[i]! / 1000;
  return { counted, plain };
}

export function runDecisionBench(index: AccessIndex, set: PresentationSet, warmup: PresentationSet, inPath: TrustInPath): DecisionRun {
  const n = set.length;
  note(`decision: ${n.toLocaleString('en-US')} presentations, ${warmup.length.toLocaleString('en-US')} warm-up calls, offline lease and clock trust in the path`);
  const run = timeDecisions(index, set, warmup, inPath);
  // the same presentations again, the trust's clock going on from where the first pass ended (a
  // clock going back would be distrusted), the metrics' decision counter on every other call
  gc?.();
  const halves = byParity(timeDecisions(index, set, warmup, inPath, countedByMetrics(), warmup.length + n).latencyNs);
  const counted = summarize(halves.counted);
  const plain = summarize(halves.plain);
  const us = summarize(Float64Array.from(run.latencyNs, (ns) => ns / 1000));
  const untimed = untimedMeanUs(index, set, inPath);
  const overhead = timerOverheadNs();

  let grants = 0;
  for (const g of run.grants) grants += g;
  const histogram = new Map<string, number>();
  for (const r of run.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  note(`decision: p50 ${us.p50.toFixed(3)} us, p90 ${us.p90.toFixed(3)}, p99 ${us.p99.toFixed(3)}, p99.9 ${us.p999.toFixed(3)}, max ${us.max.toFixed(1)}, mean ${us.mean.toFixed(3)} (untimed mean ${untimed.meanUs.toFixed(3)}; timer ${overhead} ns per call)`);
  note(`decision: interleaved pass, with the metrics' decision counter p50 ${counted.p50.toFixed(3)} us, p99 ${counted.p99.toFixed(3)}, p99.9 ${counted.p999.toFixed(3)}; without p50 ${plain.p50.toFixed(3)} us, p99 ${plain.p99.toFixed(3)}, p99.9 ${plain.p999.toFixed(3)}`);
  note(`decision: reasons ${[...histogram].sort((a, b) => b[1] - a[1]).map(([r, c]) => `${r} ${((100 * c) / n).toFixed(1)}%`).join(', ')}`);
  if (untimed.granted !== grants) note(`decision: WARNING the untimed pass granted ${untimed.granted}, the timed pass ${grants}`);

  const bench = 'decision';
  emit({ bench, metric: 'p50_us', value: us.p50, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'p99_us', value: us.p99, unit: 'us', target: 5, better: 'lower' });
  emit({ bench, metric: 'p999_us', value: us.p999, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'untimed_mean_us', value: untimed.meanUs, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'timer_overhead_ns', value: overhead, unit: 'ns', target: null, better: 'lower' });
  emit({ bench, metric: 'metrics_p50_us', value: counted.p50, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'metrics_p99_us', value: counted.p99, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'metrics_off_p50_us', value: plain.p50, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'metrics_off_p99_us', value: plain.p99, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'grant_ratio', value: grants / n, unit: 'ratio', target: null, better: 'higher' });
  return run;
}

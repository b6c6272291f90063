/**
 * `decision_sql`: the same presentations (a deterministic, evenly spaced subsample) answered by
 * the SQL baseline, with decide()'s verdict and latency for the very same presentations beside
 * it: agreement on grant/deny for every one, and the speed-up of decide over the baseline.
 */
import type { AccessIndex } from '../src/access/accessIndex.js';
import { decide } from '../src/access/decide.js';
import type { Db } from '../src/store/database.js';
import { timeDecisions, type DecisionRun } from './decisionBench.js';
import { presentation, subsample, type PresentationSet } from './presentations.js';
import { emit, note } from './report.js';
import { SqlDecider, type SqlVerdict } from './sqlBaseline.js';
import { summarize } from './stats.js';

/**
 * `decided`: decide()'s run over the full set from the decision bench, when it ran; otherwise
 * decide is timed here on the subsample.
 */
export function runDecisionSqlBench(db: Db, index: AccessIndex, full: PresentationSet, warmup: PresentationSet, count: number, decided: DecisionRun | null): void {
  const { set, picked } = subsample(full, count);
  const n = set.length;
  note(`decision_sql: ${n.toLocaleString('en-US')} presentations (every ${(full.length / n).toFixed(1)}th of ${full.length.toLocaleString('en-US')})`);

  let decideNs: Float64Array;
  let decideGrant: Uint8Array;
  let decideReason: string[];
  if (decided) {
    decideNs = Float64Array.from(picked, (i) => decided.latencyNs[i]!);
    decideGrant = Uint8Array.from(picked, (i) => decided.grants[i]!);
    decideReason = Array.from(picked, (i) => decided.reasons[i]!);
  } else {
    const run = timeDecisions(index, set, warmup);
    decideNs = run.latencyNs;
    decideGrant = run.grants;
    decideReason = run.reasons;
  }

  const sql = new SqlDecider(db);
  const warm = Math.min(warmup.length, Math.max(1_000, Math.floor(n / 20)));
  for (let i = 0; i < warm; i++) sql.decide(presentation(warmup, i), warmup.at[i]!);
  const sqlNs = new Float64Array(n);
  const verdicts: SqlVerdict[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = presentation(set, i);
    const t0 = process.hrtime.bigint();
    const v = sql.decide(p, set.at[i]!);
    const t1 = process.hrtime.bigint();
    sqlNs[i] = Number(t1 - t0);
    verdicts[i] = v;
  }

  let agree = 0;
  let sameReason = 0;
  const disagreements: number[] = [];
  for (let i = 0; i < n; i++) {
    if ((decideGrant[i] === 1) === verdicts[i]!.grant) agree++;
    else disagreements.push(i);
    if (decideReason[i] === verdicts[i]!.reason) sameReason++;
  }
  for (const i of disagreements.slice(0, 10)) {
    const p = presentation(set, i);
    const again = decide(index, p, set.at[i]!);
    note(`decision_sql: DISAGREE #${picked[i]} at ${new Date(set.at[i]!).toISOString()} ${p.kind} ${p.value.slice(0, 20)} door ${p.doorId}: decide ${again.grant ? 'grant' : 'deny'} (${again.reason}, key ${again.keyId}, person ${again.personId}), sql ${verdicts[i]!.grant ? 'grant' : 'deny'} (${verdicts[i]!.reason})`);
  }
  note(`decision_sql: grant/deny agree on ${agree}/${n}; the reasons agree on ${sameReason}/${n} (the baseline names reasons more coarsely: no 'holiday', fewer 'door_not_in_key')`);

  const s = summarize(Float64Array.from(sqlNs, (ns) => ns / 1000));
  const d = summarize(Float64Array.from(decideNs, (ns) => ns / 1000));
  note(`decision_sql: sql p50 ${s.p50.toFixed(2)} us, p99 ${s.p99.toFixed(2)}, p99.9 ${s.p999.toFixed(2)}, max ${s.max.toFixed(0)}; decide on the same presentations p50 ${d.p50.toFixed(3)} us, p99 ${d.p99.toFixed(3)}`);
  for (const [label, want] of [['granted', 1], ['denied', 0]] as const) {
    const pick = (ns: Float64Array) => Float64Array.from(ns.filter((_, i) => decideGrant[i] === want), (v) => v / 1000);
    const sg = summarize(pick(sqlNs));
    const dg = summarize(pick(decideNs));
    note(`decision_sql: ${label} (${sg.count}): sql p50 ${sg.p50.toFixed(2)} us, p99 ${sg.p99.toFixed(2)}; decide p50 ${dg.p50.toFixed(3)} us, p99 ${dg.p99.toFixed(3)}; speed-up at p50 ${(sg.p50 / dg.p50).toFixed(1)}x`);
  }
  const bench = 'decision_sql';
  emit({ bench, metric: 'p50_us', value: s.p50, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'p99_us', value: s.p99, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'agreement', value: agree / n, unit: 'ratio', target: 1, better: 'higher' }, 6);
  emit({ bench, metric: 'speedup_vs_sql', value: s.p50 / d.p50, unit: 'x', target: 50, better: 'higher' });
  emit({ bench, metric: 'speedup_vs_sql_p99', value: s.p99 / d.p99, unit: 'x', target: null, better: 'higher' });
}

/**
 * `journal` (history part): the local access history at 1,000,000 × scale events. The events
 * are journaled and acknowledged as the uploader does (1,000 per ack); the upkeep's ticks fill
 * the door and person lookups (each tick timed: one transaction of UPKEEP_BATCH rows, what the
 * upkeep holds the doors' event loop for); then the bytes each event costs on disk (table,
 * indexes, lookups), the time of the CLI's queries (time alone, door and time, person, kind,
 * door + person + verdict), and the time of one prune tick once the whole history expired.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { ManualClock } from '../src/kernel/clock.js';
import { openDatabase } from '../src/store/database.js';
import { Journal } from '../src/journal/journal.js';
import type { JournalQuery } from '../src/journal/journalQuery.js';
import { UPKEEP_BATCH } from '../src/journal/historyUpkeep.js';
import { makeEvents } from './journalBench.js';
import { Prng } from './prng.js';
import { emit, note, secondsSince } from './report.js';
import { summarize } from './stats.js';
import { doorId, personId } from './syntheticSite.js';

const DAY = 86_400_000;
const QUERIES_PER_SHAPE = 20;

export async function runJournalHistoryBench(dir: string, scale: number): Promise<void> {
  const count = Math.max(20_000, Math.round(1_000_000 * scale));
  const events = makeEvents(count, 0x5eed_0004);
  const last = events[count - 1]!.at;
  const clock = new ManualClock(last);
  const db = openDatabase(join(dir, 'history.sqlite'));
  const journal = new Journal(db, {
    maxEvents: 1_000_000, clock, logger: pino({ level: 'silent' }), history: { retentionMs: 30 * DAY, maxEvents: 2 * count },
  });
  await journal.start();
  note(`journal history: journaling and acknowledging ${count.toLocaleString('en-US')} events`);
  const fill = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    journal.append(events[i]!);
    if ((i + 1) % 1000 === 0) journal.acknowledge(i + 1);
  }
  journal.flush();
  note(`journal history: filled in ${secondsSince(fill).toFixed(1)} s; ${journal.stats().history} history rows, ${journal.stats().count} queued`);
  const tickMs = (): number => {
    const t0 = process.hrtime.bigint();
    clock.advance(clock.pending()[0] ?? 0);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  // the lookups, as the upkeep fills them behind the appends: every tick timed
  const lookupMs: number[] = [];
  const looking = process.hrtime.bigint();
  while (journal.stats().lookupPending > 0) lookupMs.push(tickMs());
  const l = summarize(Float64Array.from(lookupMs));
  note(`journal history: ${lookupMs.length} lookup ticks in ${secondsSince(looking).toFixed(1)} s: p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(2)} ms`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);

  const rng = new Prng(0x5eed_0005);
  const shapes: Array<[string, () => JournalQuery]> = [
    ['last 2 h', () => ({ since: last - 2 * 3_600_000, limit: 50 })],
    ['door, last 7 days', () => ({ doorId: doorId(rng.int(0, 499)), since: last - 7 * DAY, limit: 50 })],
    ['person', () => ({ personId: personId(rng.int(0, 199_999)), limit: 50 })],
    ['alarms', () => ({ kind: 'alarm', limit: 50 })],
    ['door + person + denied', () => ({ doorId: doorId(rng.int(0, 499)), personId: personId(rng.int(0, 199_999)), kind: 'denied', limit: 50 })],
  ];
  const all: number[] = [];
  for (const [name, make] of shapes) {
    const ms: number[] = [];
    let rows = 0;
    for (let i = 0; i < QUERIES_PER_SHAPE; i++) {
      const q = make();
      const t0 = process.hrtime.bigint();
      rows += journal.query(q).length;
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const s = summarize(Float64Array.from(ms));
    all.push(...ms);
    note(`journal history: query ${name}: p50 ${s.p50.toFixed(2)} ms, max ${s.max.toFixed(2)} ms, ${(rows / QUERIES_PER_SHAPE).toFixed(1)} rows per answer`);
  }
  const q = summarize(Float64Array.from(all));

  // everything expires; each timer tick prunes one batch
  clock.set(last + 31 * DAY);
  const pruneMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const before = journal.stats().pruned;
    const elapsed = tickMs();
    if (journal.stats().pruned > before) pruneMs.push(elapsed);
  }
  const p = summarize(Float64Array.from(pruneMs));
  note(`journal history: ${pruneMs.length} prune ticks of ${UPKEEP_BATCH} rows: p50 ${p.p50.toFixed(2)} ms, max ${p.max.toFixed(2)} ms`);
  await journal.stop();
  db.close();

  const bench = 'journal';
  emit({ bench, metric: 'bytes_per_event', value: bytes / count, unit: 'bytes', target: null, better: 'lower' });
  emit({ bench, metric: 'history_query_p50_ms', value: q.p50, unit: 'ms', target: null, better: 'lower' });
  emit({ bench, metric: 'history_query_max_ms', value: q.max, unit: 'ms', target: 50, better: 'lower' });
  emit({ bench, metric: 'lookup_tick_p99_ms', value: l.p99, unit: 'ms', target: null, better: 'lower' });
  emit({ bench, metric: 'lookup_tick_max_ms', value: l.max, unit: 'ms', target: 20, better: 'lower' });
  emit({ bench, metric: 'prune_tick_p99_ms', value: p.p99, unit: 'ms', target: null, better: 'lower' });
  emit({ bench, metric: 'prune_tick_max_ms', value: p.max, unit: 'ms', target: 20, better: 'lower' });
}

/**
 * `journal`: Journal.append throughput with the shipped durability (batches of 512 in one
 * transaction, synchronous=NORMAL, a synchronous=FULL commit at least every second), and per-call
 * append latency (append flushes synchronously when a batch fills, so some calls wait for SQLite).
 * Same-run baseline: one autocommitted INSERT per event with synchronous=FULL.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { SystemClock } from '../src/kernel/clock.js';
import { openDatabase } from '../src/store/database.js';
import { Journal, type JournalEvent } from '../src/journal/journal.js';
import { Prng } from './prng.js';
import { emit, note, secondsSince } from './report.js';
import { summarize } from './stats.js';
import { credentialId, doorId, keyId, personId, YEAR_START } from './syntheticSite.js';

const REASONS_DENY = ['unknown_credential', 'outside_schedule', 'door_not_in_key', 'expired', 'credential_suspended'];

/** Access events as the gateway journals them: a decision with its ids, now and then an alarm. */
export function makeEvents(count: number, seed: number): JournalEvent[] {
  const rng = new Prng(seed);
  const events: JournalEvent[] = new Array(count);
  let at = YEAR_START;
  for (let i = 0; i < count; i++) {
    at += rng.int(1, 2_000);
    const door = doorId(rng.int(0, 499));
    if (rng.chance(0.002)) {
      events[i] = { type: 'alarm', at, doorId: door, reason: 'door_forced', data: { input: 'contact', openMs: rng.int(500, 60_000) } };
      continue;
    }
    const grant = rng.chance(0.75);
    const kind = rng.pick(['card', 'pin', 'mobile']);
    events[i] = grant
      ? {
          type: 'access', at, doorId: door, grant, reason: 'granted',
          personId: personId(rng.int(0, 199_999)), credentialId: credentialId(rng.int(0, 999_999)), keyId: keyId(rng.int(0, 4_999)),
          data: { kind, revision: 42 },
        }
      : {
          type: 'access', at, doorId: door, grant, reason: rng.pick(REASONS_DENY),
          ...(rng.chance(0.5) ? { personId: personId(rng.int(0, 199_999)), credentialId: credentialId(rng.int(0, 999_999)) } : {}),
          data: { kind, revision: 42 },
        };
  }
  return events;
}

export async function runJournalBench(dir: string, scale: number): Promise<void> {
  const count = Math.max(10_000, Math.round(200_000 * scale));
  const events = makeEvents(count, 0x5eed_0003);
  const db = openDatabase(join(dir, 'journal.sqlite'));
  const journal = new Journal(db, {
    maxEvents: 1_000_000, batchSize: 512, durableIntervalMs: 1000, clock: new SystemClock(), logger: pino({ level: 'silent' }),
  });
  await journal.start();
  note(`journal: appending ${count.toLocaleString('en-US')} events (batchSize 512, durableIntervalMs 1000, capacity 1,000,000)`);
  const latencyNs = new Float64Array(count);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    journal.append(events[i]!);
    latencyNs[i] = Number(process.hrtime.bigint() - t0);
  }
  journal.flush();
  const stats = journal.stats();
  await journal.stop(); // the final synchronous=FULL commit: every event is on disk
  const seconds = secondsSince(start);
  db.close();
  if (stats.count !== count || stats.pending !== 0 || stats.lastError !== null) {
    note(`journal: WARNING stored ${stats.count}, pending ${stats.pending}, error ${stats.lastError?.code ?? 'none'}`);
  }
  const us = summarize(Float64Array.from(latencyNs, (ns) => ns / 1000));
  const perSecond = count / seconds;
  note(`journal: ${perSecond.toFixed(0)} events/s over ${seconds.toFixed(2)} s (appends, flush and stop), ${stats.commits} commits before stop (${stats.durableCommits} with synchronous=FULL, stop adds one); append p50 ${us.p50.toFixed(2)} us, p99 ${us.p99.toFixed(2)}, p99.9 ${us.p999.toFixed(0)}, max ${(us.max / 1000).toFixed(2)} ms`);

  // baseline: one INSERT per event, each its own synchronous=FULL commit
  const naiveCount = 5_000;
  const naiveDb = openDatabase(join(dir, 'naive.sqlite'));
  naiveDb.pragma('synchronous = FULL');
  const insert = naiveDb.prepare('INSERT INTO journal (seq, at, type, door_id, "grant", reason, person_id, credential_id, key_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const n0 = process.hrtime.bigint();
  for (let i = 0; i < naiveCount; i++) {
    const e = events[i]!;
    insert.run(i + 1, e.at, e.type, e.doorId ?? null, e.grant === undefined ? null : e.grant ? 1 : 0, e.reason ?? null, e.personId ?? null, e.credentialId ?? null, e.keyId ?? null, e.data ? JSON.stringify(e.data) : null);
  }
  const naivePerSecond = naiveCount / secondsSince(n0);
  naiveDb.close();
  note(`journal: naive one-INSERT-per-event synchronous=FULL: ${naivePerSecond.toFixed(0)} events/s over ${naiveCount} events`);

  const bench = 'journal';
  emit({ bench, metric: 'append_per_s', value: perSecond, unit: 'events/s', target: 50_000, better: 'higher' });
  emit({ bench, metric: 'append_p99_us', value: us.p99, unit: 'us', target: null, better: 'lower' });
  emit({ bench, metric: 'append_max_ms', value: us.max / 1000, unit: 'ms', target: null, better: 'lower' });
  emit({ bench, metric: 'naive_full_per_s', value: naivePerSecond, unit: 'events/s', target: null, better: 'higher' });
  emit({ bench, metric: 'speedup_vs_naive', value: perSecond / naivePerSecond, unit: 'x', target: null, better: 'higher' });
}

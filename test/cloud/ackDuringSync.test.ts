/**
 * An events_ack that arrives while a snapshot is being applied by the rules worker (which holds the
 * database: the doors' connection cannot delete rows then) is taken at once: the next batch goes
 * out without waiting for the ack timeout, acknowledged events are never sent again, and the rows
 * are deleted as soon as the change is done. A real gateway (SQLite, rules worker), a fake cloud,
 * a real Mosquitto. The worker is kept inside its apply deterministically: the test holds the
 * database's write lock from its own connection (as a long transaction would) until the ack was
 * handled.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import type { ApplyAck, EventBatch } from '../../src/wire/messages.js';
import { cloudGateway, GW, seqsOf, until } from '../support/cloudHarness.js';
import { CloudState } from '../support/cloudState.js';
import { smallSite } from '../support/storeFixture.js';
import { testBrokerSupport } from '../support/mosquitto.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;
const ACK_TIMEOUT = 30_000;

t.test('an events_ack during a snapshot apply is taken at once: no redelivery, no stall, rows deleted after the apply', { skip, timeout: 30_000 }, async (t) => {
  const { f, cloud, link, startup } = await cloudGateway(t, { upload: { batchSize: 5, maxEventsPerSecond: 1_000_000, ackTimeoutMs: ACK_TIMEOUT } }, 'manual');
  await startup;
  const journal = f.gateway.journal;
  const sent = cloud.batches[0] === undefined ? until<EventBatch>(cloud.emitter, 'batch') : Promise.resolve(cloud.batches[0]);
  for (let i = 0; i < 12; i++) journal.append({ type: 'access', at: f.clock.now(), doorId: 'lobby', grant: true, reason: 'granted', personId: `p-${i}` });
  journal.read(0, 1); // durable now, before the lock is taken
  f.clock.advance(1000); // the uploader looks at the journal every pollMs
  const firstBatch = await sent;
  const inFlight = firstBatch.events.at(-1)!.seq;
  f.clock.advance(1000); // past the upload rate's wait; well inside the ack timeout

  const lock = new Database(join(f.dataDir, 'lockgw.db'));
  t.teardown(() => { if (lock.open) lock.close(); });
  lock.exec('BEGIN IMMEDIATE');
  const state = new CloudState(t);
  state.change(smallSite());
  const applied = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.snapshotId === 'snap-1');
  for (const chunk of state.snapshot('snap-1')) await cloud.send('snapshot', chunk);
  await cloud.ack(journal.id, inFlight);
  // messages are handled in order: once this forged one is reported, the ack before it was handled
  const barrier = until(link, 'security');
  await cloud.publishRaw(`lockgw/${GW}/down/heartbeat`, 'not a token');
  await barrier;

  t.match(link.status().upload, { ackedSeq: inFlight, pendingDeleteUpto: inFlight, inFlight: { fromSeq: inFlight + 1 }, resends: 0 },
    'the ack is taken and the next batch is on its way while the worker holds the database');
  t.equal(journal.stats().firstSeq, firstBatch.events[0]!.seq, 'the acknowledged rows are still there: the database is busy');
  const next = cloud.batches.find((b) => b.events[0]!.seq === inFlight + 1) ?? await until<EventBatch>(cloud.emitter, 'batch', (b) => b.events[0]!.seq === inFlight + 1);
  t.equal(next.events.length, 5);

  const deleted = until<{ uptoSeq: number }>(link, 'acked', (a) => a.uptoSeq === inFlight);
  lock.exec('ROLLBACK');
  lock.close();
  t.match(await applied, { revision: 1, hash: state.hash(), duplicate: false }, 'the snapshot applies once the lock is free');
  await deleted;
  t.equal(journal.stats().firstSeq, inFlight + 1, 'the acknowledged rows are deleted right after the apply');
  t.equal(link.status().upload?.pendingDeleteUpto, null);

  // the rest drains on acks alone (the clock moves 1 ms per batch for the upload rate, never
  // near the ack timeout), the forged heartbeat's security event included, each event once
  cloud.mode = 'auto';
  await cloud.ack(journal.id, next.events.at(-1)!.seq);
  for (let batch = next; !batch.events.some((e) => e.type === 'security');) {
    const after = batch.events.at(-1)!.seq;
    const following = until<EventBatch>(cloud.emitter, 'batch', (b) => b.events[0]!.seq > after);
    f.clock.advance(1);
    batch = await following;
  }
  const seqs = seqsOf(cloud.batches);
  t.equal(new Set(seqs).size, seqs.length, 'no event was sent twice');
  t.equal(link.status().upload?.resends, 0);
});

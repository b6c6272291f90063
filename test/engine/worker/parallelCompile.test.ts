/**
 * A staged snapshot's index compiled on a second thread from the scratch file, during the copy:
 * the same index as compiling the live store afterwards (runtime state included), and a thread
 * that fails or never starts costs only the time it was given — the index is then compiled as before.
 */
import t, { type Test } from 'tap';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { AccessIndex } from '../../../src/access/accessIndex.js';
import { compileIndex } from '../../../src/access/compileIndex.js';
import { IndexCompileThread } from '../../../src/engine/worker/parallelCompile.js';
import { applyStagedSnapshot } from '../../../src/engine/rulesChange.js';
import { RulesWorker } from '../../../src/engine/worker/rulesWorker.js';
import { SnapshotStaging } from '../../../src/engine/worker/snapshotStaging.js';
import { StagedChunks } from '../../../src/engine/worker/stagedChunks.js';
import { CloudState } from '../../support/cloudState.js';
import { cardHolders, hashPin, oneTimePin, smallSite, storeFixture, TEST_SECRET } from '../../support/storeFixture.js';

const fixture = (name: string) => ({ besideUrl: new URL(`../../support/${name}.ts`, import.meta.url).href, name });

/** A live store with runtime state (a used one-time PIN, a lockdown) and a staged snapshot that keeps both. */
function staged(t: Test) {
  const live = storeFixture(t);
  const once = oneTimePin(2);
  live.apply([...smallSite(), ...once]);
  live.store.recordUse('once-pin');
  live.store.setLockdown('lobby', true);
  const cloud = new CloudState(t);
  cloud.change([...smallSite(), ...cardHolders(0, 80), ...once]);
  const snapshot = cloud.snapshot('s1', 50);
  const staging = new SnapshotStaging(`${live.path}-staging`, hashPin);
  t.teardown(() => staging.discard());
  const chunks = new StagedChunks();
  staging.begin('s1');
  snapshot.forEach((c, i) => chunks.put('s1', i, c.operations));
  const path = staging.complete(chunks, snapshot.length);
  return { live, cloud, path, change: { replace: true, revision: cloud.version, hash: cloud.hash() } };
}

/** What decides: everything but the zone clock object. */
const comparable = (index: AccessIndex) => {
  const { zone, ...rest } = index;
  void zone;
  return JSON.parse(JSON.stringify(rest, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v instanceof Map ? [...v] : v))) as unknown;
};

t.test('the compile thread\'s index equals the live store\'s, runtime state included', async (t) => {
  const { live, cloud, path, change } = staged(t);
  const fallbacks: string[] = [];
  const index = applyStagedSnapshot(live.store, path, change, { compileThread: new IndexCompileThread(path), onCompileFallback: (r) => fallbacks.push(r) });
  t.same(fallbacks, [], 'the thread\'s index was used');
  t.equal(index.hash, cloud.hash());
  t.equal(index.revision, cloud.version);
  const afterwards = live.store.snapshot(compileIndex);
  t.same(comparable(index), comparable(afterwards), 'the same index as compiling the committed store');
  t.equal(index.doorLocked[index.doorIndex.get('lobby')!], 1, 'the lockdown is in it');
  t.equal(Math.max(...index.extraUses), 1, 'and the use count of the one-time PIN');
});

t.test('a compile thread that fails, or never starts, is replaced by the compile here: the snapshot applies', async (t) => {
  const cases = [
    { module: 'compileThreadFails', startLimitMs: 30_000, reason: 'the compile thread failed: the scratch file is unreadable' },
    { module: 'compileThreadNeverStarts', startLimitMs: 100, reason: 'the compile thread did not start within 100 ms' },
  ];
  for (const { module, startLimitMs, reason } of cases) {
    const { live, cloud, path, change } = staged(t);
    const fallbacks: string[] = [];
    const thread = new IndexCompileThread(path, { startLimitMs, replyLimitMs: 30_000 }, fixture(module));
    const index = applyStagedSnapshot(live.store, path, change, { compileThread: thread, onCompileFallback: (r) => fallbacks.push(r) });
    t.same(fallbacks, [reason], module);
    t.equal(index.hash, cloud.hash());
    t.same(comparable(index), comparable(live.store.snapshot(compileIndex)), 'the index compiled here is the whole one');
  }
});

t.test('take() before start() is refused', async (t) => {
  t.throws(() => new IndexCompileThread('/nowhere').take(), { code: 'WORKER_FAILED', message: 'the compile thread was not started' });
});

t.test('the rules worker compiles a large staged snapshot on the compile thread', async (t) => {
  const live = storeFixture(t);
  live.close();
  const lines: Array<{ msg: string; compile?: string }> = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, done) => { lines.push(JSON.parse(chunk.toString())); done(); } }));
  const worker = new RulesWorker({ dbPath: live.path, secret: TEST_SECRET, logger, parallelCompileFrom: 100 });
  t.teardown(() => worker.stop());
  const cloud = new CloudState(t);
  cloud.change([...smallSite(), ...cardHolders(0, 60)]);
  const snapshot = cloud.snapshot('s1', 40);
  snapshot.forEach((c, i) => worker.stageChunk('s1', i, c.operations));
  const index = await worker.apply({ operations: [], staged: { snapshotId: 's1', chunkCount: snapshot.length }, replace: true, revision: cloud.version, hash: cloud.hash() });
  t.equal(index.hash, cloud.hash());
  t.equal(index.counts.credentials, 60);
  t.match(lines.find((l) => l.msg === 'the rules worker applied a change'), { compile: /^compile thread, waited for \d+ ms after the copy$/ });
});

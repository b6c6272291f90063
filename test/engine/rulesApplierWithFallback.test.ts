/**
 * The rules worker when it starts, the doors' thread when it does not: the gateway keeps running
 * and says why, once.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { RulesApplier } from '../../src/engine/rulesApplier.js';
import { RulesApplierWithFallback } from '../../src/engine/rulesApplierWithFallback.js';
import type { RulesChange } from '../../src/wire/rulesChange.js';

/** A strategy that records what it was asked; `failStart` makes its start reject. */
function recording(name: string, log: string[], failStart = false): RulesApplier {
  return {
    name,
    start: async () => {
      log.push(`${name} start`);
      if (failStart) throw new Error(`${name}: no worker threads here`);
    },
    stop: async () => void log.push(`${name} stop`),
    apply: (change) => {
      log.push(`${name} apply ${change.revision}`);
      return { revision: change.revision, hash: change.hash };
    },
    stageChunk: (snapshotId, chunkIndex) => void log.push(`${name} stage ${snapshotId}#${chunkIndex}`),
    dropChunks: (snapshotId) => void log.push(`${name} drop ${snapshotId}`),
    chunkDecoder: () => null,
  };
}

const change: RulesChange = { operations: [], replace: false, revision: 7, hash: 'a'.repeat(64) };

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
  return { lines, logger };
}

t.test('a worker that starts applies every change; the fallback is never started', async (t) => {
  const log: string[] = [];
  const { lines, logger } = capture();
  const rules = new RulesApplierWithFallback(recording('worker', log), recording('main', log), logger);
  await rules.start();
  await rules.apply(change);
  rules.stageChunk('s1', 0, []);
  rules.dropChunks('s1');
  await rules.stop();
  t.same(log, ['worker start', 'worker apply 7', 'worker stage s1#0', 'worker drop s1', 'worker stop']);
  t.equal(lines.filter((l) => l.level >= 50).length, 0, 'nothing logged as an error');
});

t.test('a worker that cannot start: the doors\' thread applies, an error says why, and stop ends both', async (t) => {
  const log: string[] = [];
  const { lines, logger } = capture();
  const rules = new RulesApplierWithFallback(recording('worker', log, true), recording('main', log), logger);
  await rules.start();
  t.same(await rules.apply(change), { revision: 7, hash: change.hash });
  rules.stageChunk('s2', 3, []);
  await rules.stop();
  t.same(log, ['worker start', 'main start', 'main apply 7', 'main stage s2#3', 'worker stop', 'main stop']);
  const errors = lines.filter((l) => l.level >= 50);
  t.equal(errors.length, 1);
  t.match(errors[0]!.msg, /the worker did not start: cloud changes are applied on the main thread/);
});

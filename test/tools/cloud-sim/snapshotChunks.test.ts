import t from 'tap';
import { ENTITIES, type UpsertOp } from '../../../src/access/batchOpSchema.js';
import { signCloudMessage } from '../../../src/wire/cloudMessageCodec.js';
import { generateSigningKeyPair } from '../../../src/wire/keys.js';
import { orderGuests, orderPeople, siteUpserts } from '../../../src/access/site/dependencyOrder.js';
import { chunkOperations, operationBytes, operationsBudget, planChunks, splitByPlan, validateLimits } from '../../../tools/cloud-sim/snapshotChunks.js';
import { emptySiteRecords } from '../../../src/access/site/siteRecords.js';
import type { Person } from '../../../src/access/model.js';

const key = generateSigningKeyPair('k'.repeat(128));
const person = (id: string, hostId?: string): Person => ({ id, name: id, status: 'active', kind: hostId ? 'guest' : 'resident', extendedUnlock: false, ...(hostId ? { hostId } : {}) });

/** A site with every entity, in the wrong order on purpose, and guests listed before their hosts. */
function unorderedSite() {
  const r = emptySiteRecords();
  r.credentials = Array.from({ length: 400 }, (_, i) => ({ id: `c-${i}`, personId: `p-${i % 50}`, kind: 'card' as const, card: `26:1:${i + 1}`, status: 'active' as const, duress: false, label: 'x'.repeat(i % 7 === 0 ? 190 : 3) }));
  r.holdings = Array.from({ length: 50 }, (_, i) => ({ personId: `p-${i}`, keyId: 'k' }));
  r.people = [person('p-0', 'p-1'), person('p-1', 'p-2'), ...Array.from({ length: 48 }, (_, i) => person(`p-${i + 2}`))];
  r.keys = [{ id: 'k', name: 'K', mayShare: true, system: false, doors: [{ doorId: 'd', scheduleIds: ['s'] }] }];
  r.schedules = [{ id: 's', name: 'S', intervals: [{ days: ['mon'], holidayTypes: [], start: '08:00', end: '09:00' }] }];
  r.holidays = [{ date: '2026-12-25', type: 1, name: 'X' }];
  r.doors = [{ id: 'd', name: 'D', place: '', cardAndPin: false }];
  r.site = { id: 's', name: 'S', timeZone: 'UTC' };
  return r;
}

t.test('operations come in dependency order: site, doors, holidays, schedules, keys, people (hosts first), holdings, credentials', async (t) => {
  const ops = [...siteUpserts(unorderedSite())];
  const ranks = ops.map((o) => ENTITIES.indexOf(o.entity));
  t.same(ranks, [...ranks].sort((a, b) => a - b));
  const people = ops.filter((o): o is Extract<UpsertOp, { entity: 'person' }> => o.entity === 'person').map((o) => o.record.id);
  t.ok(people.indexOf('p-2') < people.indexOf('p-1') && people.indexOf('p-1') < people.indexOf('p-0'), 'a host chain is placed top-down');
  t.same(orderGuests([person('a', 'b'), person('b', 'a')]).cycle, ['a', 'b'], 'a cycle is reported');
  t.equal(orderPeople([person('g', 'h'), person('h')]).cycle, null);
});

t.test('chunks hold at most N operations and sign to at most the byte limit; every operation exactly once, in order', async (t) => {
  const ops = [...siteUpserts(unorderedSite())];
  for (const limits of [{ maxOps: 7, maxBytes: 1024 * 1024 }, { maxOps: 5000, maxBytes: 8 * 1024 }, { maxOps: 1, maxBytes: 4096 }]) {
    const chunks = chunkOperations(ops, limits);
    t.same(chunks.flat(), ops, `${chunks.length} chunks for ${JSON.stringify(limits)}: all operations, once, in order`);
    t.ok(chunks.every((c) => c.length >= 1 && c.length <= limits.maxOps));
    let largest = 0;
    for (const [i, operations] of chunks.entries()) {
      const token = signCloudMessage('snapshot', {
        version: Number.MAX_SAFE_INTEGER, snapshotId: 's'.repeat(128), chunkIndex: i, chunkCount: chunks.length, hash: 'f'.repeat(64), operations, transaction: 't'.repeat(128),
      }, { kid: key.kid, privateKey: key.privateKey, issuer: 'i'.repeat(256), audience: 'g'.repeat(128), now: 8.6e15, ttlMs: 1, jti: 'j'.repeat(128) });
      if (token.length > limits.maxBytes) t.fail(`chunk ${i} signs to ${token.length} bytes, over ${limits.maxBytes}`);
      largest = Math.max(largest, token.length);
    }
    if (limits.maxOps === 5000) {
      t.ok(chunks.length > 1, 'the byte limit, not the count, cut them');
      t.ok(largest > limits.maxBytes * 0.85, `chunks are filled: the largest signs to ${largest} of ${limits.maxBytes} bytes`);
    }
  }
});

t.test('an empty state is one empty chunk; an operation over the budget gets a chunk of its own', async (t) => {
  t.same(planChunks([], { maxOps: 10, maxBytes: 4096 }), { counts: [0], operations: 0, bytes: 0 });
  const budget = operationsBudget(4096);
  t.same(planChunks([10, budget + 5, 10, 10], { maxOps: 10, maxBytes: 4096 }).counts, [1, 1, 2]);
  t.equal(operationBytes({ name: 'ä' }), 13, 'bytes of UTF-8, not characters');
});

t.test('splitting checks that the operations are the ones planned', async (t) => {
  const plan = planChunks([1, 1, 1], { maxOps: 2, maxBytes: 4096 });
  t.same([...splitByPlan(['a', 'b', 'c'], plan)], [['a', 'b'], ['c']]);
  t.throws(() => [...splitByPlan(['a', 'b'], plan)], { code: 'INPUT_INVALID', message: /planned with 1 operations but the state ran out after 0/ });
  t.throws(() => [...splitByPlan(['a', 'b', 'c', 'd'], plan)], { code: 'INPUT_INVALID', message: /more than the 3 operations planned/ });
  t.throws(() => validateLimits({ maxOps: 0, maxBytes: 4096 }), { message: /at least 1 operation/ });
  t.throws(() => validateLimits({ maxOps: 1, maxBytes: 1000 }), { message: /too small/ });
});

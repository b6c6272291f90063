import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import t from 'tap';
import { decide } from '../../src/access/decide.js';
import { packIndex, unpackIndex, type PackedIndex } from '../../src/access/indexTransfer.js';
import type { Presentation } from '../../src/access/verdict.js';
import { demoSiteBatch } from '../../src/app/demo/demoSite.js';
import { hashPin, storeFixture } from '../support/storeFixture.js';

const NOW = Date.parse('2026-11-23T09:00:00Z');

t.test('an index sent through postMessage decides exactly like the one that was built', async (t) => {
  const f = storeFixture(t);
  f.apply(demoSiteBatch(NOW));
  f.store.setLockdown('gym', true);
  const reference = f.index();
  const sent = f.index();
  const { packed, transfer } = packIndex(sent);
  t.ok(transfer.length >= 5, `${transfer.length} buffers transferred, not copied`);
  const views = [packed.index, packed.index.credentials, packed.index.holidays].flatMap((h) => Object.values(h as object)).filter((v): v is ArrayBufferView => ArrayBuffer.isView(v));
  t.ok(views.every((v) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && transfer.includes(v.buffer as ArrayBuffer)), 'every typed array owns a whole buffer that moves (a trimmed view would be copied whole)');
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => { port1.close(); port2.close(); });
  const received = once(port2, 'message');
  port1.postMessage(packed, transfer);
  t.equal(sent.credentialRecord.byteLength, 0, "the sender's arrays moved");
  const [message] = (await received) as [PackedIndex];
  const index = unpackIndex(message);

  const presentations: Presentation[] = [];
  for (const cred of f.store.credentials()) {
    for (const doorId of reference.doorIds) {
      presentations.push({ doorId, kind: cred.kind, value: cred.value });
      presentations.push({ doorId, kind: cred.kind, value: `${cred.value}x` });
    }
  }
  presentations.push({ doorId: 'lobby', kind: 'pin', value: hashPin('0000') });
  let checked = 0;
  const disagreements: string[] = [];
  for (const at of [NOW, NOW + 3 * 3_600_000, NOW + 14 * 86_400_000, Date.parse('2026-12-25T12:00:00Z'), Date.parse('2027-03-28T01:30:00Z')]) {
    for (const p of presentations) {
      const a = JSON.stringify(decide(index, p, at));
      const b = JSON.stringify(decide(reference, p, at));
      if (a !== b) disagreements.push(`${p.doorId} ${p.kind} at ${at}: ${a} vs ${b}`);
      checked += 1;
    }
  }
  t.same(disagreements, [], `${checked} decisions agree`);
  t.ok(checked > 100);
  t.equal(index.hash, reference.hash);
  t.equal(index.zone.localMinutes(NOW), reference.zone.localMinutes(NOW));
  t.equal(index.credentials.size, reference.credentials.size);
});

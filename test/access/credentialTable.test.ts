import t from 'tap';
import fc from 'fast-check';
import { CredentialTable, KIND_CODE, valueHash } from '../../src/access/credentialTable.js';

t.test('finds what was added, by kind and exact value, across growth, and keeps each id', async (t) => {
  const table = new CredentialTable(4);
  const entries: number[] = [];
  for (let i = 0; i < 5_000; i++) entries.push(table.add(KIND_CODE.card, `26:${i % 256}:${i}`, i, `cred-${i}`));
  t.ok(entries.every((e) => e >= 0));
  table.seal();
  t.equal(table.size, 5_000);
  t.equal(table.find(KIND_CODE.card, '26:7:263'), 263);
  t.equal(table.idAt(entries[263]!), 'cred-263');
  t.equal(table.idAt(entries[4_999]!), 'cred-4999', 'ids survive growth and sealing');
  t.equal(table.find(KIND_CODE.pin, '26:7:263'), -1, 'the same value under another kind is another credential');
  t.equal(table.find(KIND_CODE.card, '26:7:2630'), -1);
  t.equal(table.find(KIND_CODE.card, '26:7:26'), -1, 'a prefix is not a match');
  t.equal(table.find(KIND_CODE.card, ''), -1);
});

t.test('duplicates, non-ASCII and over-long values or ids are refused', async (t) => {
  const table = new CredentialTable(8);
  t.ok(table.add(KIND_CODE.mobile, 'phone-1', 0, 'a') >= 0);
  t.equal(table.add(KIND_CODE.mobile, 'phone-1', 1, 'b'), -1);
  t.equal(table.add(KIND_CODE.mobile, 'phöne', 2, 'c'), -1);
  t.equal(table.add(KIND_CODE.mobile, 'x'.repeat(256), 3, 'd'), -1);
  t.equal(table.add(KIND_CODE.mobile, 'phone-2', 4, 'é'), -1);
  t.equal(table.find(KIND_CODE.mobile, 'phöne'), -1);
  t.equal(table.find(KIND_CODE.mobile, 'x'.repeat(300)), -1);
  t.equal(valueHash(KIND_CODE.mobile, 'ü'), -1);
});

t.test('values that collide on the slot are still told apart by their bytes', async (t) => {
  const table = new CredentialTable(8);
  const values = Array.from({ length: 8 }, (_, i) => `v${i}`);
  values.forEach((v, i) => table.add(KIND_CODE.fingerprint, v, i, `id-${i}`));
  values.forEach((v, i) => t.equal(table.find(KIND_CODE.fingerprint, v), i));
});

t.test('property: the table answers exactly like a Map', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ unit: fc.constantFrom(...'0123456789abcdef:-'), minLength: 1, maxLength: 70 }), { maxLength: 300 }), fc.array(fc.string({ maxLength: 70 }), { maxLength: 50 }), (added, probes) => {
      const table = new CredentialTable(1);
      const map = new Map<string, number>();
      const offsets = added.map((v, i) => { map.set(v, i); return table.add(KIND_CODE.pin, v, i, `id:${v}`); });
      return [...added, ...probes].every((v) => table.find(KIND_CODE.pin, v) === (map.get(v) ?? -1)) &&
        added.every((v, i) => table.idAt(offsets[i]!) === `id:${v}`);
    }),
    { numRuns: 300 },
  );
  t.pass('300 random tables');
});

import t from 'tap';
import { PackedStrings } from '../../src/access/packedStrings.js';

t.test('strings come back as they went in, by position', async (t) => {
  const list = ['p-1', '', 'Zoë', 'é🚪', 'p-10'];
  const packed = PackedStrings.of(list);
  t.equal(packed.length, 5);
  t.same(list.map((_, i) => packed.at(i)), list);
  t.equal(packed.at(-1), undefined);
  t.equal(packed.at(5), undefined);
  t.equal(packed.at(1.5), undefined);
  t.equal(PackedStrings.of([]).length, 0);
  t.equal(PackedStrings.of([]).at(0), undefined);
});

t.test('indexOfSorted finds a string by binary search in byte order (SQLite BINARY collation)', async (t) => {
  // byte order: 'Z' (0x5a) < 'a' (0x61) < 'é' (0xc3 0xa9) < '🚪' (0xf0 …)
  const ids = ['', 'A', 'Z', 'a', 'a1', 'ab', 'é', '🚪'];
  const packed = PackedStrings.of(ids);
  t.ok(packed.sorted());
  ids.forEach((id, i) => t.equal(packed.indexOfSorted(id), i, `finds ${JSON.stringify(id)}`));
  for (const missing of ['0', 'B', 'a0', 'ac', 'zz', '🚪🚪']) t.equal(packed.indexOfSorted(missing), -1, `not ${missing}`);
  t.equal(PackedStrings.of([]).indexOfSorted('x'), -1);
});

t.test('sorted() is false for any pair out of order or repeated', async (t) => {
  t.ok(PackedStrings.of([]).sorted());
  t.ok(PackedStrings.of(['x']).sorted());
  t.notOk(PackedStrings.of(['b', 'a']).sorted());
  t.notOk(PackedStrings.of(['a', 'a']).sorted());
  t.notOk(PackedStrings.of(['a', 'c', 'b']).sorted());
  // UTF-16 order would put '\uffff' after '🚪' (a surrogate pair, 0xd83d…); byte order puts it before
  t.ok(PackedStrings.of(['\uffff', '🚪']).sorted());
  t.notOk(PackedStrings.of(['🚪', '\uffff']).sorted());
});

t.test('a structured clone is revived into a working PackedStrings', async (t) => {
  const packed = PackedStrings.of(['a', 'b', 'c']);
  const clone = PackedStrings.revive(structuredClone(packed));
  t.equal(clone.at(2), 'c');
  t.equal(clone.indexOfSorted('b'), 1);
});

/**
 * The credential lookup of the decision index: (kind, value) → credential number.
 *
 * A JS Map with a million fresh string keys costs ~700 ns per lookup on a gateway-class machine
 * (string hashing plus several dependent cache misses). This table is open addressing over typed
 * arrays: a slot holds the 32-bit hash, the credential number and where its entry sits in one
 * contiguous heap. An entry is [kind, value length, value bytes, id length, id bytes]: a lookup is
 * one hash over the value's characters, usually one slot read, and one byte comparison in the
 * heap — the value is always compared exactly, never by hash alone — and the credential's id is
 * decoded from the bytes right after, which that comparison has just brought into the cache.
 *
 * Values are ASCII (card numbers, hex digests, ids restricted by the model); a presented value
 * with any other character never matches.
 */

export const KIND_CODE = { pin: 1, card: 2, fingerprint: 3, mobile: 4 } as const;
export type KindCode = (typeof KIND_CODE)[keyof typeof KIND_CODE];

const SLOT = 3; // hash, credential, entry offset
const MAX_LENGTH = 255;
const EMPTY = 0;

/** FNV-1a over (kind, value), finalised; never 0 (0 marks an empty slot); -1 when not ASCII. */
export function valueHash(kind: number, value: string): number {
  let h = Math.imul(0x811c9dc5 ^ kind, 0x01000193);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x7f) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h === 0 || h === -1 ? 1 : h;
}

export class CredentialTable {
  private slots: Int32Array;
  private mask: number;
  private keys: Buffer;
  private keyLength = 0;
  private count = 0;

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Int32Array(capacity * SLOT);
    this.mask = capacity - 1;
    this.keys = Buffer.alloc(Math.max(256, expected * 36));
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table (for memory reports). */
  get byteLength(): number {
    return this.slots.byteLength + this.keys.byteLength;
  }

  /**
   * Adds a value with its credential's id; returns the entry's offset (for idAt), or -1 if this
   * (kind, value) is already present, or the value or id is not ASCII or longer than 255.
   */
  add(kind: KindCode, value: string, credential: number, id: string): number {
    const h = valueHash(kind, value);
    if (h === -1 || value.length > MAX_LENGTH || id.length > MAX_LENGTH || !/^[\x00-\x7f]*$/.test(id)) return -1;
    if (this.find(kind, value, h) !== -1) return -1;
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const offset = this.appendEntry(kind, value, id);
    this.place(h, credential, offset);
    this.count++;
    return offset;
  }

  /** The id stored with the entry at `offset` (as returned by add). */
  idAt(offset: number): string {
    const keys = this.keys;
    const idStart = offset + 2 + keys[offset + 1]!;
    return keys.toString('latin1', idStart + 1, idStart + 1 + keys[idStart]!);
  }

  /** The credential number for (kind, value), or -1. */
  find(kind: KindCode, value: string, hash = valueHash(kind, value)): number {
    if (hash === -1) return -1;
    if (value.length > MAX_LENGTH) return -1;
    const slots = this.slots;
    const keys = this.keys;
    let at = hash & this.mask;
    for (;;) {
      const base = at * SLOT;
      const h = slots[base]!;
      if (h === EMPTY) return -1;
      if (h === hash) {
        const offset = slots[base + 2]!;
        let same = keys[offset] === kind && keys[offset + 1] === value.length;
        for (let i = 0; same && i < value.length; i++) same = keys[offset + 2 + i] === value.charCodeAt(i);
        if (same) return slots[base + 1]!;
      }
      at = (at + 1) & this.mask;
    }
  }

  /**
   * A copy to change (indexPatch.ts) while this one keeps serving: the same slots, and the entry
   * heap with room for `reserve` more bytes (removed entries' bytes stay until the next compile).
   */
  clone(reserve: number): CredentialTable {
    const copy = Object.create(CredentialTable.prototype) as CredentialTable;
    copy.slots = this.slots.slice();
    copy.mask = this.mask;
    copy.keys = Buffer.alloc(this.keyLength + reserve);
    this.keys.copy(copy.keys, 0, 0, this.keyLength);
    copy.keyLength = this.keyLength;
    copy.count = this.count;
    return copy;
  }

  /**
   * Takes (kind, value) out; returns its credential number, or -1 if it was not there. The slots
   * after it move back into the gap (linear probing without tombstones: find stays one probe run).
   */
  remove(kind: KindCode, value: string): number {
    const hash = valueHash(kind, value);
    const credential = this.find(kind, value, hash);
    if (credential === -1) return -1;
    const slots = this.slots;
    const mask = this.mask;
    let gap = hash & mask;
    while (slots[gap * SLOT + 1] !== credential || slots[gap * SLOT] !== hash) gap = (gap + 1) & mask;
    let at = gap;
    for (;;) {
      at = (at + 1) & mask;
      const h = slots[at * SLOT]!;
      if (h === EMPTY) break;
      // an entry may fill the gap only if its home slot is not between the gap and where it sits
      const home = h & mask;
      const fits = gap <= at ? home <= gap || home > at : home <= gap && home > at;
      if (fits) {
        slots.copyWithin(gap * SLOT, at * SLOT, at * SLOT + SLOT);
        gap = at;
      }
    }
    slots.fill(0, gap * SLOT, gap * SLOT + SLOT);
    this.count--;
    return credential;
  }

  /** Gives back memory reserved for growth once the table is complete. */
  seal(): void {
    this.keys = Buffer.from(this.keys.subarray(0, this.keyLength));
  }

  private place(hash: number, credential: number, offset: number): void {
    let at = hash & this.mask;
    while (this.slots[at * SLOT] !== EMPTY) at = (at + 1) & this.mask;
    const base = at * SLOT;
    this.slots[base] = hash;
    this.slots[base + 1] = credential;
    this.slots[base + 2] = offset;
  }

  private appendEntry(kind: number, value: string, id: string): number {
    const need = this.keyLength + 3 + value.length + id.length;
    if (need > this.keys.length) {
      const bigger = Buffer.alloc(Math.max(need, this.keys.length * 2));
      this.keys.copy(bigger, 0, 0, this.keyLength);
      this.keys = bigger;
    }
    const offset = this.keyLength;
    const keys = this.keys;
    keys[offset] = kind;
    keys[offset + 1] = value.length;
    for (let i = 0; i < value.length; i++) keys[offset + 2 + i] = value.charCodeAt(i);
    const idAt = offset + 2 + value.length;
    keys[idAt] = id.length;
    keys.write(id, idAt + 1, 'latin1');
    this.keyLength = need;
    return offset;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = (this.mask + 1) * 2 - 1;
    for (let base = 0; base < old.length; base += SLOT) {
      if (old[base] !== EMPTY) this.place(old[base]!, old[base + 1]!, old[base + 2]!);
    }
  }
}

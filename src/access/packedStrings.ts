/**
 * A list of strings in one byte buffer (UTF-8) with their end offsets: what the rules worker sends
 * instead of an array of every person's id. Two buffers move between threads for nothing
 * (transferred), where an array of strings is cloned one string at a time on the receiving thread:
 * a pause of the doors' event loop that grows with the site (the figure:
 * bench/README.md, "Measurements behind design choices"). A string is decoded when asked for:
 * a verdict names one person.
 */
export class PackedStrings {
  private constructor(
    /** a whole (unpooled) buffer, so it is transferred, never copied */
    private bytes: Buffer,
    private ends: Int32Array,
  ) {}

  static of(strings: readonly string[]): PackedStrings {
    const ends = new Int32Array(strings.length);
    let length = 0;
    strings.forEach((s, i) => (ends[i] = length += Buffer.byteLength(s)));
    const bytes = Buffer.allocUnsafeSlow(length);
    let at = 0;
    for (const s of strings) at += bytes.write(s, at);
    return new PackedStrings(bytes, ends);
  }

  /** These strings and then `more`: a copy of the bytes, not a decode and encode of every string. */
  concat(more: readonly string[]): PackedStrings {
    if (more.length === 0) return this;
    const tail = PackedStrings.of(more);
    const base = this.ends.length === 0 ? 0 : this.ends[this.ends.length - 1]!;
    const bytes = Buffer.allocUnsafeSlow(base + tail.bytes.length);
    this.bytes.copy(bytes, 0, 0, base);
    tail.bytes.copy(bytes, base);
    const ends = new Int32Array(this.ends.length + more.length);
    ends.set(this.ends);
    for (let i = 0; i < more.length; i++) ends[this.ends.length + i] = base + tail.ends[i]!;
    return new PackedStrings(bytes, ends);
  }

  /** Makes a structured clone (its prototype lost in postMessage) a PackedStrings again. */
  static revive(clone: PackedStrings): PackedStrings {
    const revived = Object.setPrototypeOf(clone, PackedStrings.prototype) as PackedStrings;
    // the clone's bytes arrive as a plain Uint8Array over the transferred buffer
    const bytes = revived.bytes as Uint8Array;
    revived.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return revived;
  }

  get length(): number {
    return this.ends.length;
  }

  at(i: number): string | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.ends.length) return undefined;
    return this.bytes.toString('utf8', i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }

  /**
   * The position of `s`, or -1; for strings packed in ascending byte order (SQLite's BINARY
   * collation, the order the store reads ids in), which `sorted()` checks; or for the first
   * `count` of them, when only those are sorted.
   */
  indexOfSorted(s: string, count = this.ends.length): number {
    const needle = Buffer.from(s);
    const bytes = this.bytes;
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const order = needle.compare(bytes, mid === 0 ? 0 : this.ends[mid - 1]!, this.ends[mid]!);
      if (order === 0) return mid;
      if (order < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return -1;
  }

  /** Whether the strings are in strictly ascending byte order (indexOfSorted works). */
  sorted(): boolean {
    const bytes = this.bytes;
    for (let i = 1; i < this.ends.length; i++) {
      // the previous string (source) against this one (target): it must sort strictly before
      if (bytes.compare(bytes, this.ends[i - 1]!, this.ends[i]!, i === 1 ? 0 : this.ends[i - 2]!, this.ends[i - 1]!) >= 0) return false;
    }
    return true;
  }
}

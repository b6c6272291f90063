/**
 * A compiled index sent from the thread that built it to the thread that decides with it
 * (postMessage). Structured clone copies plain data, Maps and typed arrays but not classes, so the
 * receiver puts the prototypes back; the typed arrays' buffers are transferred, not copied, so
 * receiving a million-credential index costs the main thread milliseconds. The zone clock (which
 * caches an Intl formatter that cannot be cloned) is rebuilt from its time zone.
 */
import type { AccessIndex } from './accessIndex.js';
import { CredentialTable } from './credentialTable.js';
import { HolidayCalendar } from './holidayCalendar.js';
import { PackedStrings } from './packedStrings.js';
import { MaskInterner } from './scheduleMask.js';
import { ZoneClock } from './zoneClock.js';

export interface PackedIndex {
  /** the index without its zone clock */
  readonly index: Omit<AccessIndex, 'zone'>;
}

/** A whole, unshared ArrayBuffer can move between threads; a view of part of one would be copied whole. */
function isWhole(view: ArrayBufferView): boolean {
  return view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

/**
 * Makes every typed array among `holder`'s own properties (and in arrays of them) own a whole
 * buffer — a trimmed view is replaced by an exact copy, or postMessage would copy its whole
 * underlying buffer on the receiving thread — and collects the buffers to transfer.
 */
function compactBuffers(holder: Record<string, unknown>, into: Set<ArrayBuffer>): void {
  const own = (view: ArrayBufferView): ArrayBufferView => {
    // a typed array constructed from a typed array copies it into a buffer of its own
    const copy = isWhole(view) ? view : new (Buffer.isBuffer(view) ? Uint8Array : (view.constructor as new (source: ArrayBufferView) => ArrayBufferView))(view);
    into.add(copy.buffer as ArrayBuffer);
    return copy;
  };
  for (const [key, value] of Object.entries(holder)) {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) holder[key] = own(value);
    else if (Array.isArray(value) && value.length > 0 && value.every((v) => ArrayBuffer.isView(v))) holder[key] = value.map(own);
  }
}

/** The message and its transfer list. The sender's index is unusable afterwards. */
export function packIndex(index: AccessIndex): { packed: PackedIndex; transfer: ArrayBuffer[] } {
  const { zone, ...rest } = index;
  void zone;
  const buffers = new Set<ArrayBuffer>();
  const holders = [rest, rest.credentials, rest.holidays, rest.masks, rest.personIds, rest.limitedIds] as unknown as Array<Record<string, unknown>>;
  for (const holder of holders) compactBuffers(holder, buffers);
  return { packed: { index: rest }, transfer: [...buffers] };
}

/** The received message as a working index. */
export function unpackIndex(packed: PackedIndex): AccessIndex {
  const raw = packed.index as unknown as Record<string, unknown> & { timeZone: string };
  const credentials = raw.credentials as { keys: Uint8Array };
  Object.setPrototypeOf(credentials, CredentialTable.prototype);
  credentials.keys = Buffer.from(credentials.keys.buffer, credentials.keys.byteOffset, credentials.keys.byteLength);
  Object.setPrototypeOf(raw.holidays as object, HolidayCalendar.prototype);
  Object.setPrototypeOf(raw.masks as object, MaskInterner.prototype);
  PackedStrings.revive(raw.personIds as PackedStrings);
  PackedStrings.revive(raw.limitedIds as PackedStrings);
  return { ...(raw as unknown as Omit<AccessIndex, 'zone'>), zone: new ZoneClock(raw.timeZone) };
}

/**
 * A deep copy sharing no buffer with `index`: what the rules worker sends (transferred) while it
 * keeps `index` to patch the next delta into (indexPatch.ts).
 */
export function copyIndex(index: AccessIndex): AccessIndex {
  const { zone, ...rest } = index;
  void zone;
  return unpackIndex({ index: structuredClone(rest) });
}

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
import { MaskInterner } from './scheduleMask.js';
import { ZoneClock } from './zoneClock.js';

export interface PackedIndex {
  /** the index without its zone clock */
  readonly index: Omit<AccessIndex, 'zone'>;
}

function collectBuffers(value: unknown, into: Set<ArrayBuffer>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 3) return;
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    // only whole, unshared buffers (a Buffer from Node's pool is shared with unrelated data)
    if (buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buffer.byteLength) into.add(buffer);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) if (ArrayBuffer.isView(item)) collectBuffers(item, into, depth + 1);
    return;
  }
  if (value instanceof Map) return;
  for (const v of Object.values(value)) collectBuffers(v, into, depth + 1);
}

/** The message and its transfer list. The sender's index is unusable afterwards. */
export function packIndex(index: AccessIndex): { packed: PackedIndex; transfer: ArrayBuffer[] } {
  const { zone, ...rest } = index;
  void zone;
  const buffers = new Set<ArrayBuffer>();
  collectBuffers(rest, buffers);
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
  return { ...(raw as unknown as Omit<AccessIndex, 'zone'>), zone: new ZoneClock(raw.timeZone) };
}

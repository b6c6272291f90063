/**
 * What the gateway advertises for phone keys (pure; the peripheral adapter puts it on air). The
 * advertising packet carries the service UUID; the scan response carries manufacturer-specific
 * data naming the gateway and up to four doors by short tags:
 *
 *   company id (2, little-endian: 0xFFFF, the value reserved for unassigned use)
 *   format 0x01 | flags (bit 0: rotating) | slot (low byte of the time slot, 0 when static)
 *   gateway tag (6) | door tag (4) per door, in the configured order
 *
 * Rotating (a site secret is configured): tag = HMAC-SHA256(secret, input)[0 .. n) with
 * input = str8("lockgw-adv/1") ‖ kind ('g' or 'd') ‖ str8(gatewayId) [‖ str8(doorId)] ‖
 * u32(slot), slot = floor(now / slotMs). A phone holding the secret recognises its door; to
 * anyone else the tags change every slot, so the door is not a tracking beacon. Static (no
 * secret): the same with the key "lockgw-static" and slot 0: readable by anyone, for sites that
 * want it.
 */
import { createHmac } from 'node:crypto';
import { PHONE_KEY_SERVICE_UUID } from './protocol.js';

export const ADVERTISEMENT_COMPANY_ID = 0xffff;
export const ADVERTISEMENT_FORMAT = 0x01;
export const ADVERTISED_DOORS_MAX = 4;
/** default rotation period: 15 minutes */
export const DEFAULT_SLOT_MS = 900_000;
const STATIC_KEY = new TextEncoder().encode('lockgw-static');
const CONTEXT = 'lockgw-adv/1';

export interface AdvertisementInput {
  gatewayId: string;
  /** up to ADVERTISED_DOORS_MAX doors (more are served but not advertised) */
  doorIds: readonly string[];
  /** epoch ms */
  now: number;
  /** the site's advertising secret; absent: static tags */
  secret?: Uint8Array | undefined;
  slotMs?: number;
}

export interface PhoneKeyAdvertisement {
  serviceUuid: string;
  /** the manufacturer-specific data as AD type 0xFF carries it: company id first */
  manufacturerData: Uint8Array;
}

const str8 = (text: string): Buffer => {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 255) throw new RangeError('an id is at most 255 bytes of UTF-8');
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
};

/** The first `length` bytes of HMAC-SHA256(secret, context ‖ kind ‖ ids ‖ u32(slot)). */
export function rotatingTag(secret: Uint8Array, kind: 'g' | 'd', ids: readonly string[], slot: number, length: number): Uint8Array {
  const slotBytes = Buffer.alloc(4);
  slotBytes.writeUInt32BE(slot >>> 0);
  const input = Buffer.concat([str8(CONTEXT), Buffer.from(kind, 'ascii'), ...ids.map(str8), slotBytes]);
  return Uint8Array.from(createHmac('sha256', secret).update(input).digest().subarray(0, length));
}

/** The time slot of `now`. */
export function advertisementSlot(now: number, slotMs = DEFAULT_SLOT_MS): number {
  return Math.floor(now / slotMs) >>> 0;
}

export function phoneKeyAdvertisement(input: AdvertisementInput): PhoneKeyAdvertisement {
  const rotating = input.secret !== undefined;
  const key = input.secret ?? STATIC_KEY;
  const slot = rotating ? advertisementSlot(input.now, input.slotMs) : 0;
  const doors = input.doorIds.slice(0, ADVERTISED_DOORS_MAX);
  const parts: Uint8Array[] = [
    Uint8Array.of(ADVERTISEMENT_COMPANY_ID & 0xff, ADVERTISEMENT_COMPANY_ID >> 8, ADVERTISEMENT_FORMAT, rotating ? 1 : 0, slot & 0xff),
    rotatingTag(key, 'g', [input.gatewayId], slot, 6),
    ...doors.map((doorId) => rotatingTag(key, 'd', [input.gatewayId, doorId], slot, 4)),
  ];
  return { serviceUuid: PHONE_KEY_SERVICE_UUID, manufacturerData: Uint8Array.from(Buffer.concat(parts)) };
}

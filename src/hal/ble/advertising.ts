/**
 * Advertising data (EIR/AD structures, Core Spec Supplement Part A) and UUID spelling shared by
 * the GATT adapters. UUIDs are lower-case hex without dashes, 16-bit (4 digits) or 128-bit (32).
 */
import { GatewayError } from '../../kernel/gatewayError.js';

const AD_FLAGS = 0x01;
const AD_UUID16_COMPLETE = 0x03;
const AD_UUID128_COMPLETE = 0x07;
const AD_NAME_COMPLETE = 0x09;
const AD_MANUFACTURER = 0xff;
/** LE General Discoverable, BR/EDR not supported */
const FLAGS = 0x06;
const MAX_AD = 31;

export function normalizeUuid(uuid: string): string {
  const id = uuid.toLowerCase().replace(/-/g, '');
  if (!/^([0-9a-f]{4}|[0-9a-f]{32})$/.test(id)) throw new GatewayError('CONFIG_INVALID', `${uuid} is not a 16- or 128-bit UUID`, { field: 'uuid' });
  return id;
}

/** `aa:bb:…` lower-case, as BleLink.peer spells it */
export function normalizeAddress(address: string): string {
  return address.toLowerCase();
}

const ad = (type: number, data: Uint8Array) => Buffer.concat([Buffer.from([data.length + 1, type]), data]);

/** flags and the complete list of one service UUID */
export function advertisementData(serviceUuid: string): Buffer {
  const uuid = Buffer.from(serviceUuid, 'hex').reverse();
  return Buffer.concat([ad(AD_FLAGS, Buffer.from([FLAGS])), ad(uuid.length === 2 ? AD_UUID16_COMPLETE : AD_UUID128_COMPLETE, uuid)]);
}

/** the complete local name and manufacturer data; rejects what does not fit in 31 bytes */
export function scanResponseData(name: string, manufacturerData?: Uint8Array): Buffer {
  const parts = [ad(AD_NAME_COMPLETE, Buffer.from(name, 'utf8'))];
  if (manufacturerData) parts.push(ad(AD_MANUFACTURER, manufacturerData));
  const data = Buffer.concat(parts);
  if (data.length > MAX_AD) {
    throw new GatewayError('CONFIG_INVALID', `the name and manufacturer data take ${data.length} bytes; a scan response holds ${MAX_AD}`, { field: 'name', hint: 'shorten the name or the manufacturer data' });
  }
  return data;
}

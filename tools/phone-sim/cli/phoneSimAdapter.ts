/**
 * `--adapter` for the phone simulator: `hci0` / `hci:0` (a kernel HCI device) or a UART path
 * (`/dev/ttyUSB0`, or a virtual radio's phone UART). Opens noble on it and scans for gateways.
 */
import type { Logger } from 'pino';
import { openCentral, type BleAdapterConfig, type CentralAdapter } from '../../../src/hal/ble/bleAdapter.js';
import { GattCentral, type ScanResult } from '../../../src/hal/ble/gattCentral.js';
import { PHONE_KEY_SERVICE_UUID } from '../../../src/hal/ble/phoneKey/protocol.js';
import type { Clock } from '../../../src/kernel/clock.js';
import { GatewayError } from '../../../src/kernel/gatewayError.js';

export function parseAdapter(text: string | undefined): BleAdapterConfig {
  if (text === undefined || text === '') {
    throw new GatewayError('INPUT_INVALID', 'phone-sim needs --adapter: hci0 (a Bluetooth adapter) or a UART path (a controller on a serial port, or a virtual radio)', { field: 'adapter' });
  }
  const hci = /^hci:?(\d{1,2})$/.exec(text);
  if (hci) return { hci: Number(hci[1]) };
  if (text.startsWith('/')) return { uart: text };
  throw new GatewayError('INPUT_INVALID', `--adapter "${text}" is neither hciN nor an absolute UART path`, { field: 'adapter', hint: 'e.g. --adapter hci0 or --adapter /tmp/lockgw-vble/phone' });
}

export interface PhoneRadio {
  adapter: CentralAdapter;
  central: GattCentral;
}

export async function openPhoneRadio(adapter: BleAdapterConfig, clock: Clock, log: Logger): Promise<PhoneRadio> {
  const opened = await openCentral(adapter, { clock, timeoutMs: 10_000, log });
  return { adapter: opened, central: new GattCentral(opened.noble, { clock, log }) };
}

/** Gateways advertising the phone-key service; with `address`, until that one is seen. */
export async function scanGateways(radio: PhoneRadio, timeoutMs: number, address?: string): Promise<ScanResult[]> {
  const wanted = address?.toLowerCase();
  return radio.central.scan({
    serviceUuid: PHONE_KEY_SERVICE_UUID,
    timeoutMs,
    until: (found) => (wanted === undefined ? true : found.address === wanted),
  });
}

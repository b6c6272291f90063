/**
 * BLE in the gateway's configuration: the radios (`ble:`) and, per door, a phone-key reader and a
 * BLE lock (`doors[].ble`). A radio is a kernel HCI device (`{hci: 0}`, the Pi's built-in
 * controller or a USB dongle; needs CAP_NET_RAW/CAP_NET_ADMIN) or an HCI controller on a UART
 * (`{uart: /dev/ttyAMA0}`, H4 framing). The phone keys (the gateway as a peripheral) and the
 * locks (the gateway as a central) may share an HCI device; a UART serves one of them only.
 */
import { z } from 'zod';

const PathSchema = z.string().min(1).regex(/^\//, 'must be an absolute device path, e.g. /dev/ttyAMA0');

export const BleAdapterSchema = z.union([
  z.strictObject({ hci: z.number().int().min(0).max(15) }),
  z.strictObject({ uart: PathSchema }),
]);

export const PhoneKeyRadioSchema = z.strictObject({
  adapter: BleAdapterSchema,
  /** the advertised local name (phones filter on the service UUID, not on this) */
  name: z.string().min(1).max(16).regex(/^[\x20-\x7e]+$/, 'printable ASCII').default('lockgw'),
  /** how long a challenge may be answered */
  challengeTtlMs: z.number().int().min(1_000).max(30_000).default(5_000),
});

export const BleConfigSchema = z
  .strictObject({
    phoneKeys: PhoneKeyRadioSchema.optional(),
  })
  .prefault({});

export const DoorBleSchema = z.strictObject({
  /** phones may open this door through the gateway's phone-key radio */
  phoneKey: z.boolean().default(false),
});

export type BleConfig = z.output<typeof BleConfigSchema>;
export type DoorBle = z.output<typeof DoorBleSchema>;

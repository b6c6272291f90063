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

const AddressSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'a BLE address is six hex bytes, e.g. 54:d2:72:aa:bb:cc'));

/** A door's BLE smart lock (docs/ble-nuki-lock.md). Pair it once: lockgw ble pair --door ID. */
export const BleLockConfigSchema = z.strictObject({
  address: AddressSchema,
  profile: z.literal('nuki').default('nuki'),
  /** connect for each command (saves the lock's battery) or hold the link (faster) */
  link: z.enum(['on_demand', 'keep_alive']).default('on_demand'),
  /** what a grant asks of the lock before it is locked again: unlatch (pulls the latch: doors without an outside handle) or unlock */
  unlockMode: z.enum(['unlatch', 'unlock']).default('unlatch'),
  /** each answer of the lock before it accepted a command */
  responseTimeoutMs: z.number().int().min(1_000).max(60_000).default(5_000),
  /** accepted to done: the motor's run */
  completionTimeoutMs: z.number().int().min(2_000).max(120_000).default(20_000),
  /** further attempts of a command the lock did not answer, with doubling backoff */
  retries: z.number().int().min(0).max(5).default(2),
  /** read the lock's state this often while it is online; 0: never */
  pollMs: z.number().int().min(0).max(3_600_000).default(60_000),
  /** below this charge (or on the lock's critical flag) a low_battery alarm */
  lowBatteryPercent: z.number().int().min(0).max(100).default(20),
});

export const LockRadioSchema = z.strictObject({
  adapter: BleAdapterSchema,
  /** how long a scan listens (lockgw ble scan, and finding a lock before it is connected) */
  scanMs: z.number().int().min(1_000).max(60_000).default(8_000),
});

export const BleConfigSchema = z
  .strictObject({
    phoneKeys: PhoneKeyRadioSchema.optional(),
    locks: LockRadioSchema.optional(),
  })
  .prefault({})
  .refine((b) => !(b.phoneKeys && b.locks && 'uart' in b.phoneKeys.adapter && 'uart' in b.locks.adapter && b.phoneKeys.adapter.uart === b.locks.adapter.uart), {
    message: 'one UART controller serves one host stack: give the locks and the phone keys different adapters (or one HCI device)',
    path: ['locks', 'adapter'],
  });

export const DoorBleSchema = z.strictObject({
  /** phones may open this door through the gateway's phone-key radio */
  phoneKey: z.boolean().default(false),
  /** the door's lock is a BLE smart lock (the door's hardware is then `ble`) */
  lock: BleLockConfigSchema.optional(),
});

export type BleConfig = z.output<typeof BleConfigSchema>;

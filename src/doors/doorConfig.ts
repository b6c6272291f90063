/**
 * How one door behaves: the local, installer-set part of a door (its rules come from the cloud).
 * Part of the gateway config (`doors:`); every field has a Mercury-class default.
 */
import { z } from 'zod';
import { IdSchema } from '../access/model.js';
import { DoorBleSchema } from '../hal/ble/bleConfig.js';
import { DoorSerialSchema } from '../hal/serial/serialConfig.js';
import { DoorInputsSchema } from './inputWiringConfig.js';

export const PinPolicySchema = z
  .strictObject({
    /** a PIN entry is abandoned this long after the last key */
    interKeyTimeoutMs: z.number().int().min(1_000).max(60_000).default(5_000),
    /** wrong PINs in a row before the keypad locks out */
    maxFailures: z.number().int().min(1).max(100).default(5),
    /** the first lockout; each further one doubles, up to maxLockoutMs */
    lockoutMs: z.number().int().min(1_000).max(86_400_000).default(60_000),
    maxLockoutMs: z.number().int().min(1_000).max(86_400_000).default(3_600_000),
  })
  .prefault({});

export const PassageSchema = z.strictObject({
  /** the schedule (from the site's rules) during which the door stands unlocked */
  scheduleId: IdSchema,
  /** the unlocked period starts only after a staff member's grant in it */
  firstPersonIn: z.boolean().default(false),
});

export const DoorBehaviourSchema = z
  .strictObject({
    id: IdSchema,
    /** where the door's devices are: simulated (demo, tests), serial hardware, or a BLE smart lock */
    hardware: z.enum(['sim', 'serial', 'ble']).default('sim'),
    unlockMs: z.number().int().min(500).max(120_000).default(5_000),
    /** for people flagged for accessibility */
    extendedUnlockMs: z.number().int().min(500).max(300_000).default(15_000),
    /** fail-safe: released when unpowered (maglocks); fail-secure: locked when unpowered (strikes) */
    failSafe: z.boolean().default(false),
    /** alarm when the door stays open this long after an authorised opening */
    heldOpenMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
    /** re-lock as soon as the door closes after an opening */
    relockOnClose: z.boolean().default(true),
    /** a request-to-exit press unlocks (otherwise it only masks the forced-open alarm) */
    rexUnlocks: z.boolean().default(true),
    /** the fire/egress input releases this door */
    fireRelease: z.boolean().default(true),
    /** how long a card at a card+PIN door waits for its PIN */
    secondFactorTimeoutMs: z.number().int().min(1_000).max(60_000).default(10_000),
    pin: PinPolicySchema,
    passage: PassageSchema.optional(),
    /** with hardware: serial — which bridge port, relay channel and fingerprint sensor */
    serial: DoorSerialSchema.optional(),
    /** a phone-key reader on the gateway's radio, and with hardware: ble the door's BLE lock */
    ble: DoorBleSchema.optional(),
    /** where the door contact and the REX button are wired (a Wiegand bridge port or GPIO); not for simulated doors */
    inputs: DoorInputsSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.hardware === 'serial' && !d.serial) ctx.addIssue({ code: 'custom', path: ['serial'], message: 'a serial door needs serial: {reader: {bridge, port}, actuator: {board, channel}}' });
    if (d.hardware === 'sim' && d.serial) ctx.addIssue({ code: 'custom', path: ['serial'], message: 'only a door with hardware: serial has a serial section' });
    if (d.hardware === 'ble' && !d.ble?.lock) ctx.addIssue({ code: 'custom', path: ['ble', 'lock'], message: 'a door with hardware: ble needs ble: {lock: {address}}' });
    if (d.hardware !== 'ble' && d.ble?.lock) ctx.addIssue({ code: 'custom', path: ['ble', 'lock'], message: 'only a door with hardware: ble has a BLE lock' });
    if (d.hardware === 'sim' && d.inputs) ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'a simulated door has simulated inputs: inputs are for doors with hardware: serial or ble' });
    if (d.extendedUnlockMs < d.unlockMs) ctx.addIssue({ code: 'custom', path: ['extendedUnlockMs'], message: `must be at least unlockMs (${d.unlockMs})` });
    if (d.unlockMs > d.heldOpenMs) ctx.addIssue({ code: 'custom', path: ['unlockMs'], message: `must be at most heldOpenMs (${d.heldOpenMs})` });
    if (d.pin.maxLockoutMs < d.pin.lockoutMs) ctx.addIssue({ code: 'custom', path: ['pin', 'maxLockoutMs'], message: 'must be at least pin.lockoutMs' });
  });

export type DoorBehaviour = z.output<typeof DoorBehaviourSchema>;
export type DoorBehaviourInput = z.input<typeof DoorBehaviourSchema>;

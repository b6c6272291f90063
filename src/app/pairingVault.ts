/**
 * BLE lock pairings, kept sealed under the device secret: `<dataDir>/ble-pairings.json`, mode
 * 0600, one entry per door. Each entry's secret (the lock's shared key and authorization id) is
 * sealed with AES-256-GCM under a key derived from the device secret (HKDF-SHA-256, info
 * "lockgw ble pairing v1"), with the door id and lock address as associated data, so an entry
 * copied to another door, another lock or another gateway does not open. Nothing secret is
 * logged: callers get the opened secret only from `open()`.
 *
 * The file is the gateway's own: it is written whole to a temporary file and renamed over the
 * old one; a file at that path that is not a pairing file is refused, never overwritten.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { GatewayError } from '../kernel/gatewayError.js';

export const PAIRING_FILE = 'ble-pairings.json';
const FORMAT = 'lockgw-ble-pairings/1';

const EntrySchema = z.strictObject({
  doorId: z.string().min(1),
  address: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/),
  profile: z.string().min(1),
  pairedAt: z.string(),
  /** base64: iv 12 ‖ ciphertext ‖ tag 16 */
  sealed: z.string().min(1),
});
const FileSchema = z.strictObject({ format: z.literal(FORMAT), pairings: z.array(EntrySchema) });

export type PairingEntry = Omit<z.output<typeof EntrySchema>, 'sealed'>;

export class PairingVault {
  private readonly key: Buffer;

  constructor(private readonly path: string, deviceSecret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', deviceSecret, Buffer.alloc(0), 'lockgw ble pairing v1', 32));
  }

  /** The paired doors, without their secrets. */
  list(): PairingEntry[] {
    return this.read().map(({ sealed: _sealed, ...entry }) => entry);
  }

  /** The door's pairing secret, or undefined when it is not paired. Throws SECRET_UNAVAILABLE when it does not open. */
  open(doorId: string): { entry: PairingEntry; secret: unknown } | undefined {
    const found = this.read().find((e) => e.doorId === doorId);
    if (found === undefined) return undefined;
    const { sealed, ...entry } = found;
    const raw = Buffer.from(sealed, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(associated(entry));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      return { entry, secret: JSON.parse(plain.toString('utf8')) as unknown };
    } catch (err) {
      throw new GatewayError('SECRET_UNAVAILABLE', `the pairing of door ${doorId} does not open with this gateway's device secret`, {
        id: doorId, hint: `pair the lock again: lockgw ble pair --door ${doorId} --address ${entry.address}`,
      }, { cause: err });
    }
  }

  /** Seals and stores the door's pairing, replacing an earlier one of the same door. */
  save(entry: PairingEntry, secret: unknown): void {
    const parsed = EntrySchema.omit({ sealed: true }).parse(entry);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(associated(parsed));
    const body = Buffer.concat([cipher.update(Buffer.from(JSON.stringify(secret), 'utf8')), cipher.final()]);
    const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
    this.write([...this.read().filter((e) => e.doorId !== parsed.doorId), { ...parsed, sealed }]);
  }

  /** Forgets the door's pairing; returns whether there was one. */
  remove(doorId: string): boolean {
    const entries = this.read();
    const kept = entries.filter((e) => e.doorId !== doorId);
    if (kept.length === entries.length) return false;
    this.write(kept);
    return true;
  }

  private read(): z.output<typeof EntrySchema>[] {
    if (!existsSync(this.path)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw new GatewayError('CONFIG_INVALID', `${this.path} is not a lockgw pairing file (${(err as Error).message})`, { hint: 'move it away; it is not overwritten' }, { cause: err });
    }
    const checked = FileSchema.safeParse(parsed);
    if (!checked.success) throw new GatewayError('CONFIG_INVALID', `${this.path} is not a lockgw pairing file (${checked.error.issues[0]!.message})`, { hint: 'move it away; it is not overwritten' });
    return checked.data.pairings;
  }

  private write(pairings: z.output<typeof EntrySchema>[]): void {
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ format: FORMAT, pairings }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, this.path);
  }
}

function associated(entry: PairingEntry): Buffer {
  return Buffer.from(`${FORMAT}\n${entry.doorId}\n${entry.address}\n${entry.profile}`, 'utf8');
}

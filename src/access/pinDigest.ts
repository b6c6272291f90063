/**
 * PINs are never stored or compared in clear: the store keeps HMAC-SHA256(deviceSecret, pin)
 * and a keypad turns the typed digits into the same digest at the edge, once per entry. The
 * device secret lives outside the database, so a copied database file does not reveal PINs
 * (a 4–8 digit space is small: without the secret it cannot be brute-forced offline).
 */
import { createHmac } from 'node:crypto';

export type PinHasher = (pin: string) => string;

export function createPinHasher(secret: Uint8Array): PinHasher {
  if (secret.length < 32) throw new RangeError('the device secret must be at least 32 bytes');
  const key = Buffer.from(secret);
  return (pin: string) => createHmac('sha256', key).update(pin, 'utf8').digest('hex');
}

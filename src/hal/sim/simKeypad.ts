/**
 * A simulated keypad. `press('1234#')` types keys: by default one `input {kind: 'keys'}` per key,
 * like a 4-bit Wiegand keypad; with `burst: true` all keys in one event, like an 8-bit burst or a
 * reader that buffers the PIN.
 */
import { GatewayError } from '../../kernel/gatewayError.js';
import type { ReaderInput } from '../types.js';
import type { SimDelivery, SimDeviceOptions } from './simDevice.js';
import { SimReader } from './simReader.js';

export interface SimKeypadOptions extends SimDeviceOptions {
  /** emit every press() as one event instead of one event per key; default false */
  burst?: boolean;
}

/** The most keys one press() accepts. */
export const MAX_KEYS_PER_PRESS = 64;

export class SimKeypad extends SimReader {
  private readonly burst: boolean;

  constructor(options: SimKeypadOptions) {
    super(options);
    this.burst = options.burst ?? false;
  }

  /**
   * Throws GatewayError('INPUT_INVALID') when `keys` is empty, too long or holds anything but
   * 0-9, * and # (the message names the first bad key, never the digits typed). Otherwise returns
   * whether the keys were emitted, and why not.
   */
  press(keys: string): SimDelivery {
    this.check(keys);
    const inputs: ReaderInput[] = this.burst ? [{ kind: 'keys', keys }] : [...keys].map((key) => ({ kind: 'keys', keys: key }));
    return this.deliver(inputs);
  }

  private check(keys: unknown): asserts keys is string {
    const fail = (why: string) => new GatewayError('INPUT_INVALID', `keypad ${this.id}: ${why}`, { id: this.id, field: 'keys' });
    if (typeof keys !== 'string' || keys.length === 0) throw fail('keys must be a non-empty string of 0-9, * and #');
    if (keys.length > MAX_KEYS_PER_PRESS) throw fail(`at most ${MAX_KEYS_PER_PRESS} keys per press, got ${keys.length}`);
    const bad = /[^0-9*#]/.exec(keys);
    if (bad) throw fail(`${JSON.stringify(bad[0])} at position ${bad.index + 1} is not a keypad key (0-9, *, #)`);
  }
}

/**
 * A simulated card reader (a Wiegand reader behind the bridge). `present('26:12:34567')` is a
 * card held to it: the text is checked and normalised like a decoded frame, then emitted as
 * `input {kind: 'card', value, bits}`.
 */
import { parseCardNumber } from '../../kernel/cardNumber.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { SimDelivery } from './simDevice.js';
import { SimReader } from './simReader.js';

export class SimCardReader extends SimReader {
  /**
   * Throws GatewayError('INPUT_INVALID') naming the problem when `card` is not a card number
   * (<bits>:<facility>:<number> or raw:<bits>:<hex>) — whatever the reader's state. Otherwise
   * returns whether the read was emitted, and why not (not started, stopped, offline).
   */
  present(card: string): SimDelivery {
    const parsed = parseCardNumber(card);
    if (!parsed.ok) throw new GatewayError('INPUT_INVALID', `card reader ${this.id}: ${parsed.reason}`, { id: this.id, field: 'card' });
    const value = parsed.value;
    const bits = Number(value.startsWith('raw:') ? value.split(':')[1] : value.split(':')[0]);
    return this.deliver([{ kind: 'card', value, bits }]);
  }
}

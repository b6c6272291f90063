/**
 * A simulated phone-key radio. `tap('erin-phone')` is a phone whose challenge-response verified:
 * it emits `input {kind: 'mobile', value: keyId}`, with the access document the phone carried
 * if one is given (the engine verifies it like a real phone's).
 */
import { GatewayError } from '../../kernel/gatewayError.js';
import { isId, type SimDelivery } from './simDevice.js';
import { SimReader } from './simReader.js';

export class SimMobileReader extends SimReader {
  /**
   * Throws GatewayError('INPUT_INVALID') when `keyId` is not a mobile key id (1–128 letters,
   * digits or . _ : @ -). Otherwise returns whether the tap was emitted, and why not.
   */
  tap(keyId: string, documentToken?: string): SimDelivery {
    if (!isId(keyId)) {
      throw new GatewayError('INPUT_INVALID', `mobile reader ${this.id}: a key id is 1–128 letters, digits or . _ : @ -`, { id: this.id, field: 'keyId' });
    }
    return this.deliver([{ kind: 'mobile', value: keyId, ...(documentToken === undefined ? {} : { documentToken }) }]);
  }
}

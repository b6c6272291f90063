/**
 * A simulated fingerprint sensor. `touch(3)` is a finger that matched template slot 3: it emits
 * `input {kind: 'fingerprint', value: '<readerId>:3', confidence}` — the value a fingerprint
 * credential is stored under (src/access/model.ts fingerprintValue).
 */
import { GatewayError } from '../../kernel/gatewayError.js';
import { checkId, type SimDelivery, type SimDeviceOptions } from './simDevice.js';
import { SimReader } from './simReader.js';

export interface SimFingerprintReaderOptions extends SimDeviceOptions {
  /** the reader id credentials name (e.g. 'lobby-fp'); default: the device id */
  readerId?: string;
}

/** Template slots a sensor holds, as in the access model. */
export const MAX_FINGERPRINT_SLOT = 65_535;

export class SimFingerprintReader extends SimReader {
  readonly readerId: string;

  constructor(options: SimFingerprintReaderOptions) {
    super(options);
    this.readerId = options.readerId ?? options.id;
  }

  /**
   * Throws GatewayError('INPUT_INVALID') when `slot` is not an integer 0–65535 or `confidence`
   * not a number 0–100. Otherwise returns whether the match was emitted, and why not.
   */
  touch(slot: number, confidence = 90): SimDelivery {
    if (!Number.isInteger(slot) || slot < 0 || slot > MAX_FINGERPRINT_SLOT) {
      throw new GatewayError('INPUT_INVALID', `fingerprint reader ${this.id}: slot must be an integer 0–${MAX_FINGERPRINT_SLOT}, got ${String(slot)}`, { id: this.id, field: 'slot' });
    }
    if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 100)) {
      throw new GatewayError('INPUT_INVALID', `fingerprint reader ${this.id}: confidence must be a number 0–100, got ${String(confidence)}`, { id: this.id, field: 'confidence' });
    }
    return this.deliver([{ kind: 'fingerprint', value: `${this.readerId}:${slot}`, confidence }]);
  }

  protected override checkOptions(): void {
    super.checkOptions();
    checkId(this.readerId, 'readerId');
  }
}

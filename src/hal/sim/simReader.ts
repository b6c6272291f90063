/**
 * The shared part of the simulated credential readers: every read is recorded, and emitted as
 * `input` only while the reader is started and not offline (a degraded reader still reads).
 */
import type { CredentialReader, CredentialReaderEvents, ReaderInput } from '../types.js';
import { SimDevice, type SimDelivery } from './simDevice.js';

export interface ReaderRecord {
  /** clock time of the read */
  at: number;
  input: ReaderInput;
  delivered: boolean;
  /** why it was not delivered */
  reason?: string;
}

export abstract class SimReader extends SimDevice<CredentialReaderEvents, ReaderRecord> implements CredentialReader {
  readonly kind = 'reader' as const;

  /** Records and emits each input in order; stops delivering if the reader goes away midway. */
  protected deliver(inputs: ReaderInput[]): SimDelivery {
    let result: SimDelivery = { delivered: true };
    for (const input of inputs) {
      const reason = this.unavailableReason();
      if (reason) {
        this.record({ at: this.clock.now(), input: { ...input }, delivered: false, reason });
        result = { delivered: false, reason };
        continue;
      }
      this.record({ at: this.clock.now(), input: { ...input }, delivered: true });
      this.emitGuarded('input', input);
    }
    return result;
  }
}

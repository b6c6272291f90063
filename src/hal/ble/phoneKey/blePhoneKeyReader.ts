/**
 * The phone-key radio as a credential reader the composition root wires like any other: it
 * serves one or more doors (one GATT service per radio; the HELLO names the door). It does not
 * know bleno: `source` hands it every BleLink a phone opens to the phone-key service (the
 * peripheral adapter implements it).
 *
 * The reader does not emit `input`: a phone must hear the verdict, so the verdict comes from the
 * `decide` port, which presents `phoneKeyInput(credentialId)` to the door's controller and
 * returns what it decided. Health: online while started, offline 'stopped' after stop().
 */
import type { BleLink } from '../bleLink.js';
import { DeviceBase, STOPPED, type DeviceBaseOptions } from '../../deviceBase.js';
import type { CredentialReader, CredentialReaderEvents, ReaderInput } from '../../types.js';
import { PhoneKeyService, type PhoneKeyServiceOptions } from './phoneKeyService.js';

/** Where phone connections come from: calls `listener` with each new link; returns the unsubscribe function. */
export interface PhoneLinkSource {
  accept(listener: (link: BleLink) => void): () => void;
}

export interface BlePhoneKeyReaderOptions extends DeviceBaseOptions, Omit<PhoneKeyServiceOptions, 'clock' | 'log'> {
  source: PhoneLinkSource;
}

/** The ReaderInput of a phone key whose signature verified. */
export function phoneKeyInput(credentialId: string): ReaderInput {
  return { kind: 'mobile', value: credentialId };
}

export class BlePhoneKeyReader extends DeviceBase<CredentialReaderEvents> implements CredentialReader {
  readonly kind = 'reader' as const;
  readonly #source: PhoneLinkSource;
  readonly #service: PhoneKeyService;
  #stopAccepting: (() => void) | null = null;

  constructor(options: BlePhoneKeyReaderOptions) {
    super(options);
    this.#source = options.source;
    this.#service = new PhoneKeyService({ ...options, log: options.log, clock: options.clock });
  }

  async start(): Promise<void> {
    if (this.#stopAccepting) return;
    this.#stopAccepting = this.#source.accept((link) => {
      if (!this.#stopAccepting) {
        void link.close().catch(() => undefined);
        return;
      }
      void this.#service.handle(link);
    });
    this.setHealth('online', 'accepting phone keys');
  }

  async stop(): Promise<void> {
    this.#stopAccepting?.();
    this.#stopAccepting = null;
    await this.#service.closeAll();
    this.setHealth('offline', STOPPED);
  }

  /** The radio's state, from whoever owns it: a reader whose radio is down is offline with the radio's reason. */
  radio(state: 'online' | 'offline', reason: string): void {
    if (this.#stopAccepting) this.setHealth(state, reason);
  }

  /** sessions whose link is open (for status and tests) */
  activeSessions(): number {
    return this.#service.activeSessions();
  }
}

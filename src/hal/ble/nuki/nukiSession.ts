/**
 * An authorized, encrypted conversation with one lock over a BleLink to its keyturner service:
 * messages go out encrypted on USDIO; what comes back on USDIO is decrypted with the shared key
 * and must carry our auth id, and the unencrypted GDIO is heard only for Error Reports (the lock
 * answers there when it cannot decrypt us). Everything else is dropped and counted through
 * `onDrop` — a value that does not authenticate can never become a confirmation.
 * The session never logs: it holds the shared key.
 */
import type { Clock } from '../../../kernel/clock.js';
import type { BleLink } from '../bleLink.js';
import { NUKI_KEYTURNER_GDIO, NUKI_KEYTURNER_USDIO, NukiCommand } from './nukiConstants.js';
import { systemRandom, type RandomBytes } from './nukiCrypto.js';
import { decodeEncrypted, decodePlain, encodeEncrypted, type NukiMessage } from './nukiFrame.js';
import { NukiInbox } from './nukiInbox.js';
import { NukiChunkedChannel } from './nukiTransport.js';

/** What pairing yields and the actuator needs. `sharedKey` is the secret: store it encrypted, never log it. */
export interface NukiCredentials {
  /** the authorization id the lock assigned */
  authId: number;
  /** the 32-byte long-term key (kdf1 of the X25519 result) */
  sharedKey: Uint8Array;
  /** the lock's X25519 public key, to recognise the lock after a reset */
  lockPublicKey: Uint8Array;
  /** the app id we paired with; sent with every lock action */
  appId: number;
}

export interface NukiSessionOptions {
  clock: Clock;
  random?: RandomBytes;
  /** called with the reason of every dropped value (for counters and debug logs) */
  onDrop?: (reason: string) => void;
}

export class NukiSession {
  readonly inbox: NukiInbox;
  private readonly usdio: NukiChunkedChannel;
  private readonly gdio: NukiChunkedChannel;
  private readonly random: RandomBytes;
  private readonly unsubscribeClose: () => void;

  constructor(private readonly link: BleLink, private readonly credentials: NukiCredentials, options: NukiSessionOptions) {
    this.random = options.random ?? systemRandom;
    const drop = options.onDrop ?? (() => undefined);
    this.inbox = new NukiInbox(options.clock, link.peer);
    this.usdio = new NukiChunkedChannel(link.channel(NUKI_KEYTURNER_USDIO), true, (frame) => {
      const decoded = decodeEncrypted(credentials.sharedKey, frame);
      if (!decoded.ok) return drop(decoded.reason);
      if (decoded.message.authId !== credentials.authId) return drop('auth_id');
      this.inbox.push(decoded.message);
    }, drop);
    this.gdio = new NukiChunkedChannel(link.channel(NUKI_KEYTURNER_GDIO), false, (frame) => {
      const decoded = decodePlain(frame);
      if (!decoded.ok) return drop(decoded.reason);
      if (decoded.message.command !== NukiCommand.ErrorReport) return drop('unexpected_plain');
      this.inbox.push(decoded.message);
    }, drop);
    this.unsubscribeClose = link.onClose((reason) => this.inbox.close(reason));
    if (link.closed) this.inbox.close('closed');
  }

  get peer(): string {
    return this.link.peer;
  }

  /** Starts a new exchange: forgets unclaimed messages and partial values. */
  begin(): void {
    this.inbox.clear();
    this.usdio.reset();
    this.gdio.reset();
  }

  send(command: number, payload: Uint8Array): Promise<void> {
    const frame = encodeEncrypted(this.credentials.sharedKey, this.credentials.authId, this.random(24), command, payload);
    return this.usdio.send(frame);
  }

  next(timeoutMs: number, waitingFor: string): Promise<NukiMessage> {
    return this.inbox.next(timeoutMs, waitingFor);
  }

  /** Stops listening (the link stays open: its owner closes it). */
  close(): void {
    this.usdio.close();
    this.gdio.close();
    this.unsubscribeClose();
    this.inbox.close('session closed');
  }
}

/**
 * The phone's side of the phone-key exchange over a BleLink (the phone is the central: it
 * writes to the message characteristic and hears notifications). `PhoneKeyConnection` is one
 * message at a time, for tests that play a misbehaving phone; `runPhoneKeyExchange` is the
 * honest phone: HELLO, check the CHALLENGE names the door it asked for, sign, RESULT.
 */
import { GatewayError } from '../../src/kernel/gatewayError.js';
import type { Clock, TimerHandle } from '../../src/kernel/clock.js';
import type { BleLink, ByteChannel } from '../../src/hal/ble/bleLink.js';
import { decodeMessage, encodeMessage, signingInput, type Challenge, type PhoneKeyMessage, type Result } from '../../src/hal/ble/phoneKey/codec.js';
import { fragment, Reassembler } from '../../src/hal/ble/phoneKey/framing.js';
import { ALGORITHMS, PHONE_KEY_MESSAGE_UUID, PROTOCOL_VERSION } from '../../src/hal/ble/phoneKey/protocol.js';
import type { PhoneKeyPair } from './phoneKeyPair.js';

type Waiter = { resolve: (m: PhoneKeyMessage) => void; reject: (e: Error) => void; timer: TimerHandle };

export class PhoneKeyConnection {
  readonly #link: BleLink;
  readonly #channel: ByteChannel;
  readonly #clock: Clock;
  readonly #reassembler: Reassembler;
  readonly #inbox: PhoneKeyMessage[] = [];
  #waiter: Waiter | null = null;
  #failure: Error | null = null;
  readonly #off: (() => void)[];

  constructor(link: BleLink, clock: Clock) {
    this.#link = link;
    this.#clock = clock;
    this.#channel = link.channel(PHONE_KEY_MESSAGE_UUID);
    this.#reassembler = new Reassembler({ timeoutMs: 2_000 });
    this.#off = [
      this.#channel.onReceive((value) => this.#onValue(value)),
      link.onClose((reason) => this.#fail(new GatewayError('DEVICE_OFFLINE', `the gateway link closed: ${reason}`, { id: link.peer }))),
    ];
  }

  /** Sends a message, fragmented to the link's value size. */
  async send(message: PhoneKeyMessage): Promise<void> {
    await this.sendRaw(fragment(encodeMessage(message), this.#channel.maxValueLength()));
  }

  /** Sends ATT values as they are (a test's garbage, a captured RESPONSE). */
  async sendRaw(values: readonly Uint8Array[]): Promise<void> {
    for (const value of values) await this.#channel.send(value);
  }

  /** The next message from the gateway; rejects with DEVICE_TIMEOUT after `timeoutMs` of the clock, DEVICE_OFFLINE when the link closes. */
  next(timeoutMs = 10_000): Promise<PhoneKeyMessage> {
    const queued = this.#inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#waiter) return Promise.reject(new GatewayError('INTERNAL', 'one next() at a time'));
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#waiter = null;
        reject(new GatewayError('DEVICE_TIMEOUT', `no message from the gateway in ${timeoutMs} ms`, { id: this.#link.peer }));
      }, timeoutMs);
      this.#waiter = { resolve, reject, timer };
    });
  }

  /** Stops listening and disconnects. */
  async close(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    await this.#link.close();
  }

  #onValue(value: Uint8Array): void {
    const step = this.#reassembler.push(value, this.#clock.now());
    if (step.kind === 'more') return;
    if (step.kind === 'error') return this.#fail(new GatewayError('INPUT_INVALID', `the gateway sent a bad fragment: ${step.reason}`, { id: this.#link.peer }));
    const decoded = decodeMessage(step.message);
    if (!decoded.ok) return this.#fail(new GatewayError('INPUT_INVALID', `the gateway sent a bad message: ${decoded.detail}`, { id: this.#link.peer }));
    const waiter = this.#waiter;
    if (!waiter) {
      this.#inbox.push(decoded.message);
      return;
    }
    this.#waiter = null;
    this.#clock.clearTimeout(waiter.timer);
    waiter.resolve(decoded.message);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    this.#clock.clearTimeout(waiter.timer);
    waiter.reject(err);
  }
}

export interface PhoneKeyExchangeOptions {
  link: BleLink;
  clock: Clock;
  key: PhoneKeyPair;
  credentialId: string;
  doorId: string;
  /** the access document to present (a compact JWS from the cloud) */
  document?: Uint8Array | undefined;
  /** per message; default 10 s */
  timeoutMs?: number;
}

export interface PhoneKeyExchangeResult {
  granted: boolean;
  reason: string;
  unlockMs?: number | undefined;
  /** the CHALLENGE answered; undefined when the gateway answered the HELLO with a RESULT */
  challenge?: Challenge | undefined;
}

/**
 * The honest phone. Resolves with the gateway's RESULT; rejects with DEVICE_TIMEOUT,
 * DEVICE_OFFLINE, or INPUT_INVALID when the gateway's bytes are bad or its CHALLENGE names
 * another door (the phone signs nothing for a door it did not ask for). Disconnects at the end.
 */
export async function runPhoneKeyExchange(options: PhoneKeyExchangeOptions): Promise<PhoneKeyExchangeResult> {
  const connection = new PhoneKeyConnection(options.link, options.clock);
  try {
    await connection.send({ type: 'hello', version: PROTOCOL_VERSION, algorithm: ALGORITHMS[options.key.algorithm], doorId: options.doorId, credentialId: options.credentialId });
    const first = await connection.next(options.timeoutMs);
    if (first.type === 'result') return resultOf(first);
    if (first.type !== 'challenge') throw new GatewayError('INPUT_INVALID', `the gateway answered HELLO with ${first.type}`);
    if (first.doorId !== options.doorId) throw new GatewayError('INPUT_INVALID', `the challenge names door ${first.doorId}, not ${options.doorId}`, { field: 'doorId' });
    const signature = options.key.sign(signingInput(first));
    await connection.send({ type: 'response', nonce: first.nonce, signature, document: options.document });
    const last = await connection.next(options.timeoutMs);
    if (last.type !== 'result') throw new GatewayError('INPUT_INVALID', `the gateway answered RESPONSE with ${last.type}`);
    return { ...resultOf(last), challenge: first };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function resultOf(result: Result): PhoneKeyExchangeResult {
  return { granted: result.granted, reason: result.reason, unlockMs: result.unlockMs };
}

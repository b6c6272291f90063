/**
 * One phone's exchange over one BleLink: HELLO → CHALLENGE → RESPONSE → RESULT, then the link
 * closes. Every path ends in exactly one outcome (`onOutcome`), and every denial the phone can
 * hear about ends in a RESULT with its reason. `decide` is reached only through a signature
 * that verified with the key `resolveKey` returned, over this connection's own unexpired nonce.
 *
 * Values after the RESPONSE are ignored until the RESULT; a second exchange on one connection is
 * `unexpected_message`. A port that does not settle within the response timer is `internal`.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import type { BleLink, ByteChannel } from '../bleLink.js';
import type { ChallengeBook } from './challengeBook.js';
import { decodeMessage, encodeMessage, MESSAGE_TYPES, signingInput, type Hello, type PhoneKeyMessage, type Response } from './codec.js';
import { fragment, Reassembler } from './framing.js';
import type { KeySource, PhoneKeyOutcome, PhoneKeyOutcomeKind, PhoneKeyPorts } from './ports.js';
import { algorithmName, DEFAULT_TIMING, PHONE_KEY_MESSAGE_UUID, PROTOCOL_VERSION, type PhoneKeyReason } from './protocol.js';
import { parsePublicKey, verifySignature } from './signatureCheck.js';

export type PhoneKeyTiming = { [K in keyof typeof DEFAULT_TIMING]: number };

export interface PhoneKeySessionOptions {
  link: BleLink;
  /** unique per gateway: binds the nonce to this connection */
  connection: string;
  gatewayId: string;
  /** the doors a HELLO may name on this radio */
  doorIds: ReadonlySet<string>;
  book: ChallengeBook;
  ports: PhoneKeyPorts;
  clock: Clock;
  timing: PhoneKeyTiming;
  log: Logger;
}

type State = 'hello' | 'response' | 'verifying' | 'done';

const ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export class PhoneKeySession {
  /** resolves with the session's one outcome */
  readonly outcome: Promise<PhoneKeyOutcome>;
  /** resolves once the link is closed and everything the session held is released */
  readonly closed: Promise<void>;
  readonly #o: PhoneKeySessionOptions;
  readonly #channel: ByteChannel;
  readonly #reassembler: Reassembler;
  readonly #unsubscribe: (() => void)[] = [];
  #state: State = 'hello';
  #timer: TimerHandle | null = null;
  #hello: Hello | undefined;
  #challenge: { nonce: Uint8Array; time: number } | undefined;
  #keySource: KeySource | undefined;
  #decided = false;
  #sending: Promise<void> = Promise.resolve();
  #resolveOutcome!: (o: PhoneKeyOutcome) => void;
  #resolveClosed!: () => void;
  #linkClosed = false;

  constructor(options: PhoneKeySessionOptions) {
    this.#o = options;
    this.#channel = options.link.channel(PHONE_KEY_MESSAGE_UUID);
    this.#reassembler = new Reassembler({ timeoutMs: options.timing.reassemblyMs });
    this.outcome = new Promise((resolve) => (this.#resolveOutcome = resolve));
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Listens to the link and waits for the HELLO. */
  start(): void {
    this.#unsubscribe.push(this.#channel.onReceive((value) => this.#onValue(value)));
    this.#unsubscribe.push(this.#o.link.onClose((reason) => this.#onClose(reason)));
    this.#arm(this.#o.timing.helloMs);
    if (this.#o.link.closed) this.#onClose('closed');
  }

  /** Ends the session now (the gateway is stopping): the phone hears nothing more. */
  async abort(): Promise<void> {
    if (this.#state !== 'done' && this.#state !== 'verifying') this.#finish('abandoned', 'link_closed', undefined, false);
    await this.#o.link.close().catch(() => undefined);
    await this.closed;
  }

  #onValue(value: Uint8Array): void {
    if (this.#state === 'verifying' || this.#state === 'done') return;
    const step = this.#reassembler.push(value, this.#o.clock.now());
    if (step.kind === 'more') return;
    if (step.kind === 'error') return this.#deny('malformed', `framing: ${step.reason}`);
    // byte 1 of a HELLO is the version in every version: a newer phone is told, not called malformed
    if (step.message[0] === MESSAGE_TYPES.hello && step.message.length > 1 && step.message[1] !== PROTOCOL_VERSION) {
      return this.#deny('unsupported_version', `version ${step.message[1]}`);
    }
    const decoded = decodeMessage(step.message);
    if (!decoded.ok) return this.#deny('malformed', decoded.detail);
    this.#onMessage(decoded.message);
  }

  #onMessage(message: PhoneKeyMessage): void {
    if (this.#state === 'hello' && message.type === 'hello') return this.#onHello(message);
    if (this.#state === 'response' && message.type === 'response') {
      this.#onResponse(message).catch((err: unknown) => {
        this.#o.log.error({ err, peer: this.#o.link.peer }, 'phone key: a port failed');
        this.#deny('internal', 'a port failed');
      });
      return;
    }
    this.#deny('unexpected_message', `${message.type} while waiting for ${this.#state}`);
  }

  #onHello(hello: Hello): void {
    if (!ID.test(hello.credentialId) || !ID.test(hello.doorId)) return this.#deny('malformed', 'door or credential id');
    this.#hello = hello;
    if (!this.#o.doorIds.has(hello.doorId)) return this.#deny('wrong_door', 'door not served here');
    if (algorithmName(hello.algorithm) === undefined) return this.#deny('wrong_algorithm', `algorithm ${hello.algorithm}`);
    const issued = this.#o.book.issue({ connection: this.#o.connection, doorId: hello.doorId });
    if (!issued.ok) return this.#deny(issued.reason, 'challenges outstanding');
    const { nonce, issuedAt } = issued.challenge;
    this.#challenge = { nonce, time: issuedAt };
    this.#state = 'response';
    this.#send({
      type: 'challenge',
      version: PROTOCOL_VERSION,
      nonce,
      gatewayId: this.#o.gatewayId,
      doorId: hello.doorId,
      time: issuedAt,
      expiresInS: Math.floor(this.#o.book.ttlMs / 1000),
    });
    this.#arm(this.#o.book.ttlMs + this.#o.timing.responseGraceMs);
  }

  async #onResponse(response: Response): Promise<void> {
    this.#state = 'verifying';
    const hello = this.#hello!;
    const challenge = this.#challenge!;
    const redeemed = this.#o.book.redeem(response.nonce, { connection: this.#o.connection, doorId: hello.doorId });
    if (!redeemed.ok) return this.#deny(redeemed.reason, 'nonce');
    const request = { credentialId: hello.credentialId, doorId: hello.doorId, document: response.document };
    const resolved = await this.#o.ports.resolveKey(request);
    if (this.#state !== 'verifying') return this.#late('resolveKey');
    // resolveKey's own reasons (credential_pending, document_invalid, ...) pass through
    if (!resolved.ok) return this.#finish('denied', resolved.reason, undefined, true);
    this.#keySource = resolved.source;
    const parsed = parsePublicKey(resolved.publicKeySpkiB64);
    if (!parsed.ok) return this.#deny('key_invalid', parsed.detail);
    if (algorithmName(hello.algorithm) !== parsed.key.algorithm) return this.#deny('wrong_algorithm', `the key is ${parsed.key.algorithm}`);
    const signed = signingInput({ nonce: challenge.nonce, gatewayId: this.#o.gatewayId, doorId: hello.doorId, time: challenge.time });
    if (!verifySignature(parsed.key, signed, response.signature)) return this.#deny('bad_signature', 'signature');
    this.#decided = true;
    const decision = await this.#o.ports.decide({ ...request, keySource: resolved.source });
    if (this.#state !== 'verifying') return this.#late('decide', decision.grant);
    this.#finish(decision.grant ? 'granted' : 'denied', decision.reason, decision.grant ? decision.unlockMs : undefined, true);
  }

  #late(port: string, grant?: boolean): void {
    this.#o.log.error({ peer: this.#o.link.peer, port, grant }, 'phone key: a port settled after the session timed out');
  }

  #deny(reason: PhoneKeyReason, detail: string): void {
    this.#o.log.debug({ peer: this.#o.link.peer, reason, detail }, 'phone key denied');
    this.#finish('denied', reason, undefined, true);
  }

  #finish(kind: PhoneKeyOutcomeKind, reason: string, unlockMs: number | undefined, tellPhone: boolean): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#clearTimer();
    const outcome: PhoneKeyOutcome = {
      doorId: this.#hello?.doorId,
      credentialId: this.#hello?.credentialId,
      outcome: kind,
      reason,
      peer: this.#o.link.peer,
      keySource: this.#keySource,
      decided: this.#decided,
      at: this.#o.clock.now(),
    };
    try {
      this.#o.ports.onOutcome(outcome);
    } catch (err) {
      this.#o.log.error({ err }, 'phone key: onOutcome threw; the session carries on');
    }
    this.#resolveOutcome(outcome);
    if (this.#linkClosed) return this.#release();
    if (tellPhone) this.#send({ type: 'result', granted: kind === 'granted', reason, unlockMs });
    // the phone disconnects after the RESULT; a phone that does not is disconnected
    void this.#sending.then(() => {
      if (!this.#linkClosed) this.#arm(this.#o.timing.lingerMs);
    });
  }

  #send(message: PhoneKeyMessage): void {
    this.#sending = this.#sending.then(async () => {
      try {
        for (const value of fragment(encodeMessage(message), this.#channel.maxValueLength())) await this.#channel.send(value);
      } catch (err) {
        if (!this.#linkClosed) this.#o.log.warn({ err, peer: this.#o.link.peer }, 'phone key: a send failed; closing the link');
        await this.#o.link.close().catch(() => undefined);
      }
    });
  }

  #arm(ms: number): void {
    this.#clearTimer();
    this.#timer = this.#o.clock.setTimeout(() => this.#onTimer(), ms);
  }

  #onTimer(): void {
    this.#timer = null;
    if (this.#state === 'hello' || this.#state === 'response') this.#finish('abandoned', 'timeout', undefined, true);
    else if (this.#state === 'verifying') this.#deny('internal', 'a port did not settle in time');
    else void this.#o.link.close().catch(() => undefined);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #onClose(reason: string): void {
    if (this.#linkClosed) return;
    this.#linkClosed = true;
    this.#o.log.debug({ peer: this.#o.link.peer, reason }, 'phone key link closed');
    // a decision under way still ends in its own outcome (the door may already be released)
    if (this.#state === 'verifying') return;
    if (this.#state !== 'done') this.#finish('abandoned', 'link_closed', undefined, false);
    else this.#release();
  }

  #release(): void {
    this.#clearTimer();
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#o.book.release(this.#o.connection);
    this.#resolveClosed();
  }
}

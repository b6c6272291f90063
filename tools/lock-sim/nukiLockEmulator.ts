/**
 * The lock side of the Nuki Smart Lock Bluetooth API over any BleLink (the memory pair in
 * protocol tests; bleno through lockSimServer.ts in `lockgw lock-sim` and the end-to-end tests):
 * pairing mode on or off, its own X25519 key pair, a table of
 * authorizations, and a lock whose motor takes `motorMs` on the injected Clock. Battery and door
 * sensor are settable; `faults` makes it answer late, stop answering, corrupt its replies, reject
 * lock actions with an error code, or fall silent after accepting one. `actions()` records every
 * lock action it executed, and `events` tells of each one as it happens (`action`, `paired`,
 `pairingMode`). Transport-agnostic: it sees only BleLink channels.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../src/kernel/clock.js';
import type { BleLink } from '../../src/hal/ble/bleLink.js';
import {
  NUKI_KEYTURNER_GDIO, NUKI_KEYTURNER_USDIO, NUKI_PAIRING_GDIO, NukiCommand, NukiLockAction, NukiStatus,
  type NukiDoorSensorState, type NukiLockActionName, type NukiLockState,
} from '../../src/hal/ble/nuki/nukiConstants.js';
import { nukiKeyPair, systemRandom, type NukiKeyPair, type RandomBytes } from '../../src/hal/ble/nuki/nukiCrypto.js';
import { decodeEncrypted, decodePlain, encodeEncrypted, encodePlain, encryptedAuthId, readU16, type NukiMessage } from '../../src/hal/ble/nuki/nukiFrame.js';
import { decodeLockAction, encodeErrorReport, encodeKeyturnerStates, type NukiBattery, type NukiKeyturnerStates } from '../../src/hal/ble/nuki/nukiMessages.js';
import { NukiChunkedChannel } from '../../src/hal/ble/nuki/nukiTransport.js';
import { PairingResponder, type EmulatedAuthorization } from './pairingResponder.js';

export interface NukiLockFaults {
  /** every reply is sent this many ms late */
  delayMs: number;
  /** no replies at all */
  silent: boolean;
  /** one byte of every reply is flipped */
  corrupt: boolean;
  /** every lock action is refused with this error code */
  rejectWith: number | null;
  /** replies stop after the ACCEPTED of a lock action (the motor still runs) */
  silentAfterAccept: boolean;
}

export interface NukiLockEmulatorOptions {
  clock: Clock;
  random?: RandomBytes;
  pairingMode?: boolean;
  lockState?: NukiLockState;
  battery?: NukiBattery;
  doorSensor?: NukiDoorSensorState;
  /** the motor's run for lock, unlock and unlatch; default 1,500 */
  motorMs?: number;
  /** how long an unlatched lock holds the latch before resting unlocked; default 1,000 */
  unlatchHoldMs?: number;
}

export interface NukiLockActionRecord {
  action: NukiLockActionName;
  appId: number;
  at: number;
}

export type NukiLockEmulatorEvents = {
  /** a lock action the motor finished (what `actions()` records) */
  action: [NukiLockActionRecord];
  /** a client completed pairing */
  paired: [{ authId: number; appId: number; name: string }];
  /** pairing mode was switched on or off */
  pairingMode: [boolean];
};

const MOVING: Record<NukiLockActionName, [NukiLockState, NukiLockState]> = {
  unlock: ['unlocking', 'unlocked'],
  lock: ['locking', 'locked'],
  unlatch: ['unlatching', 'unlatched'],
};
const K_ERROR_NOT_AUTHORIZED = 0x20;
const K_ERROR_BAD_NONCE = 0x22;
const K_ERROR_BAD_PARAMETER = 0x23;
const K_ERROR_BUSY = 0x45;

export class NukiLockEmulator {
  readonly faults: NukiLockFaults = { delayMs: 0, silent: false, corrupt: false, rejectWith: null, silentAfterAccept: false };
  readonly keyPair: NukiKeyPair;
  readonly uuid: Uint8Array;
  readonly authorizations = new Map<number, EmulatedAuthorization>();
  /** emitted synchronously; a listener must not throw */
  readonly events = new EventEmitter<NukiLockEmulatorEvents>();
  private readonly clock: Clock;
  private readonly random: RandomBytes;
  private pairing: boolean;
  private lockState: NukiLockState;
  private battery: NukiBattery;
  private door: NukiDoorSensorState;
  private readonly motorMs: number;
  private readonly unlatchHoldMs: number;
  private readonly executed: NukiLockActionRecord[] = [];
  private moving = false;
  private muted = false;
  private nextId = 1;
  private readonly timers = new Set<TimerHandle>();

  constructor(options: NukiLockEmulatorOptions) {
    this.clock = options.clock;
    this.random = options.random ?? systemRandom;
    this.keyPair = nukiKeyPair(this.random);
    this.uuid = this.random(16);
    this.pairing = options.pairingMode ?? false;
    this.lockState = options.lockState ?? 'locked';
    this.battery = options.battery ?? { percent: 80, critical: false, charging: false };
    this.door = options.doorSensor ?? 'closed';
    this.motorMs = options.motorMs ?? 1500;
    this.unlatchHoldMs = options.unlatchHoldMs ?? 1000;
  }

  state(): NukiLockState { return this.lockState; }
  actions(): NukiLockActionRecord[] { return this.executed.map((a) => ({ ...a })); }
  pairingMode(): boolean { return this.pairing; }
  setPairingMode(on: boolean): void {
    if (this.pairing === on) return;
    this.pairing = on;
    this.events.emit('pairingMode', on);
  }
  setBattery(percent: number, critical = false): void { this.battery = { percent, critical, charging: false }; }
  setDoor(state: NukiDoorSensorState): void { this.door = state; }
  /** moves the bolt by hand (a key from outside, the knob inside) */
  turnByHand(state: NukiLockState): void { this.lockState = state; }

  keyturnerStates(): NukiKeyturnerStates {
    const t = new Date(this.clock.now()).toISOString();
    return { nukiState: 2, lockState: this.lockState, trigger: 'system', currentTime: t, timezoneOffsetMin: 0, battery: { ...this.battery }, doorSensor: this.door };
  }

  /** Serves one connection; returns the function that stops serving it. */
  attach(link: BleLink): () => void {
    const responder = new PairingResponder({
      keyPair: this.keyPair,
      uuid: this.uuid,
      random: this.random,
      pairingMode: () => this.pairing,
      nextAuthId: (appId) => [...this.authorizations.values()].find((a) => a.appId === appId && appId !== 0)?.authId ?? this.nextId++,
      authorize: (a) => {
        this.authorizations.set(a.authId, a);
        this.events.emit('paired', { authId: a.authId, appId: a.appId, name: a.name });
      },
    });
    const challenges = new Map<number, Uint8Array>();
    const pairingGdio: NukiChunkedChannel = new NukiChunkedChannel(link.channel(NUKI_PAIRING_GDIO), false, (frame) => {
      const decoded = decodePlain(frame);
      const replies = decoded.ok ? responder.handle(decoded.message) : [this.plainError(decoded.reason === 'crc' ? 0xfd : 0xfe, readU16(frame, 0))];
      for (const r of replies) this.reply(pairingGdio, encodePlain(r.command, r.payload));
    }, () => undefined);
    const keyturnerGdio = new NukiChunkedChannel(link.channel(NUKI_KEYTURNER_GDIO), false, () => undefined, () => undefined);
    const usdio: NukiChunkedChannel = new NukiChunkedChannel(link.channel(NUKI_KEYTURNER_USDIO), true, (frame) => {
      const authId = encryptedAuthId(frame) ?? 0;
      const auth = this.authorizations.get(authId);
      const decoded = auth ? decodeEncrypted(auth.sharedKey, frame) : undefined;
      if (!auth || !decoded?.ok) {
        const notAuthorized = this.plainError(K_ERROR_NOT_AUTHORIZED, NukiCommand.RequestData);
        return this.reply(keyturnerGdio, encodePlain(notAuthorized.command, notAuthorized.payload));
      }
      const send = (m: NukiMessage) => this.reply(usdio, encodeEncrypted(auth.sharedKey, auth.authId, this.random(24), m.command, m.payload));
      this.keyturner(auth, decoded.message, challenges, send);
    }, () => undefined);
    return () => { pairingGdio.close(); keyturnerGdio.close(); usdio.close(); };
  }

  /** Cancels the motor's pending timers (test teardown). */
  dispose(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private keyturner(auth: EmulatedAuthorization, message: NukiMessage, challenges: Map<number, Uint8Array>, send: (m: NukiMessage) => void): void {
    const error = (code: number) => send({ command: NukiCommand.ErrorReport, payload: encodeErrorReport({ code, command: message.command }) });
    if (message.command === NukiCommand.RequestData && message.payload.length === 2) {
      const wanted = readU16(message.payload, 0);
      if (wanted === NukiCommand.KeyturnerStates) return send(this.statesMessage());
      if (wanted === NukiCommand.Challenge) {
        const nonce = this.random(32);
        challenges.set(auth.authId, nonce);
        return send({ command: NukiCommand.Challenge, payload: nonce });
      }
      return error(K_ERROR_BAD_PARAMETER);
    }
    if (message.command !== NukiCommand.LockAction) return error(K_ERROR_BAD_PARAMETER);
    const request = decodeLockAction(message.payload);
    const expected = challenges.get(auth.authId);
    challenges.delete(auth.authId);
    if (!request) return error(K_ERROR_BAD_PARAMETER);
    if (!expected || Buffer.compare(expected, request.nonce) !== 0) return error(K_ERROR_BAD_NONCE);
    const name = (Object.keys(NukiLockAction) as NukiLockActionName[]).find((k) => NukiLockAction[k] === request.action);
    if (!name) return error(K_ERROR_BAD_PARAMETER);
    if (this.faults.rejectWith !== null) return error(this.faults.rejectWith);
    if (this.moving) return error(K_ERROR_BUSY);
    send({ command: NukiCommand.Status, payload: Uint8Array.of(NukiStatus.accepted) });
    if (this.faults.silentAfterAccept) this.muted = true;
    this.run(name, request.appId, send);
  }

  private run(action: NukiLockActionName, appId: number, send: (m: NukiMessage) => void): void {
    const [during, after] = MOVING[action];
    this.moving = true;
    this.lockState = during;
    send(this.statesMessage());
    this.later(this.motorMs, () => {
      this.moving = false;
      this.lockState = after;
      const record = { action, appId, at: this.clock.now() };
      this.executed.push(record);
      this.events.emit('action', { ...record });
      send(this.statesMessage());
      send({ command: NukiCommand.Status, payload: Uint8Array.of(NukiStatus.complete) });
      this.muted = false;
      if (action === 'unlatch') this.later(this.unlatchHoldMs, () => { if (this.lockState === 'unlatched') this.lockState = 'unlocked'; });
    });
  }

  private statesMessage(): NukiMessage {
    return { command: NukiCommand.KeyturnerStates, payload: encodeKeyturnerStates(this.keyturnerStates()) };
  }

  private plainError(code: number, command: number): NukiMessage {
    return { command: NukiCommand.ErrorReport, payload: encodeErrorReport({ code, command }) };
  }

  private later(ms: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => { this.timers.delete(handle); fn(); }, ms);
    this.timers.add(handle);
  }

  private reply(channel: NukiChunkedChannel, frame: Uint8Array): void {
    if (this.faults.silent || this.muted) return;
    const bytes = Uint8Array.from(frame);
    if (this.faults.corrupt) bytes[Math.floor(bytes.length / 2)]! ^= 0x5a;
    const go = () => { channel.send(bytes).catch(() => undefined); };
    if (this.faults.delayMs > 0) this.later(this.faults.delayMs, go);
    else go();
  }
}

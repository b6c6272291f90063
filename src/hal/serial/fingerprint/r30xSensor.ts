/**
 * An R30x / R50x fingerprint module (R307, R503, AS608 clones) as a CredentialReader.
 *
 * start() verifies the module password (VfyPwd). A wrong password makes the reader `offline`
 * ("sensor password rejected") and it stops talking to the module until the link reopens — it
 * never retries in a loop. Then every `pollMs` (clock timers) it asks for an image (GenImg);
 * when a finger is there: Img2Tz into buffer 1, Search the library, and — with `confirmMatch`
 * (default) — Search again, requiring the same slot and score, so one corrupted reply that
 * slipped past the 16-bit checksum cannot name a slot. A match with score >= `matchThreshold`
 * emits `input` {kind: 'fingerprint', value: '<readerId>:<slot>', confidence: score}; a lower
 * score is counted and logged as rejected and emits nothing. After a read the reader waits for
 * the finger to be lifted before reading again.
 *
 * One command is outstanding at a time (a promise chain). Each waits `responseTimeoutMs` for an
 * acknowledgement of the expected length; anything else on the wire is dropped and counted. A
 * timeout rejects DEVICE_TIMEOUT, discards any partial packet, makes the reader `degraded`, and
 * after `offlineAfterTimeouts` in a row `offline`; it then re-verifies the password on the next
 * poll and is `online` again when the module answers.
 *
 * enroll(slot) / deleteSlot(slot) / templateCount() are for the installer; polling pauses during
 * an enrolment. `diagnostics` emits what each poll saw (`scan`) and enrolment progress.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError, type GatewayErrorCode } from '../../../kernel/gatewayError.js';
import type { CredentialReader, CredentialReaderEvents, Health } from '../../types.js';
import type { SerialLink } from '../serialLink.js';
import {
  R30X_DEFAULT_ADDRESS, R30X_DEFAULT_PASSWORD, R30X_ENROLL_MISMATCH, R30X_NO_FINGER, R30X_NOT_FOUND, R30X_OK,
  R30X_WRONG_PASSWORD, R30xPacketStream, confirmationName, encodeR30xCommand, type R30xInstruction, type R30xPacket,
} from './r30xPacket.js';

export interface R30xSensorOptions {
  id: string;
  /** opened at R30X_BAUD_RATE (57600); the sensor owns its lifecycle */
  link: SerialLink;
  clock: Clock;
  logger: Logger;
  /** default 0x00000000 */
  password?: number;
  /** default 0xFFFFFFFF */
  address?: number;
  /** library slots searched and accepted: 200 on an R503, 1000 on an R307. Default 200 */
  capacity?: number;
  /** default 300 */
  pollMs?: number;
  /** default 2000 */
  responseTimeoutMs?: number;
  /** default 3 */
  offlineAfterTimeouts?: number;
  /** the lowest Search score that counts as a match. Default 50 */
  matchThreshold?: number;
  /** search twice and require identical answers. Default true */
  confirmMatch?: boolean;
  /** how long an enrolment waits for each placement or lift. Default 20,000 */
  enrollTimeoutMs?: number;
}

export type R30xScan =
  | { result: 'verified' | 'password-rejected' | 'no-finger' | 'held' | 'not-found' | 'unconfirmed' | 'offline' }
  | { result: 'match'; slot: number; score: number }
  | { result: 'rejected'; score: number }
  | { result: 'bad-image' | 'refused'; code: number }
  | { result: 'error'; code: GatewayErrorCode | 'BUG'; message: string };

export type R30xEnrollStep = 'place' | 'lift' | 'place-again' | 'stored';

export type R30xDiagnosticEvents = {
  /** what one poll cycle saw */
  scan: [R30xScan];
  /** enrolment progress, with the slot */
  enroll: [R30xEnrollStep, number];
  /** an enrolment is waiting `ms` on the clock before asking for an image again */
  waiting: [number];
};

export interface R30xStats {
  commandsSent: number;
  timeouts: number;
  matches: number;
  rejectedMatches: number;
  notFound: number;
  unconfirmed: number;
  droppedBytes: number;
  unexpectedPackets: number;
  /** a command is waiting for its acknowledgement */
  awaitingResponse: boolean;
}

interface Ack { code: number; data: Buffer }
interface Pending { instruction: R30xInstruction; resolve(ack: Ack): void; reject(err: Error): void; timer: TimerHandle }

/** acknowledgement payload length (confirmation code included) when the code is 0 */
const ACK_LENGTH: Record<R30xInstruction, number> = { VfyPwd: 1, GenImg: 1, Img2Tz: 1, Search: 5, RegModel: 1, Store: 1, DeletChar: 1, TemplateNum: 3 };
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export class R30xSensor extends EventEmitter<CredentialReaderEvents> implements CredentialReader {
  readonly kind = 'reader' as const;
  readonly id: string;
  readonly diagnostics = new EventEmitter<R30xDiagnosticEvents>();
  private readonly o: Required<Omit<R30xSensorOptions, 'id' | 'link' | 'clock' | 'logger'>>;
  private readonly log: Logger;
  private readonly stream: R30xPacketStream;
  private current: Health;
  private started = false;
  private starting = false;
  private phase: 'handshake' | 'polling' | 'rejected' = 'handshake';
  private chain: Promise<unknown> = Promise.resolve();
  private pending: Pending | null = null;
  private tickTimer: TimerHandle | null = null;
  private cycling: Promise<void> | null = null;
  private enrolling = false;
  private sleeper: { timer: TimerHandle; wake(): void } | null = null;
  private awaitingLift = false;
  private consecutiveTimeouts = 0;
  private readonly counters = { commandsSent: 0, timeouts: 0, matches: 0, rejectedMatches: 0, notFound: 0, unconfirmed: 0, droppedBytes: 0, unexpectedPackets: 0 };

  constructor(private readonly options: R30xSensorOptions) {
    super();
    this.id = options.id;
    this.o = {
      password: options.password ?? R30X_DEFAULT_PASSWORD,
      address: options.address ?? R30X_DEFAULT_ADDRESS,
      capacity: options.capacity ?? 200,
      pollMs: options.pollMs ?? 300,
      responseTimeoutMs: options.responseTimeoutMs ?? 2000,
      offlineAfterTimeouts: options.offlineAfterTimeouts ?? 3,
      matchThreshold: options.matchThreshold ?? 50,
      confirmMatch: options.confirmMatch ?? true,
      enrollTimeoutMs: options.enrollTimeoutMs ?? 20_000,
    };
    const bad = (field: string, why: string) => new GatewayError('CONFIG_INVALID', `fingerprint reader ${options.id}: ${field} ${why}`, { id: options.id, field });
    const { capacity, pollMs, responseTimeoutMs, offlineAfterTimeouts, matchThreshold, enrollTimeoutMs, password, address } = this.o;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0xffff) throw bad('capacity', 'must be 1..65535');
    for (const [field, value] of Object.entries({ pollMs, responseTimeoutMs, offlineAfterTimeouts, enrollTimeoutMs })) {
      if (!Number.isFinite(value) || value <= 0) throw bad(field, 'must be positive');
    }
    if (!Number.isFinite(matchThreshold) || matchThreshold < 0 || matchThreshold > 0xffff) throw bad('matchThreshold', 'must be 0..65535');
    for (const [field, value] of Object.entries({ password, address })) {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw bad(field, 'must be a 32-bit unsigned integer');
    }
    this.log = options.logger.child({ module: 'hal:r30x', reader: options.id });
    this.stream = new R30xPacketStream({ address: this.o.address, maxPayload: 16 });
    this.current = { state: 'offline', reason: 'not started', since: options.clock.now() };
  }

  health(): Health {
    return this.current;
  }

  stats(): R30xStats {
    return { ...this.counters, awaitingResponse: this.pending !== null };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.phase = 'handshake';
    this.consecutiveTimeouts = 0;
    const { link } = this.options;
    link.on('data', this.onData);
    link.on('health', this.onLinkHealth);
    link.on('open', this.onOpen);
    this.starting = true;
    try {
      await link.start();
    } finally {
      this.starting = false;
    }
    if (link.isOpen) await this.runCycle();
    else {
      this.setHealth('offline', link.health().reason);
      this.scheduleTick();
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.options.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.wake();
    this.failPending(new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id} stopped`, { id: this.id }));
    const { link } = this.options;
    link.off('data', this.onData);
    link.off('health', this.onLinkHealth);
    link.off('open', this.onOpen);
    await link.stop();
    await this.cycling;
    this.setHealth('offline', 'stopped');
  }

  /** Captures the finger twice (place, lift, place again), merges and stores it at `slot`. */
  async enroll(slot: number): Promise<void> {
    this.assertSlot(slot);
    this.assertReady();
    if (this.enrolling) throw new GatewayError('DEVICE_ERROR', `fingerprint reader ${this.id} is already enrolling`, { id: this.id });
    this.enrolling = true;
    this.options.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    try {
      await this.cycling;
      this.assertReady();
      this.step('place', slot);
      await this.waitForFinger(true);
      await this.capture(1);
      this.step('lift', slot);
      await this.waitForFinger(false);
      this.step('place-again', slot);
      await this.waitForFinger(true);
      await this.capture(2);
      const merged = await this.command('RegModel');
      if (merged.code === R30X_ENROLL_MISMATCH) throw this.refused('the two captures are not the same finger', merged.code);
      if (merged.code !== R30X_OK) throw this.refused('could not merge the captures', merged.code);
      const stored = await this.command('Store', [1, ...u16(slot)]);
      if (stored.code !== R30X_OK) throw this.refused(`could not store slot ${slot}`, stored.code);
      this.log.info({ slot }, 'template enrolled');
      this.step('stored', slot);
    } finally {
      this.enrolling = false;
      this.awaitingLift = true;
      this.scheduleTick();
    }
  }

  async deleteSlot(slot: number): Promise<void> {
    this.assertSlot(slot);
    this.assertReady();
    const ack = await this.command('DeletChar', [...u16(slot), ...u16(1)]);
    if (ack.code !== R30X_OK) throw this.refused(`could not delete slot ${slot}`, ack.code);
    this.log.info({ slot }, 'template deleted');
  }

  async templateCount(): Promise<number> {
    this.assertReady();
    const ack = await this.command('TemplateNum');
    if (ack.code !== R30X_OK) throw this.refused('could not count templates', ack.code);
    return ack.data.readUInt16BE(0);
  }

  // ---- the poll loop ----

  private scheduleTick(): void {
    if (!this.started || this.tickTimer || this.cycling || this.enrolling || this.phase === 'rejected') return;
    this.tickTimer = this.options.clock.setTimeout(() => {
      this.tickTimer = null;
      if (!this.cycling && !this.enrolling && this.phase !== 'rejected') void this.runCycle();
    }, this.o.pollMs);
  }

  private async runCycle(): Promise<void> {
    this.cycling = (async () => {
      let scan: R30xScan;
      try {
        if (!this.options.link.isOpen) scan = { result: 'offline' };
        else scan = this.phase === 'handshake' ? await this.handshake() : await this.identify();
      } catch (err) {
        scan = err instanceof GatewayError ? { result: 'error', code: err.code, message: err.message } : { result: 'error', code: 'BUG', message: String(err) };
        if (!(err instanceof GatewayError)) this.log.error({ err }, 'poll cycle failed');
      }
      this.emitGuarded(this.diagnostics, 'scan', scan);
    })();
    await this.cycling;
    this.cycling = null;
    this.scheduleTick();
  }

  private async handshake(): Promise<R30xScan> {
    const ack = await this.command('VfyPwd', u32(this.o.password));
    if (ack.code === R30X_OK) {
      this.phase = 'polling';
      this.awaitingLift = false;
      this.setHealth('online', 'sensor answered and accepted the password');
      return { result: 'verified' };
    }
    if (ack.code === R30X_WRONG_PASSWORD) {
      this.phase = 'rejected';
      this.options.clock.clearTimeout(this.tickTimer);
      this.tickTimer = null;
      this.setHealth('offline', 'sensor password rejected');
      return { result: 'password-rejected' };
    }
    this.setHealth('degraded', `password check failed: ${confirmationName(ack.code)}`);
    return { result: 'refused', code: ack.code };
  }

  private async identify(): Promise<R30xScan> {
    const image = await this.command('GenImg');
    if (image.code === R30X_NO_FINGER) {
      this.awaitingLift = false;
      return { result: 'no-finger' };
    }
    if (image.code !== R30X_OK) return { result: 'bad-image', code: image.code };
    if (this.awaitingLift) return { result: 'held' };
    const features = await this.command('Img2Tz', [1]);
    if (features.code !== R30X_OK) return { result: 'bad-image', code: features.code };
    const first = await this.search();
    if (first.code === R30X_NOT_FOUND) {
      this.awaitingLift = true;
      this.counters.notFound++;
      this.log.info('finger not in the library');
      return { result: 'not-found' };
    }
    if (first.code !== R30X_OK) return { result: 'refused', code: first.code };
    if (this.o.confirmMatch) {
      const second = await this.search();
      if (second.code !== R30X_OK || second.slot !== first.slot || second.score !== first.score) {
        this.counters.unconfirmed++;
        this.log.warn('two searches of the same capture disagreed; no read');
        return { result: 'unconfirmed' };
      }
    }
    this.awaitingLift = true;
    const { slot, score } = first;
    if (score < this.o.matchThreshold) {
      this.counters.rejectedMatches++;
      this.log.info({ score, threshold: this.o.matchThreshold }, 'match below the threshold rejected');
      return { result: 'rejected', score };
    }
    this.counters.matches++;
    this.log.debug({ score }, 'finger matched');
    this.emitGuarded(this, 'input', { kind: 'fingerprint', value: `${this.id}:${slot}`, confidence: score });
    return { result: 'match', slot, score };
  }

  private async search(): Promise<{ code: number; slot: number; score: number }> {
    const ack = await this.command('Search', [1, ...u16(0), ...u16(this.o.capacity)]);
    if (ack.code !== R30X_OK) return { code: ack.code, slot: -1, score: 0 };
    const slot = ack.data.readUInt16BE(0);
    // a slot outside what we searched is a protocol error, never a read
    if (slot >= this.o.capacity) return { code: 0x01, slot: -1, score: 0 };
    return { code: R30X_OK, slot, score: ack.data.readUInt16BE(2) };
  }

  private async waitForFinger(present: boolean): Promise<void> {
    const deadline = this.options.clock.now() + this.o.enrollTimeoutMs;
    for (;;) {
      const image = await this.command('GenImg');
      if (present ? image.code === R30X_OK : image.code === R30X_NO_FINGER) return;
      if (this.options.clock.now() >= deadline) {
        throw new GatewayError('DEVICE_TIMEOUT', present ? 'no finger was placed on the sensor in time' : 'the finger was not lifted in time', { id: this.id });
      }
      await new Promise<void>((wake) => {
        this.sleeper = { timer: this.options.clock.setTimeout(() => this.wake(), this.o.pollMs), wake };
        this.emitGuarded(this.diagnostics, 'waiting', this.o.pollMs);
      });
    }
  }

  private async capture(buffer: 1 | 2): Promise<void> {
    const ack = await this.command('Img2Tz', [buffer]);
    if (ack.code !== R30X_OK) throw this.refused('capture failed', ack.code);
  }

  // ---- one command at a time ----

  private command(instruction: R30xInstruction, params: number[] = []): Promise<Ack> {
    const run = () => this.transact(instruction, params);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private transact(instruction: R30xInstruction, params: number[]): Promise<Ack> {
    if (!this.started) return Promise.reject(new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id} is stopped`, { id: this.id }));
    if (!this.options.link.isOpen) return Promise.reject(new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id}: ${this.options.link.health().reason}`, { id: this.id }));
    return new Promise<Ack>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => this.timedOut(), this.o.responseTimeoutMs);
      this.pending = { instruction, resolve, reject, timer };
      this.counters.commandsSent++;
      this.options.link.write(encodeR30xCommand(instruction, params, this.o.address)).catch((err: Error) => this.failPending(err));
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    const { items: packets, dropped } = this.stream.push(chunk);
    const droppedBytes = Object.values(dropped).reduce((a, b) => a + b, 0);
    if (droppedBytes) {
      this.counters.droppedBytes += droppedBytes;
      this.log.debug({ dropped }, 'dropped bytes that were not a valid packet');
    }
    for (const packet of packets) this.onPacket(packet);
  };

  private onPacket(packet: R30xPacket): void {
    const p = this.pending;
    const { payload } = packet;
    const fits = p && packet.type === 'ack' && (payload.length === ACK_LENGTH[p.instruction] || (payload.length === 1 && payload[0] !== R30X_OK));
    if (!p || !fits) {
      this.counters.unexpectedPackets++;
      this.log.debug({ type: packet.type, length: payload.length }, 'dropped a packet nobody was waiting for');
      return;
    }
    this.options.clock.clearTimeout(p.timer);
    this.pending = null;
    this.consecutiveTimeouts = 0;
    if (this.phase === 'polling' && this.current.state !== 'online') this.setHealth('online', 'sensor answering again');
    p.resolve({ code: payload[0]!, data: payload.subarray(1) });
  }

  private timedOut(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.counters.droppedBytes += this.stream.reset();
    this.counters.timeouts++;
    this.consecutiveTimeouts++;
    const n = this.consecutiveTimeouts;
    if (n >= this.o.offlineAfterTimeouts) {
      if (this.phase === 'polling') this.phase = 'handshake';
      this.setHealth('offline', `no answer from the sensor (${n} timeouts in a row)`);
    } else {
      this.setHealth('degraded', `sensor did not answer ${p.instruction} within ${this.o.responseTimeoutMs} ms`);
    }
    p.reject(new GatewayError('DEVICE_TIMEOUT', `fingerprint reader ${this.id}: no answer to ${p.instruction} within ${this.o.responseTimeoutMs} ms`, { id: this.id }));
  }

  private failPending(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.options.clock.clearTimeout(p.timer);
    p.reject(err);
  }

  private readonly onLinkHealth = (health: Health): void => {
    if (health.state === 'online') return; // online once the password check passes
    this.setHealth('offline', health.reason);
    this.stream.reset();
    this.failPending(new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id}: ${health.reason}`, { id: this.id }));
  };

  private readonly onOpen = (): void => {
    if (this.starting) return; // start() checks the password itself
    this.phase = 'handshake';
    this.consecutiveTimeouts = 0;
    this.stream.reset();
    this.scheduleTick();
  };

  // ---- helpers ----

  private wake(): void {
    const s = this.sleeper;
    if (!s) return;
    this.sleeper = null;
    this.options.clock.clearTimeout(s.timer);
    s.wake();
  }

  private assertReady(): void {
    if (!this.started || this.phase !== 'polling' || !this.options.link.isOpen) {
      throw new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id} is not ready: ${this.current.reason}`, { id: this.id });
    }
  }

  private assertSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.o.capacity) {
      throw new GatewayError('INPUT_INVALID', `slot must be 0..${this.o.capacity - 1}, got ${slot}`, { id: this.id, field: 'slot' });
    }
  }

  private refused(what: string, code: number): GatewayError {
    return new GatewayError('DEVICE_ERROR', `fingerprint reader ${this.id}: ${what} (${confirmationName(code)})`, { id: this.id });
  }

  private step(step: R30xEnrollStep, slot: number): void {
    this.emitGuarded(this.diagnostics, 'enroll', step, slot);
  }

  private setHealth(state: Health['state'], reason: string): void {
    if (this.current.state === state && this.current.reason === reason) return;
    this.current = { state, reason, since: this.options.clock.now() };
    if (state === 'online') this.log.info(reason);
    else this.log.warn({ state }, reason);
    this.emitGuarded(this, 'health', this.current);
  }

  private emitGuarded<E extends Record<keyof E, unknown[]>, K extends keyof E>(emitter: EventEmitter<E>, event: K, ...args: E[K]): void {
    for (const listener of (emitter as unknown as EventEmitter).listeners(event as string) as ((...a: E[K]) => void)[]) {
      try {
        listener(...args);
      } catch (err) {
        this.log.error({ err, event }, 'a fingerprint reader listener threw; the reader carries on');
      }
    }
  }
}

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
 *
 * The command queue is r30xCommandQueue.ts, the enrolment flow r30xEnrolment.ts, the options
 * r30xSensorOptions.ts. The reader's phase is one value: stopped, handshake (the password is to
 * be verified), polling, or rejected (wrong password: silent until the link reopens).
 */
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import { guardedEmit } from '../../../kernel/guardedEmit.js';
import { DeviceBase, STOPPED } from '../../deviceBase.js';
import type { CredentialReader, CredentialReaderEvents, Health } from '../../types.js';
import { R30X_NO_FINGER, R30X_NOT_FOUND, R30X_OK, R30X_WRONG_PASSWORD, confirmationName } from './r30xPacket.js';
import { R30xCommandQueue, refusedError } from './r30xCommandQueue.js';
import { R30xEnrolment, u16 } from './r30xEnrolment.js';
import { r30xSettings, type R30xDiagnosticEvents, type R30xScan, type R30xSensorOptions, type R30xSettings, type R30xStats } from './r30xSensorOptions.js';


/** Where the reader is with its module. */
type R30xPhase = 'stopped' | 'handshake' | 'polling' | 'rejected';

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export class R30xSensor extends DeviceBase<CredentialReaderEvents> implements CredentialReader {
  readonly kind = 'reader' as const;
  readonly diagnostics = new EventEmitter<R30xDiagnosticEvents>();
  private readonly o: R30xSettings;
  private readonly commands: R30xCommandQueue;
  private readonly enrolment: R30xEnrolment;
  private phase: R30xPhase = 'stopped';
  private starting = false;
  private tickTimer: TimerHandle | null = null;
  private cycling: Promise<void> | null = null;
  private enrolling = false;
  private awaitingLift = false;
  private consecutiveTimeouts = 0;
  private readonly counters = { matches: 0, rejectedMatches: 0, notFound: 0, unconfirmed: 0 };

  constructor(private readonly options: R30xSensorOptions) {
    super({ id: options.id, clock: options.clock, log: options.logger.child({ module: 'hal:r30x', reader: options.id }) });
    this.o = r30xSettings(options);
    const { link } = options;
    this.commands = new R30xCommandQueue({
      id: this.id, address: this.o.address, responseTimeoutMs: this.o.responseTimeoutMs, clock: this.clock, log: this.log,
      unavailable: () =>
        this.phase === 'stopped' ? new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id} is stopped`, { id: this.id })
        : !link.isOpen ? new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id}: ${link.health().reason}`, { id: this.id })
        : null,
      write: (bytes) => link.write(bytes),
      answered: () => this.answered(),
      timedOut: (instruction) => this.timedOut(instruction),
    });
    this.enrolment = new R30xEnrolment({
      id: this.id, clock: this.clock, pollMs: this.o.pollMs, enrollTimeoutMs: this.o.enrollTimeoutMs,
      command: (instruction, params) => this.commands.command(instruction, params),
      step: (step, slot) => this.diagnose('enroll', step, slot),
      waiting: (ms) => this.diagnose('waiting', ms),
    });
  }

  stats(): R30xStats {
    return { ...this.counters, ...this.commands.counters, awaitingResponse: this.commands.awaitingResponse() };
  }

  async start(): Promise<void> {
    if (this.phase !== 'stopped') return;
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
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.enrolment.wake();
    this.commands.failPending(new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id} stopped`, { id: this.id }));
    const { link } = this.options;
    link.off('data', this.onData);
    link.off('health', this.onLinkHealth);
    link.off('open', this.onOpen);
    await link.stop();
    await this.cycling;
    this.phase = 'stopped'; // again: a reply that was already on its way may have moved it
    this.setHealth('offline', STOPPED);
  }

  /** Captures the finger twice (place, lift, place again), merges and stores it at `slot`. */
  async enroll(slot: number): Promise<void> {
    this.assertSlot(slot);
    this.assertReady();
    if (this.enrolling) throw new GatewayError('DEVICE_ERROR', `fingerprint reader ${this.id} is already enrolling`, { id: this.id });
    this.enrolling = true;
    this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    try {
      await this.cycling;
      this.assertReady();
      await this.enrolment.run(slot);
      this.log.info({ slot }, 'template enrolled');
    } finally {
      this.enrolling = false;
      this.awaitingLift = true;
      this.scheduleTick();
    }
  }

  async deleteSlot(slot: number): Promise<void> {
    this.assertSlot(slot);
    this.assertReady();
    const ack = await this.commands.command('DeletChar', [...u16(slot), ...u16(1)]);
    if (ack.code !== R30X_OK) throw refusedError(this.id, `could not delete slot ${slot}`, ack.code);
    this.log.info({ slot }, 'template deleted');
  }

  async templateCount(): Promise<number> {
    this.assertReady();
    const ack = await this.commands.command('TemplateNum');
    if (ack.code !== R30X_OK) throw refusedError(this.id, 'could not count templates', ack.code);
    return ack.data.readUInt16BE(0);
  }

  // ---- the poll loop ----

  private scheduleTick(): void {
    if (this.phase === 'stopped' || this.phase === 'rejected' || this.tickTimer || this.cycling || this.enrolling) return;
    this.tickTimer = this.clock.setTimeout(() => {
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
      this.diagnose('scan', scan);
    })();
    await this.cycling;
    this.cycling = null;
    this.scheduleTick();
  }

  private async handshake(): Promise<R30xScan> {
    const ack = await this.commands.command('VfyPwd', u32(this.o.password));
    if (ack.code === R30X_OK) {
      this.phase = 'polling';
      this.awaitingLift = false;
      this.setHealth('online', 'sensor answered and accepted the password');
      return { result: 'verified' };
    }
    if (ack.code === R30X_WRONG_PASSWORD) {
      this.phase = 'rejected';
      this.clock.clearTimeout(this.tickTimer);
      this.tickTimer = null;
      this.setHealth('offline', 'sensor password rejected');
      return { result: 'password-rejected' };
    }
    this.setHealth('degraded', `password check failed: ${confirmationName(ack.code)}`);
    return { result: 'refused', code: ack.code };
  }

  private async identify(): Promise<R30xScan> {
    const image = await this.commands.command('GenImg');
    if (image.code === R30X_NO_FINGER) {
      this.awaitingLift = false;
      return { result: 'no-finger' };
    }
    if (image.code !== R30X_OK) return { result: 'bad-image', code: image.code };
    if (this.awaitingLift) return { result: 'held' };
    const features = await this.commands.command('Img2Tz', [1]);
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
    this.emitGuarded('input', { kind: 'fingerprint', value: `${this.id}:${slot}`, confidence: score });
    return { result: 'match', slot, score };
  }

  private async search(): Promise<{ code: number; slot: number; score: number }> {
    const ack = await this.commands.command('Search', [1, ...u16(0), ...u16(this.o.capacity)]);
    if (ack.code !== R30X_OK) return { code: ack.code, slot: -1, score: 0 };
    const slot = ack.data.readUInt16BE(0);
    // a slot outside what we searched is a protocol error, never a read
    if (slot >= this.o.capacity) return { code: 0x01, slot: -1, score: 0 };
    return { code: R30X_OK, slot, score: ack.data.readUInt16BE(2) };
  }

  // ---- what the module and the link say ----

  private answered(): void {
    this.consecutiveTimeouts = 0;
    if (this.phase === 'polling' && this.health().state !== 'online') this.setHealth('online', 'sensor answering again');
  }

  private timedOut(instruction: string): void {
    this.consecutiveTimeouts++;
    const n = this.consecutiveTimeouts;
    if (n >= this.o.offlineAfterTimeouts) {
      if (this.phase === 'polling') this.phase = 'handshake';
      this.setHealth('offline', `no answer from the sensor (${n} timeouts in a row)`);
    } else {
      this.setHealth('degraded', `sensor did not answer ${instruction} within ${this.o.responseTimeoutMs} ms`);
    }
  }

  private readonly onData = (chunk: Buffer): void => this.commands.receive(chunk);

  private readonly onLinkHealth = (health: Health): void => {
    if (health.state === 'online') return; // online once the password check passes
    this.setHealth('offline', health.reason);
    this.commands.resync();
    this.commands.failPending(new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id}: ${health.reason}`, { id: this.id }));
  };

  private readonly onOpen = (): void => {
    if (this.starting) return; // start() checks the password itself
    this.phase = 'handshake';
    this.consecutiveTimeouts = 0;
    this.commands.resync();
    this.scheduleTick();
  };

  // ---- helpers ----

  private assertReady(): void {
    if (this.phase !== 'polling' || !this.options.link.isOpen) {
      throw new GatewayError('DEVICE_OFFLINE', `fingerprint reader ${this.id} is not ready: ${this.health().reason}`, { id: this.id });
    }
  }

  private assertSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.o.capacity) {
      throw new GatewayError('INPUT_INVALID', `slot must be 0..${this.o.capacity - 1}, got ${slot}`, { id: this.id, field: 'slot' });
    }
  }

  /** Diagnostics are guarded like the reader's own events. */
  private diagnose<K extends keyof R30xDiagnosticEvents>(event: K, ...args: R30xDiagnosticEvents[K]): void {
    guardedEmit(this.diagnostics, this.listenerFailed, event, ...args);
  }
}

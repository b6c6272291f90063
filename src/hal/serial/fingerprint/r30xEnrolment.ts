/**
 * Enrolling a finger on an R30x module: place, capture into buffer 1, lift, place again, capture
 * into buffer 2, merge (RegModel) and store at the slot. Each placement or lift is polled every
 * `pollMs` on the clock and given up after `enrollTimeoutMs` (DEVICE_TIMEOUT); a wait can be cut
 * short with wake() (the reader stopped: the next command then rejects DEVICE_OFFLINE).
 */
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import { R30X_ENROLL_MISMATCH, R30X_NO_FINGER, R30X_OK, type R30xInstruction } from './r30xPacket.js';
import { refusedError, type R30xAck } from './r30xCommandQueue.js';
import type { R30xEnrollStep } from './r30xSensorOptions.js';

export interface R30xEnrolmentOptions {
  id: string;
  clock: Clock;
  pollMs: number;
  enrollTimeoutMs: number;
  command(instruction: R30xInstruction, params?: number[]): Promise<R30xAck>;
  /** progress, for the installer */
  step(step: R30xEnrollStep, slot: number): void;
  /** waiting `ms` on the clock before asking for an image again */
  waiting(ms: number): void;
}

export const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];

export class R30xEnrolment {
  private sleeper: { timer: TimerHandle; wake(): void } | null = null;

  constructor(private readonly o: R30xEnrolmentOptions) {}

  /** Rejects DEVICE_TIMEOUT, DEVICE_ERROR (the module refused a step) or DEVICE_OFFLINE. */
  async run(slot: number): Promise<void> {
    const { command, id } = this.o;
    this.o.step('place', slot);
    await this.waitForFinger(true);
    await this.capture(1);
    this.o.step('lift', slot);
    await this.waitForFinger(false);
    this.o.step('place-again', slot);
    await this.waitForFinger(true);
    await this.capture(2);
    const merged = await command('RegModel');
    if (merged.code === R30X_ENROLL_MISMATCH) throw refusedError(id, 'the two captures are not the same finger', merged.code);
    if (merged.code !== R30X_OK) throw refusedError(id, 'could not merge the captures', merged.code);
    const stored = await command('Store', [1, ...u16(slot)]);
    if (stored.code !== R30X_OK) throw refusedError(id, `could not store slot ${slot}`, stored.code);
    this.o.step('stored', slot);
  }

  /** Ends a wait between two images now. */
  wake(): void {
    const s = this.sleeper;
    if (!s) return;
    this.sleeper = null;
    this.o.clock.clearTimeout(s.timer);
    s.wake();
  }

  private async waitForFinger(present: boolean): Promise<void> {
    const { clock, pollMs } = this.o;
    const deadline = clock.now() + this.o.enrollTimeoutMs;
    for (;;) {
      const image = await this.o.command('GenImg');
      if (present ? image.code === R30X_OK : image.code === R30X_NO_FINGER) return;
      if (clock.now() >= deadline) {
        throw new GatewayError('DEVICE_TIMEOUT', present ? 'no finger was placed on the sensor in time' : 'the finger was not lifted in time', { id: this.o.id });
      }
      await new Promise<void>((wake) => {
        this.sleeper = { timer: clock.setTimeout(() => this.wake(), pollMs), wake };
        this.o.waiting(pollMs);
      });
    }
  }

  private async capture(buffer: 1 | 2): Promise<void> {
    const ack = await this.o.command('Img2Tz', [buffer]);
    if (ack.code !== R30X_OK) throw refusedError(this.o.id, 'capture failed', ack.code);
  }
}

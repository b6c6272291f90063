/**
 * A simulated request-to-exit button: set(true) presses it, set(false) lets go, pulse() does both.
 */
import type { TimerHandle } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { SimDelivery } from './simDevice.js';
import { SimSensor } from './simSensor.js';

export class SimRexButton extends SimSensor {
  readonly input = 'rex' as const;
  private releaseTimer: TimerHandle | null = null;

  /**
   * Presses and lets go: at once (holdMs 0), or after `holdMs` on the clock. Returns what the
   * press did. Throws GatewayError('INPUT_INVALID') unless holdMs is a whole number of ms ≥ 0.
   */
  pulse(holdMs = 0): SimDelivery {
    if (!Number.isInteger(holdMs) || holdMs < 0) {
      throw new GatewayError('INPUT_INVALID', `REX button ${this.id}: holdMs must be whole milliseconds ≥ 0, got ${String(holdMs)}`, { id: this.id, field: 'holdMs' });
    }
    this.clock.clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    const pressed = this.set(true);
    if (holdMs === 0) {
      this.set(false);
    } else {
      this.releaseTimer = this.clock.setTimeout(() => {
        this.releaseTimer = null;
        this.set(false);
      }, holdMs);
    }
    return pressed;
  }

  /** A person holding the button lets go when the gateway stops. */
  protected override onStop(): void {
    if (!this.releaseTimer) return;
    this.clock.clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    this.set(false);
  }
}

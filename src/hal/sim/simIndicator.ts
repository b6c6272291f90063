/**
 * A simulated reader LED and buzzer. `show(pattern)` is recorded whatever the state; the LED
 * changes only while the indicator is started and not offline (and show never rejects for an
 * offline indicator). `current()` is what the LED shows: 'off' unpowered, 'idle' after start.
 */
import { GatewayError } from '../../kernel/gatewayError.js';
import type { DeviceEvents, Indicator, IndicatorPattern } from '../types.js';
import { SimDevice } from './simDevice.js';
import { INDICATOR_PATTERNS } from '../indicatorPatterns.js';

export interface IndicatorRecord {
  at: number;
  pattern: IndicatorPattern;
  delivered: boolean;
  /** why the LED did not change */
  reason?: string;
}


export class SimIndicator extends SimDevice<DeviceEvents, IndicatorRecord> implements Indicator {
  readonly kind = 'indicator' as const;
  private shown: IndicatorPattern | 'off' = 'off';

  current(): IndicatorPattern | 'off' {
    return this.shown;
  }

  /** Rejects INPUT_INVALID for a pattern that is not an IndicatorPattern (a caller's bug). */
  async show(pattern: IndicatorPattern): Promise<void> {
    if (!INDICATOR_PATTERNS.includes(pattern)) {
      throw new GatewayError('INPUT_INVALID', `indicator ${this.id}: unknown pattern ${JSON.stringify(pattern)} (${INDICATOR_PATTERNS.join(', ')})`, { id: this.id, field: 'pattern' });
    }
    const at = this.clock.now();
    const reason = this.unavailableReason();
    if (reason) {
      this.record({ at, pattern, delivered: false, reason });
      return;
    }
    this.record({ at, pattern, delivered: true });
    this.shown = pattern;
  }

  protected override onStart(): void {
    this.shown = 'idle';
  }

  protected override onStop(): void {
    this.shown = 'off';
  }
}

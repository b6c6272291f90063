/** Every pattern an Indicator shows (hal/types.ts IndicatorPattern), in the order a door test shows them. */
import type { IndicatorPattern } from './types.js';

export const INDICATOR_PATTERNS: readonly IndicatorPattern[] = ['idle', 'granted', 'denied', 'pin_entry', 'alarm', 'lockdown', 'passage'];

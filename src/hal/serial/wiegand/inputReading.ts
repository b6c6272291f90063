/**
 * What a door input's reported state means (docs/wiegand-bridge.md, "Door inputs"). Pure: the
 * bridge reports the circuit (`open`/`closed`) or the supervised loop's class
 * (`normal`/`active`/`cut`/`short`); the configuration says which of them means active. A state of
 * the other mode is `wrong_mode`: under the other wiring it could mean either level, so it means
 * nothing.
 */
import type { SensorFault } from '../../types.js';
import type { BridgeInputLine, BridgeInputState } from './bridgeLine.js';
import type { BridgeInputOptions } from './wiegandBridgeOptions.js';

export type InputReading = { kind: 'level'; active: boolean } | { kind: 'fault'; fault: SensorFault } | { kind: 'wrong_mode' };

/** NC reed contact, NO exit button, NC fire relay (a cut wire reads as alarm) */
export const DEFAULT_ACTIVE_WHEN: Readonly<Record<BridgeInputLine, 'open' | 'closed'>> = { contact: 'open', rex: 'closed', aux: 'open' };

/** For reasons and logs: "the door contact", "the request-to-exit input", "the aux input". */
export const LINE_NAMES: Readonly<Record<BridgeInputLine, string>> = { contact: 'door contact', rex: 'request-to-exit input', aux: 'aux input' };

export function readInput(line: BridgeInputLine, options: BridgeInputOptions, state: BridgeInputState): InputReading {
  if (options.supervised === true) {
    switch (state) {
      case 'normal':
        return { kind: 'level', active: false };
      case 'active':
        return { kind: 'level', active: true };
      case 'cut':
      case 'short':
        return { kind: 'fault', fault: state };
      default:
        return { kind: 'wrong_mode' };
    }
  }
  if (state !== 'open' && state !== 'closed') return { kind: 'wrong_mode' };
  return { kind: 'level', active: state === (options.activeWhen ?? DEFAULT_ACTIVE_WHEN[line]) };
}

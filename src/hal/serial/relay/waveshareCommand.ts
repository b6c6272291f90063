import type { ModbusFrame } from './modbusFrame.js';

/**
 * The commands of the Waveshare "Modbus RTU Relay" boards (8 and 16 channels; factory settings
 * unit 1, 9600 baud 8N1), all 0x05 coil writes, relay n (1-based) at offset n - 1:
 *
 *   coil 0x0000 + n-1   value 0xFF00 energise, 0x0000 de-energise (the relay latches)
 *   coil 0x0200 + n-1   "flash on":  energise now, de-energise after value × 100 ms
 *   coil 0x0400 + n-1   "flash off": de-energise now, energise after value × 100 ms
 *
 * The board times a flash itself, so a flash ends even if the gateway died meanwhile. That is
 * the hardware bound this driver builds on (docs/relay-board.md).
 */
export const RELAY_COIL = 0x0000;
export const FLASH_ON_COIL = 0x0200;
export const FLASH_OFF_COIL = 0x0400;
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;
/** a flash time is counted in 100 ms units */
export const FLASH_UNIT_MS = 100;
/** the largest flash time the boards take, in units */
export const FLASH_MAX_UNITS = 0x7fff;

/**
 * latch: the relay stays at `energised`;
 * pulse: the relay goes to `energised` now and back to the other level after `units` × 100 ms.
 */
export type RelayCommand =
  | { kind: 'latch'; channel: number; energised: boolean }
  | { kind: 'pulse'; channel: number; energised: boolean; units: number };

/** The pulse length in board units for `ms`, rounded up (a release is never cut short), 1..FLASH_MAX_UNITS. */
export function flashUnits(ms: number): number {
  return Math.min(FLASH_MAX_UNITS, Math.max(1, Math.ceil(ms / FLASH_UNIT_MS)));
}

export function encodeRelayCommand(unit: number, command: RelayCommand): ModbusFrame {
  const offset = command.channel - 1;
  if (command.kind === 'latch') return { kind: 'write', unit, address: RELAY_COIL + offset, value: command.energised ? COIL_ON : COIL_OFF };
  return { kind: 'write', unit, address: (command.energised ? FLASH_ON_COIL : FLASH_OFF_COIL) + offset, value: command.units };
}

/** The command a write frame carries, or null for a coil or value the boards do not have (the emulated board's side). */
export function decodeRelayCommand(frame: ModbusFrame & { kind: 'write' }, channels: number): RelayCommand | null {
  const base = frame.address & 0xff00;
  const channel = (frame.address & 0xff) + 1;
  if (channel > channels) return null;
  if (base === RELAY_COIL) {
    if (frame.value !== COIL_ON && frame.value !== COIL_OFF) return null;
    return { kind: 'latch', channel, energised: frame.value === COIL_ON };
  }
  if (base !== FLASH_ON_COIL && base !== FLASH_OFF_COIL) return null;
  if (frame.value < 1 || frame.value > FLASH_MAX_UNITS) return null;
  return { kind: 'pulse', channel, energised: base === FLASH_ON_COIL, units: frame.value };
}

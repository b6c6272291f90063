/**
 * Payloads of the commands lockgw uses, both directions (the lock emulator encodes what the
 * client decodes). Decoders return undefined for a payload too short to be the command.
 */
import {
  NUKI_DOOR_SENSOR_STATES,
  NUKI_LOCK_STATES,
  NUKI_TRIGGERS,
  NukiLockAction,
  type NukiDoorSensorState,
  type NukiLockActionName,
  type NukiLockState,
  type NukiTrigger,
} from './nukiConstants.js';
import { concat, readU16, readU32, u16, u32 } from './nukiFrame.js';

export interface NukiBattery {
  /** 0..100 in steps of 2 */
  percent: number;
  critical: boolean;
  charging: boolean;
}

/** Keyturner States (0x000C), the fields lockgw reads. */
export interface NukiKeyturnerStates {
  /** 0 uninitialized, 1 pairing mode, 2 door mode, 4 maintenance */
  nukiState: number;
  lockState: NukiLockState;
  trigger: NukiTrigger;
  /** the lock's clock, as it reports it (local time with `timezoneOffsetMin`) */
  currentTime: string;
  timezoneOffsetMin: number;
  battery: NukiBattery;
  doorSensor: NukiDoorSensorState;
}

/** Fixed part of Keyturner States: later firmware appends fields, which we ignore. */
export const KEYTURNER_STATES_LENGTH = 19;

const lockStateName = (b: number): NukiLockState => (NUKI_LOCK_STATES as Record<number, NukiLockState>)[b] ?? 'undefined';
const triggerName = (b: number): NukiTrigger => (NUKI_TRIGGERS as Record<number, NukiTrigger>)[b] ?? 'unknown';
const doorName = (b: number): NukiDoorSensorState => (NUKI_DOOR_SENSOR_STATES as Record<number, NukiDoorSensorState>)[b] ?? 'unknown';
const codeOf = <T extends string>(table: Record<number, T>, name: T): number => Number(Object.entries(table).find(([, v]) => v === name)?.[0] ?? 0xff);

/** Battery byte: bit 0 critical, bit 1 charging, bits 2..7 the charge in steps of 2 %. */
export function decodeBattery(byte: number): NukiBattery {
  return { percent: Math.min(100, (byte >> 2) * 2), critical: (byte & 0x01) !== 0, charging: (byte & 0x02) !== 0 };
}

export function encodeBattery(battery: NukiBattery): number {
  return ((Math.round(Math.max(0, Math.min(100, battery.percent)) / 2) << 2) | (battery.charging ? 2 : 0) | (battery.critical ? 1 : 0)) & 0xff;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function decodeKeyturnerStates(p: Uint8Array): NukiKeyturnerStates | undefined {
  if (p.length < KEYTURNER_STATES_LENGTH) return undefined;
  const offset = (p[10]! | (p[11]! << 8)) << 16 >> 16;
  return {
    nukiState: p[0]!,
    lockState: lockStateName(p[1]!),
    trigger: triggerName(p[2]!),
    currentTime: `${pad(readU16(p, 3), 4)}-${pad(p[5]!)}-${pad(p[6]!)}T${pad(p[7]!)}:${pad(p[8]!)}:${pad(p[9]!)}`,
    timezoneOffsetMin: offset,
    battery: decodeBattery(p[12]!),
    doorSensor: doorName(p[18]!),
  };
}

export function encodeKeyturnerStates(s: NukiKeyturnerStates): Uint8Array {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)/.exec(s.currentTime) ?? ['', '2000', '1', '1', '0', '0', '0'];
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  return concat(
    Uint8Array.of(s.nukiState, codeOf(NUKI_LOCK_STATES, s.lockState), codeOf(NUKI_TRIGGERS as Record<number, NukiTrigger>, s.trigger)),
    u16(y!), Uint8Array.of(mo!, d!, h!, mi!, se!),
    u16(s.timezoneOffsetMin & 0xffff),
    // battery, config update count, lock'n'go timer, last action, its trigger, its completion
    Uint8Array.of(encodeBattery(s.battery), 0, 0, 0, 0, 0),
    Uint8Array.of(codeOf(NUKI_DOOR_SENSOR_STATES, s.doorSensor)),
  );
}

export interface NukiErrorReport {
  code: number;
  /** the command the error is about */
  command: number;
}

export function decodeErrorReport(p: Uint8Array): NukiErrorReport | undefined {
  return p.length >= 3 ? { code: p[0]!, command: readU16(p, 1) } : undefined;
}

export function encodeErrorReport(report: NukiErrorReport): Uint8Array {
  return concat(Uint8Array.of(report.code), u16(report.command));
}

export interface NukiLockActionRequest {
  action: number;
  appId: number;
  flags: number;
  nonce: Uint8Array;
}

/** Lock Action (0x000D): action 1 ‖ app id 4 ‖ flags 1 ‖ the lock's challenge nonce 32 (no name suffix). */
export function encodeLockAction(action: NukiLockActionName, appId: number, nonce: Uint8Array, flags = 0): Uint8Array {
  return concat(Uint8Array.of(NukiLockAction[action]), u32(appId), Uint8Array.of(flags), nonce);
}

/** Accepts the 38-byte form and the 58-byte form with a 20-byte name suffix before the nonce. */
export function decodeLockAction(p: Uint8Array): NukiLockActionRequest | undefined {
  if (p.length !== 38 && p.length !== 58) return undefined;
  return { action: p[0]!, appId: readU32(p, 1), flags: p[5]!, nonce: p.slice(p.length - 32) };
}

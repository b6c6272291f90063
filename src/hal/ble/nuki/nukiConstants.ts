/**
 * Numbers of the Nuki Smart Lock Bluetooth API (v2.x, "Nuki Smart Lock API V2.2.1"), as far as
 * lockgw uses them: the GATT services and characteristics, command identifiers, lock actions,
 * lock states, status and error codes. Every multi-byte field on the wire is little-endian.
 * UUIDs are lower-case hex without dashes, as BleLink names characteristics.
 */

/** The pairing service (advertised while the lock is in pairing mode) and its General Data I/O characteristic. */
export const NUKI_PAIRING_SERVICE = 'a92ee100550111e4916c0800200c9a66';
export const NUKI_PAIRING_GDIO = 'a92ee101550111e4916c0800200c9a66';
/** The keyturner service: GDIO carries unencrypted error reports, USDIO every encrypted message. */
export const NUKI_KEYTURNER_SERVICE = 'a92ee200550111e4916c0800200c9a66';
export const NUKI_KEYTURNER_GDIO = 'a92ee201550111e4916c0800200c9a66';
export const NUKI_KEYTURNER_USDIO = 'a92ee202550111e4916c0800200c9a66';

export const NukiCommand = {
  RequestData: 0x0001,
  PublicKey: 0x0003,
  Challenge: 0x0004,
  AuthorizationAuthenticator: 0x0005,
  AuthorizationData: 0x0006,
  AuthorizationId: 0x0007,
  KeyturnerStates: 0x000c,
  LockAction: 0x000d,
  Status: 0x000e,
  ErrorReport: 0x0012,
  AuthorizationIdConfirmation: 0x001e,
} as const;

export const NukiLockAction = { unlock: 0x01, lock: 0x02, unlatch: 0x03 } as const;
export type NukiLockActionName = keyof typeof NukiLockAction;

export const NUKI_LOCK_STATES = {
  0x00: 'uncalibrated',
  0x01: 'locked',
  0x02: 'unlocking',
  0x03: 'unlocked',
  0x04: 'locking',
  0x05: 'unlatched',
  0x06: 'unlocked_lock_n_go',
  0x07: 'unlatching',
  0xfc: 'calibration',
  0xfd: 'boot_run',
  0xfe: 'motor_blocked',
  0xff: 'undefined',
} as const;
export type NukiLockState = (typeof NUKI_LOCK_STATES)[keyof typeof NUKI_LOCK_STATES];

export const NUKI_TRIGGERS = { 0x00: 'system', 0x01: 'manual', 0x02: 'button', 0x03: 'automatic', 0x06: 'auto_lock' } as const;
export type NukiTrigger = (typeof NUKI_TRIGGERS)[keyof typeof NUKI_TRIGGERS] | 'unknown';

export const NUKI_DOOR_SENSOR_STATES = {
  0x00: 'unavailable',
  0x01: 'deactivated',
  0x02: 'closed',
  0x03: 'opened',
  0x04: 'unknown',
  0x05: 'calibrating',
} as const;
export type NukiDoorSensorState = (typeof NUKI_DOOR_SENSOR_STATES)[keyof typeof NUKI_DOOR_SENSOR_STATES];

export const NukiStatus = { complete: 0x00, accepted: 0x01 } as const;

/** Error codes of the Error Report command (0x0012): general, pairing (P_) and keyturner (K_). */
export const NUKI_ERROR_CODES: Record<number, string> = {
  0xfd: 'ERROR_BAD_CRC',
  0xfe: 'ERROR_BAD_LENGTH',
  0xff: 'ERROR_UNKNOWN',
  0x10: 'P_ERROR_NOT_PAIRING',
  0x11: 'P_ERROR_BAD_AUTHENTICATOR',
  0x12: 'P_ERROR_BAD_PARAMETER',
  0x13: 'P_ERROR_MAX_USER',
  0x20: 'K_ERROR_NOT_AUTHORIZED',
  0x21: 'K_ERROR_BAD_PIN',
  0x22: 'K_ERROR_BAD_NONCE',
  0x23: 'K_ERROR_BAD_PARAMETER',
  0x24: 'K_ERROR_INVALID_AUTH_ID',
  0x25: 'K_ERROR_DISABLED',
  0x26: 'K_ERROR_REMOTE_NOT_ALLOWED',
  0x27: 'K_ERROR_TIME_NOT_ALLOWED',
  0x40: 'K_ERROR_AUTO_UNLOCK_TOO_RECENT',
  0x41: 'K_ERROR_POSITION_UNKNOWN',
  0x42: 'K_ERROR_MOTOR_BLOCKED',
  0x43: 'K_ERROR_CLUTCH_FAILURE',
  0x44: 'K_ERROR_MOTOR_TIMEOUT',
  0x45: 'K_ERROR_BUSY',
  0x46: 'K_ERROR_CANCELED',
  0x47: 'K_ERROR_NOT_CALIBRATED',
  0x48: 'K_ERROR_MOTOR_POSITION_LIMIT',
  0x49: 'K_ERROR_MOTOR_LOW_VOLTAGE',
  0x4a: 'K_ERROR_MOTOR_POWER_FAILURE',
  0x4b: 'K_ERROR_CLUTCH_POWER_FAILURE',
  0x4c: 'K_ERROR_VOLTAGE_TOO_LOW',
  0x4d: 'K_ERROR_FIRMWARE_UPDATE_NEEDED',
};

export function nukiErrorName(code: number): string {
  return NUKI_ERROR_CODES[code] ?? `ERROR_0x${code.toString(16).padStart(2, '0')}`;
}

/** The ID type of Authorization Data: lockgw pairs as a bridge (0 app, 1 bridge, 2 fob, 3 keypad). */
export const NUKI_ID_TYPE_BRIDGE = 0x01;

/**
 * The unencrypted messages have no length field: the receiver knows each command's payload
 * length. These are the ones the pairing exchange and the keyturner GDIO carry.
 */
export const NUKI_PLAIN_PAYLOAD_LENGTH: Record<number, number> = {
  [NukiCommand.RequestData]: 2,
  [NukiCommand.PublicKey]: 32,
  [NukiCommand.Challenge]: 32,
  [NukiCommand.AuthorizationAuthenticator]: 32,
  [NukiCommand.AuthorizationData]: 101,
  [NukiCommand.AuthorizationId]: 84,
  [NukiCommand.AuthorizationIdConfirmation]: 36,
  [NukiCommand.Status]: 1,
  [NukiCommand.ErrorReport]: 3,
};

/** The largest encrypted message we accept (ADATA + ciphertext); longer lengths are corrupt. */
export const NUKI_MAX_MESSAGE = 512;

/**
 * The fixed numbers of the BLE phone-key protocol (docs/ble-phone-key.md is the contract for the
 * phone side; every constant here appears there). The gateway is the GATT peripheral, the phone
 * the central. One service, one write+notify characteristic carrying framed messages.
 */

/** the phone-key GATT service, as BleLink names UUIDs (lower-case hex, no dashes) */
export const PHONE_KEY_SERVICE_UUID = 'b7a100006c6b47779c4b70686f6e654b';
/** write (phone → gateway) and notify (gateway → phone): every framed message both ways */
export const PHONE_KEY_MESSAGE_UUID = 'b7a100016c6b47779c4b70686f6e654b';

/** the protocol version a HELLO names; a gateway answers another with `unsupported_version` */
export const PROTOCOL_VERSION = 1;

/** the largest reassembled message either side accepts (an access document travels in one) */
export const MAX_MESSAGE_BYTES = 4096;
/** the smallest ATT value the framing can use: a first fragment's 3-byte header and one byte */
export const MIN_VALUE_LENGTH = 4;

/** the wire numbers of the signature algorithms; the key's type decides which one applies */
export const ALGORITHMS = { ES256: 1, Ed25519: 2 } as const;
export type PhoneKeyAlgorithm = keyof typeof ALGORITHMS;

export function algorithmName(code: number): PhoneKeyAlgorithm | undefined {
  for (const [name, value] of Object.entries(ALGORITHMS)) if (value === code) return name as PhoneKeyAlgorithm;
  return undefined;
}

/** defaults of the gateway's timers, in milliseconds of the injected Clock */
export const DEFAULT_TIMING = {
  /** from connect to a complete HELLO */
  helloMs: 5_000,
  /** a challenge's life; the CHALLENGE tells the phone in whole seconds */
  challengeTtlMs: 5_000,
  /** how long past the challenge's expiry the gateway keeps the connection (to answer `nonce_expired`) */
  responseGraceMs: 2_000,
  /** from a message's first fragment to its last */
  reassemblyMs: 2_000,
  /** after RESULT the phone disconnects; the gateway closes the link itself after this */
  lingerMs: 1_000,
} as const;

/**
 * The reasons of a denial that the phone-key layer itself decides. The `decide` port adds the
 * access core's own (no_schedule, credential_pending, ...), passed through unchanged. Stable:
 * the phone app and the journal branch on them.
 */
export const PHONE_KEY_REASONS = [
  /** a value or message that does not parse: framing, lengths, fields, unknown message type */
  'malformed',
  /** a message that is valid but not expected now (a RESPONSE before HELLO, a second HELLO) */
  'unexpected_message',
  'unsupported_version',
  /** the HELLO names a door this gateway does not serve with this radio */
  'wrong_door',
  /** the HELLO's algorithm is unknown or not the one of the credential's key */
  'wrong_algorithm',
  /** too many challenges outstanding on this gateway; try again in a few seconds */
  'busy',
  /** the RESPONSE names a nonce this gateway never issued, or no longer remembers */
  'nonce_unknown',
  /** the nonce was issued to another connection */
  'nonce_foreign',
  /** the nonce was already answered once (a replayed RESPONSE) */
  'nonce_replayed',
  'nonce_expired',
  /** the credential has no usable key (resolveKey's own reasons pass through as well) */
  'unknown_credential',
  /** the key on record is not base64 SPKI DER of a P-256 or Ed25519 public key */
  'key_invalid',
  'bad_signature',
  /** our bug (a port threw, or did not answer in time); the phone may try again */
  'internal',
  /** (outcome `abandoned`) no HELLO, or no RESPONSE, within its time */
  'timeout',
  /** (outcome `abandoned`) the link closed before a RESPONSE */
  'link_closed',
] as const;
export type PhoneKeyReason = (typeof PHONE_KEY_REASONS)[number];

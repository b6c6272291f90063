/**
 * The one error class of lockgw. Callers branch on `code`, never on message text.
 * `details` names what was wrong and where (record, field, path) so an installer
 * or the cloud can fix the input without reading our code.
 */
export const GATEWAY_ERROR_CODES = [
  'CONFIG_INVALID',
  'BATCH_INVALID',
  'RECORD_INVALID',
  'REFERENCE_MISSING',
  'DUPLICATE_CREDENTIAL',
  'RECORD_IN_USE',
  'SYSTEM_KEY_READONLY',
  'STORE_CORRUPT',
  'MIGRATION_FAILED',
  'SECRET_UNAVAILABLE',
  'INPUT_INVALID',
  'NOT_FOUND',
  'NOT_STARTED',
  'DEVICE_OFFLINE',
  'DEVICE_TIMEOUT',
  'DEVICE_ERROR',
  /** the target exists but cannot do this now (a door in lockdown, an actuator offline) */
  'UNAVAILABLE',
  /** a cloud change whose result does not have the content hash the cloud said it would */
  'HASH_MISMATCH',
  /** a local edit of the rules on a gateway whose rules the cloud owns */
  'CLOUD_MANAGED',
  /** the caller may not do this (an admin verb outside its role, an unproven caller) */
  'NOT_AUTHORISED',
  /** the site's allocation policy refuses it (the PIN code space is full, a strict doorcode or keycard is not available) */
  'POLICY_REFUSED',
  /** the rules worker thread failed or exited */
  'WORKER_FAILED',
  /**
   * our own bug, not the input's fault (matter.js's InternalError): an error that is not a
   * GatewayError where one was expected. The peer is told so, and not to send the same again.
   */
  'INTERNAL',
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** For a code that crossed a boundary (a worker thread, a socket): one of ours, or not. */
export function isGatewayErrorCode(code: unknown): code is GatewayErrorCode {
  return (GATEWAY_ERROR_CODES as readonly unknown[]).includes(code);
}

export interface GatewayErrorDetails {
  /** the entity kind, e.g. 'credential' */
  entity?: string;
  /** the record id, e.g. 'cred-17' */
  id?: string;
  /** the offending field or config path, e.g. 'personId' or 'journal.maxEvents' */
  field?: string;
  /** position of the operation inside a batch */
  index?: number;
  /** what to do about it */
  hint?: string;
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly details: GatewayErrorDetails;

  constructor(code: GatewayErrorCode, message: string, details: GatewayErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }
}

export function isGatewayError(err: unknown, code?: GatewayErrorCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code);
}

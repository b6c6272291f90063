/** The configuration, diagnostics and statistics of an R30x fingerprint reader (r30xSensor.ts). */
import type { Logger } from 'pino';
import type { Clock } from '../../../kernel/clock.js';
import { GatewayError, type GatewayErrorCode } from '../../../kernel/gatewayError.js';
import type { SerialLink } from '../serialLink.js';
import { R30X_DEFAULT_ADDRESS, R30X_DEFAULT_PASSWORD } from './r30xPacket.js';

export interface R30xSensorOptions {
  id: string;
  /** opened at R30X_BAUD_RATE (57600); the sensor owns its lifecycle */
  link: SerialLink;
  clock: Clock;
  logger: Logger;
  /** default 0x00000000 */
  password?: number;
  /** default 0xFFFFFFFF */
  address?: number;
  /** library slots searched and accepted: 200 on an R503, 1000 on an R307. Default 200 */
  capacity?: number;
  /** default 300 */
  pollMs?: number;
  /** default 2000 */
  responseTimeoutMs?: number;
  /** default 3 */
  offlineAfterTimeouts?: number;
  /** the lowest Search score that counts as a match. Default 50 */
  matchThreshold?: number;
  /** search twice and require identical answers. Default true */
  confirmMatch?: boolean;
  /** how long an enrolment waits for each placement or lift. Default 20,000 */
  enrollTimeoutMs?: number;
}

/** The options with their defaults applied. */
export type R30xSettings = Required<Omit<R30xSensorOptions, 'id' | 'link' | 'clock' | 'logger'>>;

export type R30xScan =
  | { result: 'verified' | 'password-rejected' | 'no-finger' | 'held' | 'not-found' | 'unconfirmed' | 'offline' }
  | { result: 'match'; slot: number; score: number }
  | { result: 'rejected'; score: number }
  | { result: 'bad-image' | 'refused'; code: number }
  | { result: 'error'; code: GatewayErrorCode | 'BUG'; message: string };

export type R30xEnrollStep = 'place' | 'lift' | 'place-again' | 'stored';

export type R30xDiagnosticEvents = {
  /** what one poll cycle saw */
  scan: [R30xScan];
  /** enrolment progress, with the slot */
  enroll: [R30xEnrollStep, number];
  /** an enrolment is waiting `ms` on the clock before asking for an image again */
  waiting: [number];
};

export interface R30xStats {
  commandsSent: number;
  timeouts: number;
  matches: number;
  rejectedMatches: number;
  notFound: number;
  unconfirmed: number;
  droppedBytes: number;
  unexpectedPackets: number;
  /** a command is waiting for its acknowledgement */
  awaitingResponse: boolean;
}

/** The settings with defaults; throws CONFIG_INVALID naming the first bad field. */
export function r30xSettings(options: R30xSensorOptions): R30xSettings {
  const settings: R30xSettings = {
    password: options.password ?? R30X_DEFAULT_PASSWORD,
    address: options.address ?? R30X_DEFAULT_ADDRESS,
    capacity: options.capacity ?? 200,
    pollMs: options.pollMs ?? 300,
    responseTimeoutMs: options.responseTimeoutMs ?? 2000,
    offlineAfterTimeouts: options.offlineAfterTimeouts ?? 3,
    matchThreshold: options.matchThreshold ?? 50,
    confirmMatch: options.confirmMatch ?? true,
    enrollTimeoutMs: options.enrollTimeoutMs ?? 20_000,
  };
  const bad = (field: string, why: string) => new GatewayError('CONFIG_INVALID', `fingerprint reader ${options.id}: ${field} ${why}`, { id: options.id, field });
  const { capacity, pollMs, responseTimeoutMs, offlineAfterTimeouts, matchThreshold, enrollTimeoutMs, password, address } = settings;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0xffff) throw bad('capacity', 'must be 1..65535');
  for (const [field, value] of Object.entries({ pollMs, responseTimeoutMs, offlineAfterTimeouts, enrollTimeoutMs })) {
    if (!Number.isFinite(value) || value <= 0) throw bad(field, 'must be positive');
  }
  if (!Number.isFinite(matchThreshold) || matchThreshold < 0 || matchThreshold > 0xffff) throw bad('matchThreshold', 'must be 0..65535');
  for (const [field, value] of Object.entries({ password, address })) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw bad(field, 'must be a 32-bit unsigned integer');
  }
  return settings;
}

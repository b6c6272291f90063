/** The configuration and statistics of a Wiegand bridge (wiegandBridge.ts), and the check of its options. */
import type { Logger } from 'pino';
import type { Clock } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { SerialLink } from '../serialLink.js';
import { MAX_PORT, type LineRejection } from './bridgeLine.js';
import { DEFAULT_FORMATS } from './cardFormatBuiltins.js';
import type { CardFormatEntry } from './cardFormat.js';
import { formatSetProblems } from './cardFormatCheck.js';
import type { FrameRejection } from './wiegandFrame.js';

export interface WiegandPortConfig {
  /** the bridge's reader port, 1–8 */
  port: number;
  readerId: string;
  /** default `<readerId>:indicator` */
  indicatorId?: string;
}

export interface WiegandBridgeOptions {
  /** names the bridge in logs, e.g. 'bridge-1' */
  id: string;
  link: SerialLink;
  /** the link's device path, for health reasons and logs */
  path: string;
  clock: Clock;
  logger: Logger;
  ports: readonly WiegandPortConfig[];
  /** no valid line for this long → offline. Default 3000 (the bridge sends H every 1000 ms) */
  heartbeatTimeoutMs?: number;
  /** unknown bit lengths presented as raw:<bits>:<hex> (no parity check). Default none */
  rawLengths?: readonly number[];
  /** card formats decoded (built-in names or custom layouts), at most one per length. Default H10301, H10306, H10304 */
  formats?: readonly CardFormatEntry[];
  /** lines looked at for the degraded rule. Default 100 */
  degradedWindow?: number;
  /** corrupt lines in the window that make the bridge degraded. Default 10 */
  degradedThreshold?: number;
  /** how long queryVersion() waits for V. Default 1000 */
  versionTimeoutMs?: number;
}

export type DropReason = Exclude<LineRejection, 'empty'> | FrameRejection | 'unconfigured_port';

/** Line-level corruption: these count towards `degraded` (frame errors are the reader's). */
export const CORRUPT: ReadonlySet<DropReason> = new Set(['too_long', 'checksum', 'syntax']);

export interface WiegandBridgeStats {
  /** lines that passed length, checksum and syntax */
  lines: number;
  dropped: Record<DropReason, number>;
  cards: number;
  keys: number;
  heartbeats: number;
  /** heartbeats the sequence numbers say we never received */
  missedHeartbeats: number;
  /** R lines received */
  resets: number;
  firmware: string | null;
  /** corrupt lines (too_long, checksum, syntax) among the last `window` lines */
  recentCorrupt: number;
  window: number;
}

export function emptyStats(): WiegandBridgeStats {
  const dropped: Record<DropReason, number> = { too_long: 0, checksum: 0, syntax: 0, unknown_type: 0, parity: 0, length: 0, format: 0, unconfigured_port: 0 };
  return { lines: 0, dropped, cards: 0, keys: 0, heartbeats: 0, missedHeartbeats: 0, resets: 0, firmware: null, recentCorrupt: 0, window: 0 };
}

/** Throws CONFIG_INVALID naming the first problem with the options. */
export function checkBridgeOptions(options: WiegandBridgeOptions): void {
  const { ports, heartbeatTimeoutMs = 3000, rawLengths = [], formats = DEFAULT_FORMATS, degradedWindow = 100, degradedThreshold = 10 } = options;
  const problem =
    ports.length === 0 ? 'at least one port is needed'
    : ports.some((p) => !Number.isInteger(p.port) || p.port < 1 || p.port > MAX_PORT) ? `ports are numbered 1-${MAX_PORT}`
    : new Set(ports.map((p) => p.port)).size !== ports.length ? 'a port is listed twice'
    : ports.some((p) => !p.readerId) ? 'every port needs a readerId'
    : !Number.isInteger(heartbeatTimeoutMs) || heartbeatTimeoutMs < 100 ? 'heartbeatTimeoutMs is an integer ≥ 100'
    : !Number.isInteger(degradedWindow) || degradedWindow < 1 || !Number.isInteger(degradedThreshold) || degradedThreshold < 1 || degradedThreshold > degradedWindow ? 'degradedThreshold is 1..degradedWindow'
    : null;
  if (problem) throw new GatewayError('CONFIG_INVALID', `Wiegand bridge ${options.id}: ${problem}`, { field: 'ports', hint: 'see docs/wiegand-bridge.md' });
  const format = formatSetProblems(formats, rawLengths)[0];
  if (format) {
    const field = format.path.join('.');
    throw new GatewayError('CONFIG_INVALID', `Wiegand bridge ${options.id}: ${field}: ${format.message}`, { field, hint: 'see "Card formats decoded" in docs/wiegand-bridge.md' });
  }
}

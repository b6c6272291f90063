/** The configuration and statistics of a Wiegand bridge (wiegandBridge.ts), and the check of its options. */
import type { Logger } from 'pino';
import type { Clock } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { SerialLink } from '../serialLink.js';
import type { SensorInput } from '../../types.js';
import { INPUT_LINES, MAX_PORT, type LineRejection } from './bridgeLine.js';
import { DEFAULT_FORMATS } from './cardFormatBuiltins.js';
import type { CardFormatEntry } from './cardFormat.js';
import { formatSetProblems } from './cardFormatCheck.js';
import type { FrameRejection } from './wiegandFrame.js';

/** One door input wired to a bridge port (docs/wiegand-bridge.md, "Door inputs"). */
export interface BridgeInputOptions {
  /** the DoorSensor's id, unique on the gateway */
  sensorId: string;
  /** what the input means to the door: 'door' (contact), 'rex' or 'fire' */
  input: SensorInput;
  /** an end-of-line supervised loop (the bridge reports normal/active/cut/short). Default false */
  supervised?: boolean;
  /**
   * unsupervised only: which circuit state means active (door open, button pressed, fire
   * alarm). Defaults: contact 'open' (NC reed), rex 'closed' (NO button), aux 'open' (NC fire
   * relay: a cut wire reads as alarm)
   */
  activeWhen?: 'open' | 'closed';
}

export interface WiegandPortConfig {
  /** the bridge's reader port, 1–8 */
  port: number;
  readerId: string;
  /** default `<readerId>:indicator` */
  indicatorId?: string;
  /** the door inputs wired to this port's terminals */
  inputs?: { contact?: BridgeInputOptions; rex?: BridgeInputOptions; aux?: BridgeInputOptions };
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

export type DropReason = Exclude<LineRejection, 'empty'> | FrameRejection | 'unconfigured_port' | 'unconfigured_input' | 'input_mode';

/** Line-level corruption: these count towards `degraded` (frame errors are the reader's). */
export const CORRUPT: ReadonlySet<DropReason> = new Set(['too_long', 'checksum', 'syntax']);

export interface WiegandBridgeStats {
  /** lines that passed length, checksum and syntax */
  lines: number;
  dropped: Record<DropReason, number>;
  cards: number;
  keys: number;
  /** I lines applied to a configured input (levels, edges and faults) */
  inputs: number;
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
  const dropped: Record<DropReason, number> = { too_long: 0, checksum: 0, syntax: 0, unknown_type: 0, parity: 0, length: 0, format: 0, unconfigured_port: 0, unconfigured_input: 0, input_mode: 0 };
  return { lines: 0, dropped, cards: 0, keys: 0, inputs: 0, heartbeats: 0, missedHeartbeats: 0, resets: 0, firmware: null, recentCorrupt: 0, window: 0 };
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
    : inputProblem(ports);
  if (problem) throw new GatewayError('CONFIG_INVALID', `Wiegand bridge ${options.id}: ${problem}`, { field: 'ports', hint: 'see docs/wiegand-bridge.md' });
  const format = formatSetProblems(formats, rawLengths)[0];
  if (format) {
    const field = format.path.join('.');
    throw new GatewayError('CONFIG_INVALID', `Wiegand bridge ${options.id}: ${field}: ${format.message}`, { field, hint: 'see "Card formats decoded" in docs/wiegand-bridge.md' });
  }
}

const SENSOR_INPUTS: readonly SensorInput[] = ['door', 'rex', 'fire'];

/** The first problem with the ports' door inputs, naming the port and terminal, or null. */
function inputProblem(ports: readonly WiegandPortConfig[]): string | null {
  const ids = new Set(ports.flatMap((p) => [p.readerId, p.indicatorId ?? `${p.readerId}:indicator`]));
  for (const p of ports) {
    for (const [line, input] of Object.entries(p.inputs ?? {})) {
      if (input === undefined) continue;
      const where = `port ${p.port} ${line}`;
      if (!(INPUT_LINES as readonly string[]).includes(line)) return `port ${p.port}: inputs are ${INPUT_LINES.join(', ')}, not ${line}`;
      if (typeof input.sensorId !== 'string' || input.sensorId === '') return `${where}: sensorId is needed`;
      if (ids.has(input.sensorId)) return `${where}: the id ${input.sensorId} is used twice on this bridge`;
      ids.add(input.sensorId);
      if (!SENSOR_INPUTS.includes(input.input)) return `${where}: input is one of ${SENSOR_INPUTS.join(', ')}`;
      if (input.supervised !== undefined && typeof input.supervised !== 'boolean') return `${where}: supervised is true or false`;
      if (input.activeWhen !== undefined && input.activeWhen !== 'open' && input.activeWhen !== 'closed') return `${where}: activeWhen is open or closed`;
      if (input.supervised === true && input.activeWhen !== undefined) return `${where}: activeWhen is for unsupervised inputs (a supervised loop reports normal or active)`;
    }
  }
  return null;
}

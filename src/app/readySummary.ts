/**
 * What the daemon says once its doors run: the ready line (its fields and its text) and the
 * one-line STATUS= systemd shows in `systemctl status`. It names what is configured — doors by
 * hardware, Wiegand bridges and relay boards, BLE, the cloud link, the control socket, the config
 * file (or the embedded demo defaults) — and the
 * safety-only mode when the rules are unavailable. Pure: the daemon passes what it knows.
 */
import type { GatewayConfig } from './config/configSchema.js';
import type { DoorBehaviour } from '../doors/doorConfig.js';
import type { SafetyOnlyState } from './safetyOnly.js';

export interface ReadyFacts {
  config: GatewayConfig;
  /** the file the config came from; undefined: the embedded demo defaults */
  configFile: string | undefined;
  /** the doors that run (their behaviour says their hardware) */
  doors: readonly DoorBehaviour[];
  /** the control socket's path, or why it is not there */
  control: { path: string } | { off: string };
  safety: SafetyOnlyState | null;
  /** the rules in use (ignored in safety-only mode) */
  rules: { siteId: string | null; siteName: string | null; timeZone: string; revision: number; hash: string };
  counts: { keys: number; people: number; credentials: number };
  /** the demo's simulated lobby runs: the `sim present` hint applies */
  demoLobby: boolean;
}

export interface ReadySummary {
  fields: Record<string, unknown>;
  text: string;
  /** one short line for systemd's STATUS= */
  status: string;
}

const HARDWARE_NAMES: Readonly<Record<DoorBehaviour['hardware'], string>> = { sim: 'simulated', serial: 'serial', ble: 'BLE lock' };

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "5 doors (3 serial, 2 simulated)" */
function doorText(doors: readonly DoorBehaviour[]): string {
  const byKind = new Map<string, number>();
  for (const d of doors) byKind.set(HARDWARE_NAMES[d.hardware], (byKind.get(HARDWARE_NAMES[d.hardware]) ?? 0) + 1);
  const kinds = [...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ');
  return `${plural(doors.length, 'door')}${kinds ? ` (${kinds})` : ''}`;
}

function bleText(config: GatewayConfig): string {
  const parts = [config.ble.locks ? 'locks' : null, config.ble.phoneKeys ? 'phone keys' : null].filter((p) => p !== null);
  return parts.length ? parts.join(' + ') : 'off';
}

export function readySummary(facts: ReadyFacts): ReadySummary {
  const { config, doors, control, safety, rules, counts } = facts;
  const cloud = config.cloud.enabled ? config.cloud.url : 'off';
  const controlText = 'path' in control ? control.path : `off (${control.off})`;
  const configured = {
    gatewayId: config.gateway.id,
    doors: doors.length,
    bridges: config.serial.wiegandBridges.length,
    relayBoards: config.serial.relayBoards.length,
    ble: bleText(config),
    cloud,
    control: 'path' in control ? control.path : 'off',
    config: facts.configFile ?? 'embedded defaults',
  };
  const setup =
    `${doorText(doors)}, ${plural(configured.bridges, 'Wiegand bridge')}, ${plural(configured.relayBoards, 'relay board')}, ` +
    `BLE ${configured.ble}, cloud ${cloud}, control socket ${controlText}, ` +
    (facts.configFile === undefined ? 'no config file: the embedded demo defaults' : `config ${facts.configFile}`);
  if (safety !== null) {
    return {
      fields: { ...configured, mode: 'safety-only', cause: safety.cause, file: safety.file, journal: safety.journal },
      text:
        `lockgw ready in SAFETY-ONLY mode: ${setup}. Fire release and request-to-exit work; every credential is denied (rules_unavailable) ` +
        `because the database ${safety.file} is ${safety.cause}. lockgw status and lockgw doctor say how to recover.`,
      status: `SAFETY-ONLY (database ${safety.cause}): ${doorText(doors)}, every credential denied; cloud ${cloud}`,
    };
  }
  const site = rules.siteName ?? '(none yet)';
  return {
    fields: { ...configured, site: rules.siteId, timeZone: rules.timeZone, revision: rules.revision, hash: rules.hash, ...counts },
    text:
      `lockgw ready: site ${site} (${rules.timeZone}), revision ${rules.revision}, ${plural(counts.keys, 'key')}, ${plural(counts.people, 'person', 'people')}, ` +
      `${plural(counts.credentials, 'credential')}; ${setup}.` +
      // the hint drives simulated devices: only where the demo's are
      (facts.demoLobby ? ' Try: npm run lockgw -- sim present --door lobby --card 26:12:34567' : ''),
    status: `ready: site ${site}, revision ${rules.revision}, ${doorText(doors)}, cloud ${cloud}`,
  };
}

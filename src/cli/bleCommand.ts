/**
 * `lockgw ble scan|pair|unpair`: the installer's BLE lock steps, run in the CLI's own process on
 * the configured lock radio (stop the daemon first when the radio is a UART: one host at a time).
 *   scan                          devices in range, signal, pairing mode, which door each is paired to
 *   pair --door ID [--address A]  pair the door's lock (put it in pairing mode first); the secret is
 *                                 sealed in <dataDir>/ble-pairings.json under the device secret
 *   unpair --door ID              forget the door's pairing
 * The daemon reads a pairing when the lock's actuator starts: restart it after pairing.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import type { GatewayConfig } from '../app/config/configSchema.js';
import { storedNukiPairing } from '../app/bleDoors.js';
import { loadDeviceSecret } from '../app/deviceSecret.js';
import { LockRadio } from '../app/lockRadio.js';
import { PAIRING_FILE, PairingVault } from '../app/pairingVault.js';
import { pair } from '../hal/ble/nuki/nukiPairing.js';
import { SystemClock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';

export interface BleCommandOptions {
  door?: string | undefined;
  address?: string | undefined;
  timeout?: string | undefined;
  json?: boolean | undefined;
}

/** A stable 32-bit app id per gateway: the lock lists lockgw's authorization under it. */
export function nukiAppId(gatewayId: string): number {
  return createHash('sha256').update(`lockgw:${gatewayId}`).digest().readUInt32BE(0);
}

function vaultOf(config: GatewayConfig): PairingVault {
  const dataDir = config.gateway.dataDir;
  const secret = loadDeviceSecret(join(dataDir, config.secrets.deviceSecretFile), config.secrets.createIfMissing);
  return new PairingVault(join(dataDir, PAIRING_FILE), secret.secret);
}

function lockDoor(config: GatewayConfig, doorId: string | undefined) {
  if (doorId === undefined) throw new GatewayError('INPUT_INVALID', 'ble pair/unpair needs --door ID', { field: 'door' });
  const door = config.doors.find((d) => d.id === doorId);
  if (door?.ble?.lock === undefined) {
    const locks = config.doors.filter((d) => d.ble?.lock).map((d) => d.id);
    throw new GatewayError('INPUT_INVALID', `door ${doorId} has no BLE lock in the config${locks.length ? ` (doors with one: ${locks.join(', ')})` : ''}`, { field: 'door', hint: 'give the door hardware: ble and ble: {lock: {address}}' });
  }
  return { door, lock: door.ble.lock };
}

export async function runBle(verb: string | undefined, config: GatewayConfig, options: BleCommandOptions, out: (line: string) => void): Promise<number> {
  if (verb === 'unpair') {
    const { door } = lockDoor(config, options.door);
    const removed = vaultOf(config).remove(door.id);
    out(removed ? `forgot the pairing of door ${door.id} (the lock still lists this gateway: remove it in the lock's app)` : `door ${door.id} was not paired`);
    return 0;
  }
  if (verb !== 'scan' && verb !== 'pair') throw new GatewayError('INPUT_INVALID', `unknown ble verb "${verb ?? ''}": scan, pair or unpair`, { field: 'verb' });
  const radioConfig = config.ble.locks;
  if (radioConfig === undefined) throw new GatewayError('INPUT_INVALID', 'no lock radio is configured', { field: 'ble.locks', hint: 'add ble: {locks: {adapter: {hci: 0}}} to the config' });
  const clock = new SystemClock();
  const logger = pino({ level: 'error', base: null }, pino.destination(2));
  const radio = new LockRadio({ config: radioConfig, clock, logger });
  await radio.start();
  try {
    if (verb === 'scan') {
      const paired = new Map(vaultOf(config).list().map((e) => [e.address, e.doorId]));
      const ms = options.timeout === undefined ? radioConfig.scanMs : Number(options.timeout) * 1000;
      if (!Number.isFinite(ms) || ms <= 0 || ms > 120_000) throw new GatewayError('INPUT_INVALID', `--timeout "${options.timeout}" is not a number of seconds up to 120`, { field: 'timeout' });
      const found = await radio.scan(ms);
      for (const d of found.sort((a, b) => b.rssi - a.rssi)) {
        const door = paired.get(d.address);
        if (options.json) out(JSON.stringify({ type: 'device', address: d.address, rssi: d.rssi, name: d.name, pairingMode: d.pairingMode, pairedDoor: door ?? null }));
        else out(`${d.address}  ${String(d.rssi).padStart(4)} dBm  ${(d.name ?? '(no name)').padEnd(20)}  ${d.pairingMode ? 'PAIRING MODE' : '            '}  ${door ? `paired: door ${door}` : 'not paired'}`);
      }
      if (!options.json) out(`${found.length} device${found.length === 1 ? '' : 's'} in range`);
      return 0;
    }
    const { door, lock } = lockDoor(config, options.door);
    if (options.address !== undefined && options.address.toLowerCase() !== lock.address) {
      throw new GatewayError('INPUT_INVALID', `door ${door.id}'s lock is ${lock.address} in the config, not ${options.address}`, { field: 'address', hint: 'correct the config or the address' });
    }
    const vault = vaultOf(config);
    const link = await radio.pairingLink(lock.address, 15_000);
    try {
      const credentials = await pair(link, { appId: nukiAppId(config.gateway.id), appName: `lockgw ${config.gateway.id}`, clock });
      vault.save({ doorId: door.id, address: lock.address, profile: lock.profile, pairedAt: new Date(clock.now()).toISOString() }, storedNukiPairing(credentials));
      out(options.json
        ? JSON.stringify({ type: 'paired', doorId: door.id, address: lock.address, authId: credentials.authId })
        : `paired door ${door.id} with lock ${lock.address} (authorization ${credentials.authId}); restart the daemon to use it`);
      return 0;
    } finally {
      await link.close().catch(() => undefined);
    }
  } finally {
    await radio.stop();
  }
}

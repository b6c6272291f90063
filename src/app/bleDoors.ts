/**
 * Doors whose lock is a BLE smart lock (hardware: ble): a NukiLockActuator per door over the
 * lock radio, with its pairing opened from the PairingVault each time the actuator starts. The
 * daemon does not wait for a lock at start (it may be out of range for minutes): the actuator
 * finds it in the background and the door is offline until it answers.
 */
import type { Logger } from 'pino';
import { NukiLockActuator } from '../hal/ble/nuki/nukiLockActuator.js';
import type { NukiCredentials } from '../hal/ble/nuki/nukiSession.js';
import type { Clock } from '../kernel/clock.js';
import { isGatewayError } from '../kernel/gatewayError.js';
import type { JournalEvent } from '../journal/journalCodec.js';
import type { DoorBehaviour } from '../doors/doorConfig.js';
import type { DoorHardware } from '../doors/siteDoors.js';
import type { LockRadio } from './lockRadio.js';
import type { PairingVault } from './pairingVault.js';

/** How a Nuki pairing is kept in the vault (the secret part is sealed). */
export interface StoredNukiPairing {
  authId: number;
  appId: number;
  sharedKey: string;
  lockPublicKey: string;
}

export function storedNukiPairing(c: NukiCredentials): StoredNukiPairing {
  return { authId: c.authId, appId: c.appId, sharedKey: Buffer.from(c.sharedKey).toString('base64'), lockPublicKey: Buffer.from(c.lockPublicKey).toString('base64') };
}

export interface BleDoorDeps {
  radio: LockRadio;
  vault: PairingVault;
  clock: Clock;
  logger: Logger;
  record(event: Omit<JournalEvent, 'at'>): void;
}

const CONNECT_TIMEOUT_MS = 10_000;

export function buildBleDoor(behaviour: DoorBehaviour, deps: BleDoorDeps): DoorHardware {
  const lock = behaviour.ble!.lock!;
  const doorId = behaviour.id;
  const log = deps.logger.child({ module: 'ble-lock', door: doorId });
  const actuator = new NukiLockActuator({
    id: `${doorId}-lock`,
    connector: deps.radio.connector(lock.address, CONNECT_TIMEOUT_MS),
    credentials: { load: () => pairingOf(deps.vault, doorId, lock.address, log) },
    clock: deps.clock,
    logger: deps.logger,
    link: lock.link,
    unlockMode: lock.unlockMode,
    responseTimeoutMs: lock.responseTimeoutMs,
    completionTimeoutMs: lock.completionTimeoutMs,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    retries: lock.retries,
    pollMs: lock.pollMs,
    lowBatteryPercent: lock.lowBatteryPercent,
  });
  actuator.nuki.on('lowBattery', (b) => deps.record({ type: 'alarm', doorId, reason: 'low_battery', data: { percent: b.percent, critical: b.critical } }));
  actuator.nuki.on('unconfirmed', (u) => deps.record({ type: 'alarm', doorId, reason: 'lock_unconfirmed', data: { action: u.action, detail: u.reason } }));
  const lifecycle = {
    id: actuator.id,
    start: async () => {
      void actuator.start().catch((err: unknown) => log.error({ err }, 'the BLE lock did not start'));
    },
    stop: () => actuator.stop(),
  };
  return { behaviour, devices: { readers: [], actuator }, all: [lifecycle] };
}

function pairingOf(vault: PairingVault, doorId: string, address: string, log: Logger): NukiCredentials | undefined {
  let opened;
  try {
    opened = vault.open(doorId);
  } catch (err) {
    log.error({ code: isGatewayError(err) ? err.code : undefined }, (err as Error).message);
    return undefined;
  }
  if (opened === undefined) return undefined;
  if (opened.entry.address !== address) {
    log.warn({ paired: opened.entry.address, configured: address }, 'the door was paired with another lock: pair the configured one');
    return undefined;
  }
  const s = opened.secret as Partial<StoredNukiPairing>;
  if (typeof s.authId !== 'number' || typeof s.appId !== 'number' || typeof s.sharedKey !== 'string' || typeof s.lockPublicKey !== 'string') {
    log.error('the stored pairing is incomplete: pair the lock again');
    return undefined;
  }
  return { authId: s.authId, appId: s.appId, sharedKey: Uint8Array.from(Buffer.from(s.sharedKey, 'base64')), lockPublicKey: Uint8Array.from(Buffer.from(s.lockPublicKey, 'base64')) };
}

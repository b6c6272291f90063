/**
 * BLE locks end to end: the gateway's real noble (LockRadio, lockgw ble, NukiLockActuator in a
 * Gateway) against the lock emulator on real bleno (lockgw lock-sim's server), over the virtual
 * radio, in one process.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import type { GatewayConfig, GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { runBle } from '../../src/cli/bleCommand.js';
import { PAIRING_FILE } from '../../src/app/pairingVault.js';
import { isGatewayError } from '../../src/kernel/gatewayError.js';
import { lockSimRig, type LockSimRig } from '../support/lockSimRig.js';

const DOOR = 'front';

function configFor(rig: LockSimRig, dataDir: string): GatewayConfigInput {
  return {
    gateway: { id: 'gw-e2e', dataDir },
    ble: { locks: { adapter: { uart: rig.gatewayUart }, scanMs: 1000 } },
    doors: [{ id: DOOR, hardware: 'ble', ble: { lock: { address: rig.lockAddress.toUpperCase() } } }],
  };
}

async function setup(t: Tap.Test, emulator: Parameters<typeof lockSimRig>[0] = {}): Promise<{ rig: LockSimRig; config: GatewayConfig; dataDir: string }> {
  const rig = await lockSimRig(emulator);
  const dataDir = mkdtempSync(join(tmpdir(), 'lockgw-ble-e2e-'));
  t.teardown(async () => {
    await rig.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { rig, config: parseConfig(configFor(rig, dataDir)), dataDir };
}

async function ble(verb: string, config: GatewayConfig, options: Parameters<typeof runBle>[2] = {}): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runBle(verb, config, options, (l) => lines.push(l));
  return { code, lines };
}

t.test('lockgw ble pair against the emulator in pairing mode seals the pairing; scan lists the lock as paired', async (t) => {
  const { rig, config, dataDir } = await setup(t, { pairingMode: true });
  const before = await ble('scan', config, { timeout: '1', json: true });
  const seen = before.lines.map((l) => JSON.parse(l) as { address: string; pairingMode: boolean; pairedDoor: string | null; name: string });
  t.match(seen, [{ address: rig.lockAddress, pairingMode: true, pairedDoor: null, name: /^Nuki_[0-9A-F]{8}$/ }], 'the lock advertises its pairing service');

  const paired = await ble('pair', config, { door: DOOR });
  t.equal(paired.code, 0);
  t.match(paired.lines.join('\n'), new RegExp(`paired door ${DOOR} with lock ${rig.lockAddress} \\(authorization \\d+\\)`));
  t.equal(rig.emu.authorizations.size, 1, 'the lock holds one authorization');
  const auth = [...rig.emu.authorizations.values()][0]!;
  t.equal(auth.name, 'lockgw gw-e2e');

  const file = join(dataDir, PAIRING_FILE);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the pairing file is private');
  const text = readFileSync(file, 'utf8');
  const key = Buffer.from(auth.sharedKey);
  for (const form of [key.toString('hex'), key.toString('base64'), [...key].join(',')]) t.notOk(text.includes(form), 'the shared key is not in the file in clear');
  t.match(JSON.parse(text), { pairings: [{ doorId: DOOR, address: rig.lockAddress, profile: 'nuki' }] });

  rig.emu.setPairingMode(false);
  const after = await ble('scan', config, { timeout: '1' });
  t.match(after.lines[0], new RegExp(`^${rig.lockAddress} .*Nuki_.* paired: door ${DOOR}$`));
  t.notMatch(after.lines[0], /PAIRING MODE/, 'out of pairing mode it advertises the keyturner service');
  t.equal(after.lines.at(-1), '1 device in range');
});

t.test('lockgw ble pair with the lock out of pairing mode fails clearly and writes nothing', async (t) => {
  const { rig, config, dataDir } = await setup(t, { pairingMode: false });
  const err = await ble('pair', config, { door: DOOR }).catch((e: unknown) => e);
  t.ok(isGatewayError(err), `a GatewayError: ${String(err)}`);
  t.match(err, { message: /refused pairing: P_ERROR_NOT_PAIRING/, details: { hint: /button for 5 s to enter pairing mode/ } });
  t.throws(() => statSync(join(dataDir, PAIRING_FILE)), { code: 'ENOENT' }, 'no pairing file');
  t.equal(rig.emu.authorizations.size, 0);
});

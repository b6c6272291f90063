import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/app/config/loadConfig.js';
import { runBle } from '../../../src/cli/bleCommand.js';
import { runCli } from '../../../src/cli/lockgw.js';
import { runLockSim } from '../../../tools/lock-sim/cli/lockSimCommand.js';
import { startVirtualBle } from '../../../tools/virtual-ble/index.js';
import { within } from '../../support/bleRig.js';

t.test('lockgw lock-sim serves a Nuki on an adapter until stopped: ble scan sees it in pairing mode, ble pair pairs, actions are printed', async (t) => {
  const ble = await startVirtualBle({ hosts: ['gateway', 'lock'] });
  const dataDir = mkdtempSync(join(tmpdir(), 'lockgw-locksim-'));
  const lines: string[] = [];
  const stop = new AbortController();
  let readyHook: (address: string) => void = () => undefined;
  const ready = within<string>(5000, 'the lock to advertise', (done) => { readyHook = done; });
  const running = runLockSim(['--adapter', ble.uartPort('lock'), '--pairing', '--battery', '15', '--motor-ms', '1', '--json'], {
    out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), signal: stop.signal, ready: (a) => readyHook(a),
  });
  t.teardown(async () => { stop.abort(); await running; await ble.close(); rmSync(dataDir, { recursive: true, force: true }); });
  const address = await ready;
  t.equal(address, ble.address('lock'));
  t.match(JSON.parse(lines[0]!), { type: 'ready', address, name: /^Nuki_/, pairingMode: true, battery: 15, state: 'locked' });

  const config = parseConfig({
    gateway: { id: 'gw-sim', dataDir },
    ble: { locks: { adapter: { uart: ble.uartPort('gateway') }, scanMs: 1000 } },
    doors: [{ id: 'gym', hardware: 'ble', ble: { lock: { address } } }],
  });
  const out: string[] = [];
  t.equal(await runBle('scan', config, { timeout: '1', json: true }, (l) => out.push(l)), 0);
  t.match(JSON.parse(out[0]!), { address, pairingMode: true });
  t.equal(await runBle('pair', config, { door: 'gym' }, (l) => out.push(l)), 0);
  t.match(lines.map((l) => JSON.parse(l) as { type: string }), [{ type: 'ready' }, { type: 'paired', name: 'lockgw gw-sim' }]);
  out.length = 0;
  t.equal(await runBle('scan', config, { timeout: '1', json: true }, (l) => out.push(l)), 0);
  t.match(JSON.parse(out[0]!), { address, pairingMode: false, pairedDoor: 'gym' }, 'it left pairing mode after the pairing');

  stop.abort();
  t.equal(await running, 0);
  t.match(JSON.parse(lines.at(-1)!), { type: 'stopped' });
});

t.test('lockgw lock-sim refuses bad options with one line and exit 2; --help lists them', async (t) => {
  const err: string[] = [];
  const io = { out: (l: string) => err.push(l), err: (l: string) => err.push(l) };
  t.equal(await runLockSim([], io), 2);
  t.match(err.pop(), /needs --adapter/);
  t.equal(await runLockSim(['--adapter', 'hci0', '--battery', '120'], io), 2);
  t.match(err.pop(), /--battery "120" is not a whole number from 0 to 100/);
  t.equal(await runLockSim(['--adapter', 'hci0', '--state', 'ajar'], io), 2);
  t.match(err.pop(), /locked or unlocked/);
  t.equal(await runLockSim(['--adapter', '/nonexistent/uart'], io), 2);
  t.match(err.pop(), /UART \/nonexistent\/uart does not exist/);
  const help: string[] = [];
  t.equal(await runCli(['lock-sim', '--help'], (l) => help.push(l)), 0);
  t.match(help.join('\n'), /--pairing/);
  const usage: string[] = [];
  await runCli(['help'], (l) => usage.push(l));
  t.match(usage.join('\n'), /^  lock-sim +an emulated Nuki lock/m);
});

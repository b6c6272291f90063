/**
 * The shipped unit, checked by systemd's own tools where they exist (no systemd runs here:
 * `systemd-analyze verify` and `security --offline=true` read the file): it verifies, and its
 * exposure stays at most 2.5 with and without the BLE drop-in. docs/systemd.md shows the output.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const unitFile = join(root, 'systemd/lockgw.service');
const bleDropIn = join(root, 'systemd/lockgw.service.d/bluetooth.conf');
const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = analyze ? false : 'systemd-analyze is not installed';

/** the unit alone in a directory (systemd-analyze also reads a lockgw.service.d/ beside it) */
function staged(dir: string, withBle: boolean): string {
  const unit = join(dir, 'lockgw.service');
  copyFileSync(unitFile, unit);
  if (withBle) {
    mkdirSync(join(dir, 'lockgw.service.d'));
    copyFileSync(bleDropIn, join(dir, 'lockgw.service.d/bluetooth.conf'));
  }
  return unit;
}

function exposure(unit: string): { level: number; output: string } {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
  const output = r.stdout + r.stderr;
  const m = /Overall exposure level for lockgw\.service: (\d+\.\d)/.exec(output);
  return { level: m ? Number(m[1]) : Number.NaN, output };
}

t.test('the unit says what the daemon does: notify with a watchdog, no wait for the network, no capabilities of its own', async (t) => {
  const unit = readFileSync(unitFile, 'utf8');
  const lines = unit.split('\n').filter((l) => !l.startsWith('#'));
  for (const line of ['Type=notify', 'NotifyAccess=all', 'After=network.target', 'CapabilityBoundingSet=', 'AmbientCapabilities=', 'SystemCallFilter=@system-service', 'RuntimeDirectory=lockgw', 'RuntimeDirectoryMode=1770']) {
    t.ok(lines.includes(line), line);
  }
  t.ok(lines.some((l) => /^WatchdogSec=\d+s$/.test(l)));
  t.ok(lines.some((l) => /^MemoryMax=\d+M$/.test(l)));
  t.notMatch(lines.join('\n'), /network-online|CAP_NET/, 'no network-online wait; Bluetooth capabilities only in the drop-in');
  t.match(readFileSync(bleDropIn, 'utf8'), /AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN\nCapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN\nRestrictAddressFamilies=AF_BLUETOOTH/);
});

t.test('systemd-analyze verify accepts the unit, with and without the BLE drop-in', { skip }, async (t) => {
  const dir = t.testdir({ alone: {}, ble: {} });
  for (const withBle of [false, true]) {
    const r = spawnSync('systemd-analyze', ['verify', staged(join(dir, withBle ? 'ble' : 'alone'), withBle)], { encoding: 'utf8' });
    // a machine without node at /usr/bin/node says so; anything else is a fault in the unit
    const complaints = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() && !/\/usr\/bin\/node.* is not executable/.test(l));
    t.same(complaints, [], withBle ? 'with bluetooth.conf' : 'alone');
  }
});

t.test('systemd-analyze security rates the unit at most 2.5, with and without the BLE drop-in', { skip }, async (t) => {
  const dir = t.testdir({ alone: {}, ble: {} });
  const alone = exposure(staged(join(dir, 'alone'), false));
  t.ok(alone.level <= 2.5, `alone: ${alone.level}\n${alone.output}`);
  const ble = exposure(staged(join(dir, 'ble'), true));
  t.ok(ble.level <= 2.5, `with BLE: ${ble.level}\n${ble.output}`);
  t.ok(ble.level > alone.level, 'the BLE capabilities are counted: the drop-in was read');
});

/**
 * `lockgw phone-sim radio`: the virtual BLE radio (tools/virtual-ble) on stable UART paths, so a
 * gateway (`npm start`) and a phone (`lockgw phone-sim open`) in other terminals meet in the air
 * without Bluetooth hardware. Host `h` gets the UART `<dir>/h` (and `<dir>/h.controller`, the
 * controller's end). One UART serves one host stack: the gateway's phone keys (a peripheral)
 * and its lock radio (a central) need a host each.
 *
 * The directory: created when missing (and removed at the end); an existing one is used only if
 * it holds nothing but what an earlier radio left (named in its `.lockgw-vble` marker, whose
 * process is gone). Anything else in it is refused, never deleted. Runs until `until` aborts
 * (SIGINT/SIGTERM from the command), then stops the radio and removes what it created.
 */
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GatewayError } from '../../../src/kernel/gatewayError.js';
import { startVirtualBle } from '../../virtual-ble/index.js';

export const DEFAULT_RADIO_DIR = '/tmp/lockgw-vble';
const DEFAULT_HOSTS = ['gateway', 'phone'];
const MARKER = '.lockgw-vble';

interface Marker {
  pid: number;
  files: string[];
}

const hostFiles = (hosts: readonly string[]) => hosts.flatMap((h) => [h, `${h}.controller`]);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readMarker(dir: string): Promise<Marker | null> {
  try {
    const m = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Partial<Marker>;
    return typeof m.pid === 'number' && Array.isArray(m.files) && m.files.every((f) => typeof f === 'string' && !f.includes('/')) ? (m as Marker) : null;
  } catch {
    return null;
  }
}

/** Makes `dir` ready for `hosts`; returns the directory it created (to remove at the end), or null. */
async function claimDir(dir: string, hosts: readonly string[]): Promise<string | null> {
  if (!existsSync(dir)) return (await mkdir(dir, { recursive: true })) ?? null;
  if (!lstatSync(dir).isDirectory()) throw new GatewayError('INPUT_INVALID', `--dir ${dir} is not a directory`, { field: 'dir' });
  const entries = await readdir(dir);
  if (entries.length === 0) return null;
  const marker = await readMarker(dir);
  if (marker && alive(marker.pid)) {
    throw new GatewayError('INPUT_INVALID', `${dir} is in use by another radio (process ${marker.pid})`, { field: 'dir', hint: 'stop it, or give --dir another directory' });
  }
  const leftOver = new Set(marker ? [MARKER, ...marker.files] : []);
  const foreign = entries.filter((e) => !leftOver.has(e));
  if (foreign.length > 0) {
    throw new GatewayError('INPUT_INVALID', `${dir} holds files this tool did not create (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}): not used, nothing deleted`, { field: 'dir', hint: 'give --dir an empty or new directory' });
  }
  // an earlier radio that was killed left its links (dangling: their PTYs went with socat)
  for (const e of entries) if (e !== MARKER && lstatSync(join(dir, e)).isSymbolicLink()) await rm(join(dir, e));
  await rm(join(dir, MARKER));
  const rest = await readdir(dir);
  if (rest.length > 0) throw new GatewayError('INPUT_INVALID', `${dir} holds files that are not an earlier radio's links (${rest.join(', ')}): not used, nothing deleted`, { field: 'dir' });
  return null;
}

/** What each conventional host name is for, in the radio's listing. */
function useOf(host: string, uart: string): string {
  switch (host) {
    case 'gateway': return `the gateway's phone keys: ble.phoneKeys.adapter: {uart: ${uart}}  (examples/phone-keys.yaml)`;
    case 'phone': return `a phone: lockgw phone-sim open --demo --door lobby --adapter ${uart}`;
    case 'locks': return `the gateway's lock radio: ble.locks.adapter: {uart: ${uart}}`;
    default: return `${host}: any one host stack (noble or bleno) on ${uart}`;
  }
}

export function parseHosts(text: string | undefined): string[] {
  if (text === undefined) return DEFAULT_HOSTS;
  const hosts = text.split(',').map((h) => h.trim()).filter((h) => h !== '');
  if (hosts.length < 2 || hosts.length > 16) throw new GatewayError('INPUT_INVALID', `--hosts "${text}": 2 to 16 names, comma-separated (e.g. gateway,phone)`, { field: 'hosts' });
  for (const h of hosts) if (!/^[A-Za-z0-9_-]{1,32}$/.test(h)) throw new GatewayError('INPUT_INVALID', `--hosts: "${h}" is not a plain name (letters, digits, _ and -)`, { field: 'hosts' });
  if (new Set(hosts).size !== hosts.length) throw new GatewayError('INPUT_INVALID', `--hosts "${text}" names a host twice`, { field: 'hosts' });
  return hosts;
}

export async function runRadio(options: { dir: string; hosts: string[]; out: (line: string) => void; until: AbortSignal }): Promise<number> {
  const dir = resolve(options.dir);
  const created = await claimDir(dir, options.hosts);
  const cleanupDir = async () => {
    await rm(join(dir, MARKER), { force: true });
    if (created === null) return;
    // from the leaf up to the first directory mkdir made, each only if empty
    for (let d = dir; d.startsWith(created); d = resolve(d, '..')) {
      await rmdir(d).catch(() => undefined);
      if (d === created) break;
    }
  };
  const marker: Marker = { pid: process.pid, files: hostFiles(options.hosts) };
  await writeFile(join(dir, MARKER), `${JSON.stringify(marker)}\n`, { flag: 'w' });
  let ble;
  try {
    ble = await startVirtualBle({ hosts: options.hosts, dir });
  } catch (err) {
    await cleanupDir();
    throw err;
  }
  try {
    options.out(`virtual BLE radio: ${options.hosts.length} hosts, UARTs in ${dir} (Ctrl-C stops it and removes them)`);
    const width = Math.max(...options.hosts.map((h) => h.length));
    for (const h of options.hosts) options.out(`${`${h}:`.padEnd(width + 1)} ${ble.uartPort(h)}  (address ${ble.address(h)})`);
    for (const h of options.hosts) options.out(`  ${useOf(h, ble.uartPort(h))}`);
    if (!options.until.aborted) await new Promise<void>((done) => options.until.addEventListener('abort', () => done(), { once: true }));
    options.out('virtual BLE radio: stopping');
  } finally {
    await ble.close();
    await cleanupDir();
  }
  return 0;
}

/**
 * A virtual BLE radio for tests: one virtual HCI controller per named host, each served over
 * its own socat PTY pair. Give `uartPort(name)` to a host library (noble, bleno) as its UART:
 *
 *   const ble = await startVirtualBle({ hosts: ['gateway', 'phone'] });
 *   t.teardown(() => ble.close());
 *   const central = await openCentral({ uart: ble.uartPort('gateway') }, { clock, timeoutMs: 5000 });
 *
 * Addresses are c0:00:00:00:00:01, :02, … in the order of `hosts`. `close()` detaches the
 * controllers, ends every socat and waits for them to exit; stop the hosts first (a host whose
 * UART vanishes retries and lists serial ports).
 *
 * Without `dir` the links live in a fresh temp directory (`<host>.uart`), removed by `close()`.
 * With `dir` (an existing directory: \`lockgw phone-sim radio\` gives stable paths) the UART of
 * host `h` is `<dir>/h` and its controller end `<dir>/h.controller`; `close()` removes only those.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualController } from './controller.js';
import { HciTrace } from './hciTrace.js';
import { servePty, type PtyTransport } from './ptyTransport.js';
import { VirtualRadio } from './radio.js';

export { VirtualRadio, type AclFault, type AclFragment } from './radio.js';
export { VirtualController } from './controller.js';
export { HciTrace } from './hciTrace.js';

export interface VirtualBleOptions {
  hosts: string[];
  /** LE ACL buffer size of every controller (27 forces fragmentation of ATT PDUs); default 251 */
  leBufferSize?: number;
  /** record every packet in `trace` */
  trace?: boolean;
  /** an existing directory for the PTY links (stable paths); default a temp directory of its own */
  dir?: string;
}

export interface VirtualBle {
  radio: VirtualRadio;
  controller(host: string): VirtualController;
  /** the UART path host `host` opens */
  uartPort(host: string): string;
  /** the controller's address for `host` */
  address(host: string): string;
  trace: HciTrace | null;
  close(): Promise<void>;
}

function ptyPaths(dir: string, host: string, own: boolean): { controller: string; uart: string } {
  return { controller: join(dir, `${host}.controller`), uart: join(dir, own ? `${host}.uart` : host) };
}

export async function startVirtualBle(options: VirtualBleOptions): Promise<VirtualBle> {
  const own = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'lockgw-vhci-')));
  const radio = new VirtualRadio();
  const trace = options.trace ? new HciTrace() : null;
  const controllers = new Map<string, VirtualController>();
  const transports = new Map<string, PtyTransport>();
  const close = async () => {
    radio.close();
    await Promise.all([...transports.values()].map((t) => t.close()));
    transports.clear();
    // socat removes its links as it ends; a directory of our own goes too, a given one stays
    if (own) await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, host] of options.hosts.entries()) {
      if (controllers.has(host)) throw new Error(`host ${host} named twice`);
      if (!own && !/^[A-Za-z0-9_-]{1,32}$/.test(host)) throw new Error(`host "${host}" is not a file name (letters, digits, _ and -)`);
      const controller = new VirtualController({
        name: host,
        address: `c0:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
        leBufferSize: options.leBufferSize,
        firstHandle: 0x40 * (i + 1),
      });
      radio.add(controller);
      trace?.watch(controller);
      controllers.set(host, controller);
    }
    await Promise.all([...controllers.values()].map(async (c) => transports.set(c.name, await servePty(c, ptyPaths(dir, c.name, own)))));
  } catch (err) {
    await close();
    throw err;
  }
  const get = <T>(map: Map<string, T>, host: string): T => {
    const value = map.get(host);
    if (value === undefined) throw new Error(`no virtual host ${host} (hosts: ${[...controllers.keys()].join(', ')})`);
    return value;
  };
  return {
    radio,
    trace,
    controller: (host) => get(controllers, host),
    uartPort: (host) => get(transports, host).uart,
    address: (host) => get(controllers, host).address,
    close,
  };
}

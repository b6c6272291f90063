/**
 * A virtual controller served as H4 over a socat PTY pair, as a UART dongle is: socat links
 * `paths.controller` and `paths.uart` (and removes both links when it ends); the controller
 * opens the first with serialport, the host library is given the second path. Resolves once socat's data loop runs
 * and the controller end is open (no polling). `close()` closes the port, ends socat and waits
 * for it to exit.
 */
import { spawn } from 'node:child_process';
import { SerialPort } from 'serialport';
import type { VirtualController } from './controller.js';

export interface PtyTransport {
  /** the path a host library opens as its UART */
  readonly uart: string;
  close(): Promise<void>;
}

export async function servePty(controller: VirtualController, paths: { controller: string; uart: string }): Promise<PtyTransport> {
  const { controller: controllerEnd, uart } = paths;
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${controllerEnd}`, `pty,raw,echo=0,link=${uart}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stopSocat = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let log = '';
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`socat exited (${code}) before linking: ${log}`)));
      child.stderr!.on('data', (chunk) => {
        log += String(chunk);
        if (log.includes('starting data transfer loop')) resolve();
      });
    });
    const port = new SerialPort({ path: controllerEnd, baudRate: 1_000_000, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => controller.receive(chunk));
    port.on('error', () => undefined);
    controller.attach((bytes) => { if (port.isOpen) port.write(bytes); });
    return {
      uart,
      async close() {
        controller.attach(null);
        if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
        await stopSocat();
      },
    };
  } catch (err) {
    await stopSocat();
    throw err;
  }
}

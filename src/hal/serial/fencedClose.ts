/**
 * serialport's unix bindings (Linux, macOS) read and write a port with fs.read()/fs.write() on
 * libuv's thread pool, and their close() frees the file descriptor at once, without waiting for a
 * read or write already handed to a worker thread. When that worker runs late (a loaded machine),
 * its read(fd) lands on whatever the number has become by then: the next port opened (it steals
 * that port's bytes), or the socketpair of a child process being spawned, where it blocks for good
 * and holds the socket open — the child's stderr never reaches EOF, and the process never exits.
 *
 * `fencedClose(binding)` wraps a binding so that its ports close in order: stop waiting for the fd
 * (a read or write waiting for it is cancelled), mark the port closed (the binding starts no new
 * read or write on it), wait for the one already in the thread pool, and only then free the fd.
 * Ports without a unix fd (Windows) close with their own close().
 */
import { close } from 'node:fs';
import { promisify } from 'node:util';

/** The part of serialport's binding interface (@serialport/bindings-interface) used here. */
export interface PortBinding {
  readonly openOptions: object;
  readonly isOpen: boolean;
  close(): Promise<void>;
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  update(options: { baudRate: number }): Promise<void>;
  set(options: object): Promise<void>;
  get(): Promise<object>;
  getBaudRate(): Promise<{ baudRate: number }>;
  flush(): Promise<void>;
  drain(): Promise<void>;
}

export interface Binding {
  list(): Promise<object[]>;
  open(options: object): Promise<PortBinding>;
}

/** What LinuxPortBinding and DarwinPortBinding keep: the fd (null once closed) and the poller on it. */
interface UnixPort {
  fd: number | null;
  poller: { stop(): void; destroy(): void };
}

const closeFd = promisify(close);

/** `closeFd` frees the fd (default fs.close; tests record when it runs). */
export function fencedClose<B extends Binding>(binding: B, options: { closeFd?: (fd: number) => Promise<void> } = {}): B {
  return {
    ...binding,
    list: () => binding.list(),
    open: async (openOptions: object) => new FencedPort(await binding.open(openOptions), options.closeFd ?? closeFd),
  };
}

class FencedPort implements PortBinding {
  /** reads, writes and the rest that may still be running on the fd */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly port: PortBinding,
    private readonly closeFd: (fd: number) => Promise<void>,
  ) {}

  get openOptions(): object {
    return this.port.openOptions;
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  async close(): Promise<void> {
    const unix = unixPort(this.port);
    if (!unix) return this.port.close();
    const fd = unix.fd;
    if (fd === null) throw new Error('Port is not open');
    unix.poller.stop(); // a read or write waiting for the fd gives up (canceled)
    unix.fd = null; // the binding starts no new read or write: it checks the fd first
    await Promise.allSettled([...this.running]); // one already in the thread pool runs on this fd, not its next owner
    unix.poller.destroy();
    await this.closeFd(fd);
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    return this.track(this.port.read(buffer, offset, length));
  }

  write(buffer: Buffer): Promise<void> {
    return this.track(this.port.write(buffer));
  }

  drain(): Promise<void> {
    return this.track(this.port.drain());
  }

  flush(): Promise<void> {
    return this.track(this.port.flush());
  }

  update(options: { baudRate: number }): Promise<void> {
    return this.track(this.port.update(options));
  }

  set(options: object): Promise<void> {
    return this.track(this.port.set(options));
  }

  get(): Promise<object> {
    return this.track(this.port.get());
  }

  getBaudRate(): Promise<{ baudRate: number }> {
    return this.track(this.port.getBaudRate());
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.running.add(operation);
    const done = () => this.running.delete(operation);
    operation.then(done, done);
    return operation;
  }
}

function unixPort(port: PortBinding): UnixPort | null {
  const candidate = port as unknown as Partial<UnixPort>;
  const hasFd = typeof candidate.fd === 'number' || candidate.fd === null;
  const hasPoller = typeof candidate.poller?.stop === 'function' && typeof candidate.poller.destroy === 'function';
  return hasFd && hasPoller ? (candidate as UnixPort) : null;
}

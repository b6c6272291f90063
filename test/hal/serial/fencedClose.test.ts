import t from 'tap';
import { type Binding, fencedClose, type PortBinding } from '../../../src/hal/serial/fencedClose.js';

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
const canceled = () => Object.assign(new Error('Canceled'), { canceled: true });

/**
 * Shaped like serialport's LinuxPortBinding: an fd (null once closed) and a poller whose stop()
 * cancels what waits for the fd. `read()` either waits for the fd (cancellable) or is "in the
 * thread pool": it returns when the test calls `finish()`, whatever close() did meanwhile.
 */
class FakeUnixPort implements PortBinding {
  fd: number | null = 7;
  readonly openOptions = { path: '/dev/ttyFAKE', baudRate: 9600 };
  next: 'wait for the fd' | 'in the thread pool' = 'wait for the fd';
  finish: () => void = () => undefined;
  private readonly waiting: ((err: Error) => void)[] = [];
  readonly poller = {
    stop: () => {
      this.log.push('poller stop');
      for (const cancel of this.waiting.splice(0)) cancel(canceled());
    },
    destroy: () => this.log.push('poller destroy'),
  };

  constructor(private readonly log: string[]) {}

  get isOpen(): boolean {
    return this.fd !== null;
  }

  close(): Promise<void> {
    this.log.push('binding close');
    this.fd = null;
    return Promise.resolve();
  }

  read(buffer: Buffer): Promise<{ buffer: Buffer; bytesRead: number }> {
    return this.operation('read').then(() => ({ buffer, bytesRead: 1 }));
  }

  write(): Promise<void> {
    return this.operation('write');
  }

  drain(): Promise<void> {
    return this.operation('drain');
  }

  update = () => Promise.resolve();
  set = () => Promise.resolve();
  get = () => Promise.resolve({});
  getBaudRate = () => Promise.resolve({ baudRate: 9600 });
  flush = () => Promise.resolve();

  private operation(name: string): Promise<void> {
    if (this.next === 'wait for the fd') return new Promise((_, reject) => this.waiting.push(reject));
    return new Promise((resolve) => {
      this.finish = () => {
        this.log.push(`${name} returned`);
        resolve();
      };
    });
  }
}

function rig(port: PortBinding & object) {
  const log: string[] = [];
  const binding: Binding = { list: () => Promise.resolve([]), open: () => Promise.resolve(port) };
  const fenced = fencedClose(binding, {
    closeFd: (fd) => {
      log.push(`close fd ${fd}`);
      return Promise.resolve();
    },
  });
  return { log, fenced };
}

t.test('a read already in the thread pool returns before the fd is freed, so it cannot land on the next owner of the number', async (t) => {
  const log: string[] = [];
  const port = new FakeUnixPort(log);
  const { fenced, log: closes } = rig(port);
  const opened = await fenced.open({});
  port.next = 'in the thread pool';
  const reading = opened.read(Buffer.alloc(1), 0, 1);
  const closing = opened.close();
  await settled();
  t.notOk(opened.isOpen, 'the port reports closed at once');
  t.same(closes, [], 'the fd is still held while the read runs');
  port.finish();
  await closing;
  await reading;
  t.same(log, ['poller stop', 'read returned', 'poller destroy']);
  t.same(closes, ['close fd 7']);
});

t.test('a read waiting for bytes is cancelled, then the fd is freed', async (t) => {
  const log: string[] = [];
  const port = new FakeUnixPort(log);
  const { fenced, log: closes } = rig(port);
  const opened = await fenced.open({});
  const reading = opened.read(Buffer.alloc(1), 0, 1);
  await opened.close();
  t.match(await reading.catch((err: unknown) => err), { canceled: true }, 'serialport\'s stream takes canceled as "closed", not as a disconnect');
  t.same(log, ['poller stop', 'poller destroy']);
  t.same(closes, ['close fd 7']);
});

t.test('a write and a drain in flight are waited for too', async (t) => {
  const log: string[] = [];
  const port = new FakeUnixPort(log);
  const { fenced, log: closes } = rig(port);
  const opened = await fenced.open({});
  port.next = 'in the thread pool';
  const writing = opened.write(Buffer.from([0xa0]));
  const finishWrite = port.finish;
  const draining = opened.drain();
  const finishDrain = port.finish;
  const closing = opened.close();
  await settled();
  finishWrite();
  await settled();
  t.same(closes, [], 'the drain still runs');
  finishDrain();
  await Promise.all([closing, writing, draining]);
  t.same(log, ['poller stop', 'write returned', 'drain returned', 'poller destroy']);
  t.same(closes, ['close fd 7']);
});

t.test('closing a closed port fails like the binding does, and frees nothing twice', async (t) => {
  const port = new FakeUnixPort([]);
  const { fenced, log: closes } = rig(port);
  const opened = await fenced.open({});
  await opened.close();
  await t.rejects(opened.close(), { message: 'Port is not open' });
  t.same(closes, ['close fd 7']);
});

t.test('a port without a unix fd (the Windows binding) closes with its own close()', async (t) => {
  const log: string[] = [];
  const port = new FakeUnixPort(log);
  const windowsLike: PortBinding = {
    openOptions: port.openOptions,
    get isOpen() {
      return port.isOpen;
    },
    close: () => port.close(),
    read: (b) => port.read(b),
    write: () => port.write(),
    drain: () => port.drain(),
    update: port.update,
    set: port.set,
    get: port.get,
    getBaudRate: port.getBaudRate,
    flush: port.flush,
  };
  const { fenced, log: closes } = rig(windowsLike);
  const opened = await fenced.open({});
  await opened.close();
  t.same(log, ['binding close']);
  t.same(closes, []);
  t.same(await opened.getBaudRate(), { baudRate: 9600 }, 'the rest goes to the wrapped port');
});

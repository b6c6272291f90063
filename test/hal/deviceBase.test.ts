import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { DeviceBase } from '../../src/hal/deviceBase.js';
import type { DeviceEvents, Health, HealthState } from '../../src/hal/types.js';

type ProbeEvents = DeviceEvents & { reading: [number] };

/** The smallest device: health and readings set from the test. */
class Probe extends DeviceBase<ProbeEvents> {
  async start(): Promise<void> { this.setHealth('online', 'probing'); }
  async stop(): Promise<void> { this.setHealth('offline', 'stopped'); }
  become(state: HealthState, reason: string): boolean { return this.setHealth(state, reason); }
  read(value: number): void { this.emitGuarded('reading', value); }
}

function captured() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

t.test('before start() a device is offline "not started"; health emits only on a change of state or reason, stamped by the clock', async (t) => {
  const clock = new ManualClock(100);
  const probe = new Probe({ id: 'probe-1', clock, log: pino({ level: 'silent' }) });
  t.same(probe.health(), { state: 'offline', reason: 'not started', since: 100 });
  const seen: Health[] = [];
  probe.on('health', (h) => seen.push(h));
  clock.advance(50);
  await probe.start();
  t.equal(probe.become('online', 'probing'), false, 'the same state and reason is no change');
  clock.advance(50);
  t.equal(probe.become('online', 'probing again'), true, 'a new reason is a change');
  t.equal(probe.become('degraded', 'noisy'), true);
  t.same(seen, [
    { state: 'online', reason: 'probing', since: 150 },
    { state: 'online', reason: 'probing again', since: 200 },
    { state: 'degraded', reason: 'noisy', since: 200 },
  ]);
  probe.health().state = 'offline';
  t.equal(probe.health().state, 'degraded', 'health() hands out a copy');
});

t.test('a throwing listener is logged with its owner and event, and the other listeners still run', async (t) => {
  const { log, lines } = captured();
  const probe = new Probe({ id: 'probe-2', clock: new ManualClock(0), log });
  const readings: number[] = [];
  probe.on('reading', () => { throw new Error('buggy owner'); });
  probe.on('reading', (n) => readings.push(n));
  probe.on('health', () => { throw new Error('buggy health listener'); });
  probe.read(4);
  await probe.start();
  t.same(readings, [4]);
  t.equal(probe.health().state, 'online', 'the device carries on');
  const errors = lines.filter((l) => l.msg === 'a listener threw; the device carries on');
  t.match(errors, [
    { owner: 'probe-2', event: 'reading', err: { message: 'buggy owner' } },
    { owner: 'probe-2', event: 'health', err: { message: 'buggy health listener' } },
  ]);
});

t.test('health changes are logged: online as info, stopped as debug, the rest as warnings; or not at all when asked', async (t) => {
  const { log, lines } = captured();
  const probe = new Probe({ id: 'p', clock: new ManualClock(0), log });
  await probe.start();
  probe.become('offline', 'cable cut');
  await probe.stop();
  t.same(lines.map((l) => [l.level, l.msg]), [[30, 'probing'], [40, 'cable cut'], [20, 'stopped']]);
  const quiet = captured();
  const mirror = new Probe({ id: 'm', clock: new ManualClock(0), log: quiet.log, logHealth: false });
  await mirror.start();
  mirror.become('offline', 'link down');
  t.same(quiet.lines, []);
});

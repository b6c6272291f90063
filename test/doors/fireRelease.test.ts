import t from 'tap';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { FireRelease } from '../../src/doors/fireRelease.js';
import type { DoorSensor, Health, SensorEvents, SensorFault } from '../../src/hal/types.js';
import type { JournalEvent } from '../../src/journal/journalCodec.js';

/** A supervised fire input whose loop the test moves (what a bridge or GPIO driver reports). */
class LoopUnderTest extends EventEmitter<SensorEvents> implements DoorSensor {
  readonly kind = 'sensor' as const;
  readonly input = 'fire' as const;
  readonly id = 'fire-input';
  level: boolean | undefined = false;
  fault: SensorFault | null = null;
  state: Health = { state: 'online', reason: 'ok', since: 0 };
  value() { return this.fault ? undefined : this.level; }
  wiringFault() { return this.fault; }
  health() { return this.state; }
  async start() {}
  async stop() {}
  set(level: boolean) { this.level = level; this.emit('change', 'fire', level); }
  setFault(fault: SensorFault | null) { this.fault = fault; this.emit('wiringFault', fault); }
  setHealth(state: Health['state']) { this.state = { state, reason: state === 'offline' ? 'no heartbeat from the bridge' : 'ok', since: 0 }; this.emit('health', this.state); }
}

function rig(onFault: 'release' | 'hold', setup?: (input: LoopUnderTest) => void) {
  const input = new LoopUnderTest();
  setup?.(input);
  const fire: boolean[] = [];
  const events: Omit<JournalEvent, 'at'>[] = [];
  const release = new FireRelease({ input, onFault, setFire: (a) => fire.push(a), record: (e) => events.push(e), logger: pino({ level: 'silent' }) });
  release.start();
  return { input, fire, events, release, reasons: () => events.map((e) => e.reason) };
}

t.test('the alarm releases and its end restores, once per edge', async (t) => {
  const r = rig('release');
  t.same(r.fire, [false], 'applied at start: no alarm');
  r.input.set(true);
  r.input.set(true);
  r.input.set(false);
  t.same(r.fire, [false, true, false]);
  t.same(r.release.state(), { active: false, alarm: false, fault: null, offline: false });
});

t.test('an input already in alarm at start releases at start', async (t) => {
  const r = rig('release', (i) => { i.level = true; });
  t.same(r.fire, [true]);
});

t.test('onFault release: a cut loop releases until it is sound again, journaled both ways', async (t) => {
  const r = rig('release');
  r.input.setFault('cut');
  t.same(r.fire, [false, true]);
  t.match(r.events.at(-1), { type: 'alarm', reason: 'fire_input_fault', data: { fault: 'cut', onFault: 'release' } });
  r.input.setFault(null);
  t.same(r.fire, [false, true, false], 'sound and normal: restored');
  t.same(r.reasons(), ['fire_input_fault', 'fire_input_fault_cleared']);
});

t.test('onFault hold: a shorted loop only raises the alarm; a real alarm still releases', async (t) => {
  const r = rig('hold');
  r.input.setFault('short');
  t.same(r.fire, [false]);
  t.match(r.events, [{ reason: 'fire_input_fault', data: { fault: 'short', onFault: 'hold' } }]);
  r.input.setFault(null);
  r.input.set(true);
  t.same(r.fire, [false, true]);
});

t.test('a fault present at start is applied at start', async (t) => {
  const r = rig('release', (i) => { i.fault = 'short'; });
  t.same(r.fire, [true]);
  t.same(r.reasons(), ['fire_input_fault']);
});

t.test('an offline input keeps its last state (a bridge reset must not lock people in or out)', async (t) => {
  const r = rig('release');
  r.input.set(true);
  r.input.setHealth('offline');
  t.same(r.fire, [false, true], 'still released');
  t.equal(r.release.state().offline, true);
  r.input.setHealth('online');
  t.same(r.reasons(), ['fire_input_offline', 'fire_input_online']);
});

t.test('after stop the input is not listened to', async (t) => {
  const r = rig('release');
  r.release.stop();
  r.input.set(true);
  t.same(r.fire, [false]);
});

import t from 'tap';
import { ManualClock } from '../../../src/kernel/clock.js';
import { SimCardReader } from '../../../src/hal/sim/simCardReader.js';
import { SimKeypad } from '../../../src/hal/sim/simKeypad.js';
import { SimFingerprintReader } from '../../../src/hal/sim/simFingerprintReader.js';
import { SimMobileReader } from '../../../src/hal/sim/simMobileReader.js';
import type { ReaderInput } from '../../../src/hal/types.js';

function collect(reader: { on(event: 'input', listener: (input: ReaderInput) => void): unknown }): ReaderInput[] {
  const inputs: ReaderInput[] = [];
  reader.on('input', (input) => inputs.push(input));
  return inputs;
}

t.test('a presented card is normalised and emitted with its bit length', async (t) => {
  const clock = new ManualClock(5000);
  const reader = new SimCardReader({ id: 'lobby-card', clock });
  const inputs = collect(reader);
  await reader.start();
  t.same(reader.present('26:012:034567'), { delivered: true });
  t.same(reader.present('raw:40:00ABCDEF01'), { delivered: true });
  t.same(inputs, [
    { kind: 'card', value: '26:12:34567', bits: 26 },
    { kind: 'card', value: 'raw:40:abcdef01', bits: 40 },
  ]);
  t.same(reader.recording, [
    { at: 5000, input: { kind: 'card', value: '26:12:34567', bits: 26 }, delivered: true },
    { at: 5000, input: { kind: 'card', value: 'raw:40:abcdef01', bits: 40 }, delivered: true },
  ]);
});

t.test('bad card text is rejected with INPUT_INVALID naming the problem, whatever the state', async (t) => {
  const reader = new SimCardReader({ id: 'lobby-card', clock: new ManualClock(0) });
  const inputs = collect(reader);
  t.throws(() => reader.present('hello'), { code: 'INPUT_INVALID', message: /is not a card number/, details: { id: 'lobby-card', field: 'card' } });
  await reader.start();
  t.throws(() => reader.present('26:256:1'), { code: 'INPUT_INVALID', message: /facility code 256 does not fit H10301/ });
  t.throws(() => reader.present(42 as unknown as string), { code: 'INPUT_INVALID', message: /must be a string/ });
  t.same(inputs, []);
  t.same(reader.recording, [], 'a rejected text never reached the reader');
});

t.test('a reader that is not started, offline or stopped emits nothing and says why; the read is recorded', async (t) => {
  const clock = new ManualClock(0);
  const reader = new SimCardReader({ id: 'lobby-card', clock });
  const inputs = collect(reader);
  t.same(reader.present('26:12:34567'), { delivered: false, reason: 'not started' });
  await reader.start();
  reader.setOffline('bridge silent for 5 s');
  t.same(reader.present('26:12:34567'), { delivered: false, reason: 'offline: bridge silent for 5 s' });
  reader.setOnline();
  await reader.stop();
  t.same(reader.present('26:12:34567'), { delivered: false, reason: 'stopped' });
  t.same(inputs, []);
  t.same(reader.recording.map((r) => [r.delivered, r.reason]), [[false, 'not started'], [false, 'offline: bridge silent for 5 s'], [false, 'stopped']]);
});

t.test('a listener that changes the emitted input does not change the recording', async (t) => {
  const reader = new SimCardReader({ id: 'r', clock: new ManualClock(0) });
  await reader.start();
  reader.on('input', (input) => { if (input.kind === 'card') input.value = 'tampered'; });
  reader.present('26:12:34567');
  t.match(reader.recording[0], { input: { value: '26:12:34567' } });
});

t.test('a keypad sends one key per event, like a 4-bit Wiegand keypad', async (t) => {
  const clock = new ManualClock(0);
  const keypad = new SimKeypad({ id: 'lobby-keypad', clock });
  const inputs = collect(keypad);
  await keypad.start();
  t.same(keypad.press('12*#'), { delivered: true });
  t.same(inputs, ['1', '2', '*', '#'].map((keys) => ({ kind: 'keys', keys })));
  t.equal(keypad.recording.length, 4);
});

t.test('a burst keypad sends each press as one event', async (t) => {
  const keypad = new SimKeypad({ id: 'lobby-keypad', clock: new ManualClock(0), burst: true });
  const inputs = collect(keypad);
  await keypad.start();
  keypad.press('1234#');
  t.same(inputs, [{ kind: 'keys', keys: '1234#' }]);
});

t.test('a keypad rejects anything but 0-9 * #, naming the first bad key but not the digits', async (t) => {
  const keypad = new SimKeypad({ id: 'kp', clock: new ManualClock(0) });
  await keypad.start();
  const inputs = collect(keypad);
  t.throws(() => keypad.press('12a4'), { code: 'INPUT_INVALID', message: /"a" at position 3 is not a keypad key/, details: { field: 'keys' } });
  const err = t.throws(() => keypad.press('98A'));
  t.notMatch(String((err as Error).message), /98/, 'the digits typed are not in the message');
  t.throws(() => keypad.press(''), { code: 'INPUT_INVALID', message: /non-empty/ });
  t.throws(() => keypad.press(undefined as unknown as string), { code: 'INPUT_INVALID' });
  t.throws(() => keypad.press('1'.repeat(65)), { code: 'INPUT_INVALID', message: /at most 64 keys/ });
  t.same(inputs, []);
});

t.test('a keypad that goes away midway delivers only the keys before', async (t) => {
  const keypad = new SimKeypad({ id: 'kp', clock: new ManualClock(0) });
  await keypad.start();
  const inputs = collect(keypad);
  keypad.on('input', () => keypad.setOffline('cable cut'));
  t.same(keypad.press('123'), { delivered: false, reason: 'offline: cable cut' });
  t.same(inputs, [{ kind: 'keys', keys: '1' }]);
  t.same(keypad.recording.map((r) => r.delivered), [true, false, false]);
});

t.test('a fingerprint touch emits readerId:slot with the confidence', async (t) => {
  const clock = new ManualClock(0);
  const reader = new SimFingerprintReader({ id: 'lobby-fingerprint', readerId: 'lobby-fp', clock });
  const inputs = collect(reader);
  await reader.start();
  t.same(reader.touch(3), { delivered: true });
  t.same(reader.touch(0, 42.5), { delivered: true });
  t.same(inputs, [
    { kind: 'fingerprint', value: 'lobby-fp:3', confidence: 90 },
    { kind: 'fingerprint', value: 'lobby-fp:0', confidence: 42.5 },
  ]);
  t.equal(reader.readerId, 'lobby-fp');
  t.equal(new SimFingerprintReader({ id: 'gym-fp', clock }).readerId, 'gym-fp', 'readerId defaults to the id');
});

t.test('a fingerprint touch rejects a bad slot or confidence; a bad readerId fails start()', async (t) => {
  const clock = new ManualClock(0);
  const reader = new SimFingerprintReader({ id: 'fp', clock });
  await reader.start();
  for (const slot of [-1, 1.5, 65_536, Number.NaN]) t.throws(() => reader.touch(slot), { code: 'INPUT_INVALID', details: { field: 'slot' } }, `slot ${slot}`);
  for (const confidence of [-1, 101, Number.NaN]) t.throws(() => reader.touch(1, confidence), { code: 'INPUT_INVALID', details: { field: 'confidence' } }, `confidence ${confidence}`);
  t.same(reader.touch(65_535, 100), { delivered: true });
  await t.rejects(new SimFingerprintReader({ id: 'fp', readerId: 'bad id', clock }).start(), { code: 'CONFIG_INVALID', details: { field: 'readerId' } });
});

t.test('a phone tap emits the mobile key id; a bad key id is rejected', async (t) => {
  const reader = new SimMobileReader({ id: 'lobby-mobile', clock: new ManualClock(0) });
  const inputs = collect(reader);
  await reader.start();
  t.same(reader.tap('erin-phone'), { delivered: true });
  t.same(inputs, [{ kind: 'mobile', value: 'erin-phone' }]);
  t.throws(() => reader.tap(''), { code: 'INPUT_INVALID', details: { field: 'keyId' } });
  t.throws(() => reader.tap('two words'), { code: 'INPUT_INVALID' });
  reader.setOffline('no Bluetooth adapter');
  t.same(reader.tap('erin-phone'), { delivered: false, reason: 'offline: no Bluetooth adapter' });
  t.equal(inputs.length, 1);
});

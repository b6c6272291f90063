import t from 'tap';
import { crc16Modbus, decodeModbusFrame, encodeModbusFrame, ModbusFrameStream, type ModbusFrame } from '../../../src/hal/serial/relay/modbusFrame.js';
import { decodeRelayCommand, encodeRelayCommand, flashUnits } from '../../../src/hal/serial/relay/waveshareCommand.js';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

t.test('CRC-16/MODBUS matches the published check value and vendor examples', async (t) => {
  t.equal(crc16Modbus(Buffer.from('123456789')), 0x4b37, 'the catalogue check value');
  t.same(encodeModbusFrame({ kind: 'write', unit: 0xff, address: 0, value: 0xff00 }), hex('FF 05 00 00 FF 00 99 E4'), 'relay 1 on, unit 255');
  t.same(encodeModbusFrame({ kind: 'write', unit: 0xff, address: 0, value: 0 }), hex('FF 05 00 00 00 00 D8 14'), 'relay 1 off, unit 255');
});

t.test('Waveshare commands: latch, flash on, flash off, in 100 ms units rounded up', async (t) => {
  t.same(encodeRelayCommand(1, { kind: 'latch', channel: 1, energised: true }), { kind: 'write', unit: 1, address: 0x0000, value: 0xff00 });
  t.same(encodeRelayCommand(1, { kind: 'pulse', channel: 1, energised: true, units: 7 }), { kind: 'write', unit: 1, address: 0x0200, value: 7 });
  t.same(encodeRelayCommand(1, { kind: 'pulse', channel: 3, energised: false, units: 50 }), { kind: 'write', unit: 1, address: 0x0402, value: 50 });
  t.same([flashUnits(1), flashUnits(100), flashUnits(101), flashUnits(5000), flashUnits(1e9)], [1, 1, 2, 50, 0x7fff]);
  const frame = encodeRelayCommand(1, { kind: 'pulse', channel: 8, energised: true, units: 30 }) as ModbusFrame & { kind: 'write' };
  t.same(decodeRelayCommand(frame, 8), { kind: 'pulse', channel: 8, energised: true, units: 30 });
  t.equal(decodeRelayCommand(frame, 4), null, 'a channel the board does not have');
  t.equal(decodeRelayCommand({ ...frame, address: 0x0300 }, 8), null, 'a coil block the board does not have');
  t.equal(decodeRelayCommand({ ...frame, address: 0, value: 0x1234 }, 8), null, 'a latch value other than FF00/0000');
});

t.test('decoder outcomes: more, frame, exception, bad function, bad CRC', async (t) => {
  const on = hex('FF 05 00 00 FF 00 99 E4');
  t.same(decodeModbusFrame(on.subarray(0, 5)), { need: 'more' });
  t.match(decodeModbusFrame(on), { ok: true, item: { kind: 'write', unit: 0xff, address: 0, value: 0xff00 } });
  const exception = encodeModbusFrame({ kind: 'exception', unit: 1, code: 2 });
  t.equal(exception.length, 5);
  t.match(decodeModbusFrame(exception), { ok: true, item: { kind: 'exception', unit: 1, code: 2 } });
  t.same(decodeModbusFrame(hex('01 03 00 00')), { ok: false, reason: 'function', skip: 1 });
  const bad = Buffer.from(on);
  bad[4] = bad[4]! ^ 0x01;
  t.same(decodeModbusFrame(bad), { ok: false, reason: 'crc', skip: 1 });
});

t.test('every single-bit flip of a frame is rejected, and the stream recovers on the next clean frame', async (t) => {
  const frames = [0, 1, 2, 3].map((i) => encodeModbusFrame(encodeRelayCommand(1, { kind: 'pulse', channel: i + 1, energised: i % 2 === 0, units: 10 + i })));
  let invented = 0;
  let flips = 0;
  for (const [index, frame] of frames.entries()) {
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const bad = Buffer.from(frame);
      bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7));
      const stream = new ModbusFrameStream();
      const next = frames[(index + 1) % frames.length]!;
      const { items } = stream.push(Buffer.concat([bad, next]));
      flips++;
      if (items.some((f) => !encodeModbusFrame(f).equals(next))) invented++;
      if (!items.some((f) => encodeModbusFrame(f).equals(next))) t.fail(`bit ${bit} of frame ${index}: the next clean frame was lost`);
    }
  }
  t.equal(flips, 4 * 64);
  t.equal(invented, 0, 'no corrupted frame decoded as a frame');
});

import t from 'tap';
import { pino } from 'pino';
import { SerialPortMock } from 'serialport';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { buildSerialDoors } from '../../src/app/serialDoors.js';
import { SerialLink } from '../../src/hal/serial/serialLink.js';
import { WiegandBridge } from '../../src/hal/serial/wiegand/wiegandBridge.js';
import type { CardLayout } from '../../src/hal/serial/wiegand/cardFormatSchema.js';
import { encodeCard } from '../../src/hal/serial/wiegand/wiegandFrame.js';
import type { ReaderInput } from '../../src/hal/types.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { BridgeEmulator } from '../support/bridgeEmulator.js';
import { ptyPair, socatAvailable } from '../support/ptyPair.js';

const silent = pino({ level: 'silent' });
const SIMPLEX: CardLayout = {
  name: 'simplex-36', bits: 36, facility: { from: 2, to: 9 }, number: { from: 12, to: 35 },
  parity: [{ bit: 1, kind: 'odd', over: [[2, 18]] }, { bit: 36, kind: 'odd', over: [[18, 35]] }],
};

t.test('a bridge configured with formats and rawLengths decodes them end to end over a real pseudo-terminal pair', { skip: !socatAvailable() && 'socat is not installed (apt-get install socat)' }, async (t) => {
  const pty = await ptyPair(t);
  const clock = new ManualClock(0);
  const config = parseConfig({
    serial: {
      wiegandBridges: [{ id: 'b1', path: pty.a, formats: ['H10301', 'corporate1000-35', SIMPLEX], rawLengths: [40] }],
      relayBoards: [{ id: 'r1', path: '/dev/serial/by-id/relays-not-opened-here' }],
    },
    doors: [{ id: 'lobby', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 } } }],
  });
  const [lobby] = buildSerialDoors(config.serial, config.doors, { clock, logger: silent }).doors;
  const reader = lobby!.devices.readers[0]!;
  const peer = new SerialLink({ path: pty.b, baudRate: 115200, clock, logger: silent });
  const emulator = new BridgeEmulator({ clock, link: peer });
  t.teardown(async () => {
    await emulator.stop();
    await reader.stop();
    await peer.stop();
  });
  await peer.start();
  await emulator.start();
  await reader.start();

  const inputs: ReaderInput[] = [];
  const sentinel = new Promise<void>((resolve) => reader.on('input', (input) => {
    inputs.push(input);
    if (input.kind === 'card' && input.value === '26:99:999') resolve();
  }));
  const corp = { count: 35, value: 0x4a72010b3n }; // TheTick PR 20: company 1337, card 2137
  await emulator.send([
    emulator.heartbeatLine(),
    emulator.frameLine(1, corp),
    emulator.frameLine(1, { count: 35, value: corp.value ^ (1n << 20n) }), // one bit flipped: parity
    emulator.cardLine(1, 'H10306', 1200, 40001), // 34 bits: not listed on this bridge
    emulator.frameLine(1, { count: 40, value: 0xab12n }),
    emulator.frameLine(1, encodeCard(SIMPLEX, 12, 345678)),
    emulator.cardLine(1, 'H10301', 99, 999),
  ].join(''));
  await sentinel;
  t.same(inputs, [
    { kind: 'card', value: '35:1337:2137', bits: 35 },
    { kind: 'card', value: 'raw:40:ab12', bits: 40 },
    { kind: 'card', value: '36:12:345678', bits: 36 },
    { kind: 'card', value: '26:99:999', bits: 26 },
  ], 'the flipped Corporate 1000 frame and the unlisted 34-bit card were dropped, the rest presented in order');
});

t.test('the driver refuses bad formats and raw lengths when it starts, naming the path, and opens nothing', async (t) => {
  const path = '/dev/ttyWIEGAND-formats-check';
  SerialPortMock.binding.createPort(path, { echo: false, record: true });
  const clock = new ManualClock(0);
  const link = new SerialLink({ path, baudRate: 115200, clock, logger: silent, binding: SerialPortMock.binding });
  const base = { id: 'bridge-x', link, path, clock, logger: silent, ports: [{ port: 1, readerId: 'x' }] };
  const cases: [Partial<ConstructorParameters<typeof WiegandBridge>[0]>, string, RegExp][] = [
    [{ rawLengths: [26] }, 'rawLengths.0', /26 bits cannot be raw/],
    [{ rawLengths: [35], formats: ['corporate1000-35'] }, 'rawLengths.0', /formats\.0 \(corporate1000-35\) decodes 35-bit frames/],
    [{ formats: ['H10301', 'H10301'] }, 'formats.1', /already formats\.0/],
    [{ formats: [{ ...SIMPLEX, parity: [{ bit: 14, kind: 'odd', over: [[2, 13]] }] }] }, 'formats.0.parity.0.bit', /inside the number field/],
    [{ formats: ['H9999' as 'H10301'] }, 'formats.0', /unknown card format "H9999"/],
  ];
  for (const [options, field, message] of cases) {
    const bridge = new WiegandBridge({ ...base, ...options });
    await t.rejects(bridge.start(), { code: 'CONFIG_INVALID', details: { field }, message }, JSON.stringify(options));
    t.equal(link.health().reason, 'not started', 'nothing was opened');
  }
});

import t, { type Test } from 'tap';
import { pino } from 'pino';
import { SerialLink } from '../../src/hal/serial/serialLink.js';
import { BridgeEmulator } from '../support/bridgeEmulator.js';
import { RelayBoardEmulator } from '../support/relayBoardEmulator.js';
import type { RelayFrame } from '../../src/hal/serial/relay/relayFrame.js';
import { gatewayFixture } from '../support/gatewayFixture.js';
import { ptyPair, socatAvailable } from '../support/ptyPair.js';

const noSocat = !socatAvailable() && 'socat is not installed (apt-get install socat)';

async function serialSite(t: Test) {
  const bridgePty = await ptyPair(t);
  const relayPty = await ptyPair(t);
  const f = await gatewayFixture(t, {
    serial: {
      wiegandBridges: [{ id: 'b1', path: bridgePty.a }],
      relayBoards: [{ id: 'r1', path: relayPty.a, channels: 4, refreshMs: 0 }],
    },
    doors: [
      { id: 'lobby', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 } } },
      { id: 'server-room', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 2 }, actuator: { board: 'r1', channel: 2 } } },
    ],
  });
  const logger = pino({ level: 'silent' });
  const bridgeEnd = new SerialLink({ path: bridgePty.b, baudRate: 115_200, clock: f.clock, logger });
  const relayEnd = new SerialLink({ path: relayPty.b, baudRate: 9_600, clock: f.clock, logger });
  await bridgeEnd.start();
  await relayEnd.start();
  t.teardown(async () => { await bridgeEnd.stop(); await relayEnd.stop(); });
  const bridge = new BridgeEmulator({ clock: f.clock, link: bridgeEnd });
  await bridge.start();
  const relays = new RelayBoardEmulator({ channels: 4 });
  relays.attach(relayEnd);
  const frames: RelayFrame[] = [];
  relays.on('frame', (frame) => frames.push(frame));
  /** the first frame for `channel` setting it to `energised` (the board also re-sends rest states on open) */
  const nextFrame = (channel: number, energised: boolean) =>
    new Promise<RelayFrame>((resolve) => {
      const check = (frame: RelayFrame) => {
        if (frame.channel !== channel || frame.energised !== energised) return;
        relays.off('frame', check);
        resolve(frame);
      };
      relays.on('frame', check);
    });
  /** the door showed this pattern on the reader's LED: the bridge got `L <port> <pattern>` */
  const nextPattern = (port: number, pattern: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (bridge.pattern(port) === pattern) {
          bridge.off('command', check);
          resolve();
        }
      };
      bridge.on('command', check);
    });
  return { f, bridge, relays, frames, nextFrame, nextPattern };
}

t.test('a card line into the bridge PTY releases the strike on the relay PTY, then re-locks', { skip: noSocat }, async (t) => {
  const { f, bridge, relays, frames, nextFrame } = await serialSite(t);
  await bridge.sendHeartbeat();
  const released = nextFrame(1, true);
  await bridge.sendCard(1, 'H10301', 12, 34567); // alice
  await released;
  t.equal(relays.energised(1), true);
  t.match(f.gateway.journal.recent(0, 100).find((e) => e.type === 'access'), { doorId: 'lobby', grant: true, personId: 'alice' });
  const relocked = nextFrame(1, false);
  f.clock.advance(5_000);
  await relocked;
  t.equal(relays.energised(1), false);
  t.equal(frames.filter((fr) => fr.channel === 2 && fr.energised).length, 0, 'the other door never moved');
});

t.test('keypad keys through the bridge: card+PIN at the server room', { skip: noSocat }, async (t) => {
  const { bridge, relays, nextFrame, nextPattern } = await serialSite(t);
  await bridge.sendHeartbeat();
  const waiting = nextPattern(2, 'pin_entry');
  await bridge.sendCard(2, 'H10301', 12, 1001); // carol at a card+PIN door
  await waiting;
  const released = nextFrame(2, true);
  await bridge.sendKeys(2, '4321#');
  await released;
  t.equal(relays.energised(2), true);
});

t.test('corrupted lines never move a relay, and the framing recovers', { skip: noSocat }, async (t) => {
  const { f, bridge, frames, nextPattern, nextFrame } = await serialSite(t);
  await bridge.sendHeartbeat();
  const good = bridge.cardLine(1, 'H10301', 12, 34567);
  const corruptions = [
    good.replace('W 1', 'W 2'), // another port: the CRC no longer matches
    good.slice(0, 8) + (good[8] === '0' ? '1' : '0') + good.slice(9), // one flipped hex digit
    good.slice(0, -3) + '\n', // truncated
    `${'\u0000\u00ff'.repeat(40)}${good.slice(5)}`, // noise glued to a partial line
  ];
  for (const line of corruptions) await bridge.send(line);
  // a clean, unknown card afterwards: the door must decode it (framing recovered) and deny it
  const denied = nextPattern(1, 'denied');
  await bridge.sendCard(1, 'H10301', 99, 1);
  await denied;
  t.same(frames.filter((fr) => fr.energised), [], 'no relay was energised by any corrupted line');
  const access = f.gateway.journal.recent(0, 100).filter((e) => e.type === 'access');
  t.same(access.map((e) => e.reason), ['unknown_credential'], 'only the clean line reached a decision');
  const released = nextFrame(1, true);
  await bridge.send(good);
  await released;
  t.pass('and the next clean card opens');
});

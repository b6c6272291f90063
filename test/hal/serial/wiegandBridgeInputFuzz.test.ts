/**
 * The central property of door inputs, over a real pseudo-terminal pair: random I lines for the
 * six inputs of test/support/bridgeInputRig.ts (states of both modes, so some are refused as
 * input_mode), some corrupted by 1–3 byte flips, insertions or deletions (CR, LF, space and '*'
 * favoured), bursts of up to 200 noise bytes, heartbeats, the whole written in random chunks.
 * Every `change` and `wiringFault` a sensor emits must follow from a line the emulator sent to
 * that input, in order, never twice for one line; consecutive changes of a sensor alternate; and
 * an input whose last line was clean and followed an intact line end shows exactly that line.
 * Seeded: the counts in docs/wiegand-bridge.md ("Residual risk") come from this run.
 */
import t from 'tap';
import fc from 'fast-check';
import { corruptLine, corruptionOpsArb, noiseBurstArb } from '../../support/lineCorruption.js';
import { pino } from 'pino';
import { INPUT_STATES, type BridgeInputLine, type BridgeInputState } from '../../../src/hal/serial/wiegand/bridgeLine.js';
import type { SensorFault } from '../../../src/hal/types.js';
import { inputRig, type SensorEvent } from '../../support/bridgeInputRig.js';
import { socatAvailable } from '../../support/ptyPair.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);

/** The meaning of a state for each input of INPUT_PORTS, written out independently of the driver. */
type Meaning = { level: boolean } | { fault: SensorFault } | null;
const UNSUPERVISED = (activeWhen: 'open' | 'closed') => (s: BridgeInputState): Meaning => (s === 'open' || s === 'closed' ? { level: s === activeWhen } : null);
const SUPERVISED = (s: BridgeInputState): Meaning => (s === 'normal' ? { level: false } : s === 'active' ? { level: true } : s === 'cut' || s === 'short' ? { fault: s } : null);
const MEANING: Record<string, { sensor: string; meaning: (s: BridgeInputState) => Meaning }> = {
  '1:contact': { sensor: 'front-door', meaning: UNSUPERVISED('open') },
  '1:rex': { sensor: 'front-rex', meaning: UNSUPERVISED('closed') },
  '1:aux': { sensor: 'fire', meaning: UNSUPERVISED('open') },
  '2:contact': { sensor: 'back-door', meaning: SUPERVISED },
  '2:rex': { sensor: 'back-rex', meaning: UNSUPERVISED('open') },
  '2:aux': { sensor: 'back-aux', meaning: SUPERVISED },
};

interface Sent {
  bytes: number[];
  /** the sensor the line was for (null: a heartbeat or noise) */
  sensor: string | null;
  meaning: Meaning;
  corrupted: boolean;
  endsWithLf: boolean;
}

t.test('random I lines, corrupted and chunked over a PTY: no sensor event that was not sent, none twice or out of order', { skip: !socatAvailable() && 'socat is not installed (apt-get install socat)', timeout: 600_000 }, async (t) => {
  const rig = await inputRig(t, pino({ level: 'silent' }));
  await rig.startAll();
  await rig.barrier();
  const itemArb = fc.oneof(
    // mostly states of the input's own mode; one in eight any state (a mismatch, refused)
    { weight: 6, arbitrary: fc.record({ port: fc.constantFrom(1, 2), line: fc.constantFrom<BridgeInputLine>('contact', 'rex', 'aux'), pick: fc.nat(), anyMode: fc.integer({ min: 0, max: 7 }) }).map(({ port, line, pick, anyMode }) => {
      const states = anyMode === 0 ? INPUT_STATES : INPUT_STATES.filter((st) => MEANING[`${port}:${line}`]!.meaning(st) !== null);
      return { port, line, state: states[pick % states.length]! };
    }) },
    { weight: 1, arbitrary: fc.constant(null) }, // a heartbeat
  );
  const opsArb = corruptionOpsArb;
  const noiseArb = noiseBurstArb;
  const totals = { runs: 0, lines: 0, corruptedLines: 0, noiseBursts: 0, wrongMode: 0, changes: 0, faults: 0, recovered: 0, refusedKept: 0, unexplained: 0 };
  const lastChange = new Map<string, boolean>();
  const lastFault = new Map<string, SensorFault | null>();

  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(itemArb, opsArb, noiseArb), { minLength: 1, maxLength: 16 }), fc.array(fc.integer({ min: 1, max: 48 }), { minLength: 1, maxLength: 8 }), async (items, sizes) => {
      const sent: Sent[] = items.flatMap(([item, ops, noise]) => {
        const text = item ? rig.emulator.inputLine(item.port, item.line, item.state) : rig.emulator.heartbeatLine();
        const target = item ? MEANING[`${item.port}:${item.line}`]! : null;
        const { bytes, corrupted } = corruptLine(text, ops);
        const line: Sent = { bytes, sensor: target?.sensor ?? null, meaning: item && target ? target.meaning(item.state) : null, corrupted, endsWithLf: bytes.at(-1) === 0x0a };
        if (!noise) return [line];
        totals.noiseBursts++;
        const junk = [...noise[0], ...(noise[1] ? [0x0a] : [])];
        return [{ bytes: junk, sensor: null, meaning: null, corrupted: true, endsWithLf: junk.at(-1) === 0x0a }, line];
      });
      const wire = Buffer.from([0x0a, ...sent.flatMap((s) => s.bytes), 0x0a]);
      rig.events.length = 0;
      for (let at = 0, k = 0; at < wire.length; k++) {
        const size = sizes[k % sizes.length]!;
        await rig.emulator.send(wire.subarray(at, at + size).toString('latin1'));
        at += size;
      }
      await rig.barrier();
      totals.runs++;
      totals.lines += sent.length;
      totals.corruptedLines += sent.filter((s) => s.corrupted && s.sensor !== null).length;
      totals.wrongMode += sent.filter((s) => s.sensor !== null && s.meaning === null).length;
      if (!explained(rig.events, sent, lastChange, lastFault, totals)) return false;
      // recovery: an input whose last line in the run was clean and followed an intact line end
      // shows that line — or, past clean refused (wrong-mode) lines, the clean line before them
      for (const sensorName of new Set(sent.flatMap((s) => (s.sensor ? [s.sensor] : [])))) {
        const intact = (i: number) => !sent[i]!.corrupted && (i === 0 || sent[i - 1]!.endsWithLf);
        let i = sent.findLastIndex((s) => s.sensor === sensorName);
        while (i >= 0 && intact(i) && sent[i]!.meaning === null) i = sent.findLastIndex((s, j) => j < i && s.sensor === sensorName);
        if (i < 0 || !intact(i)) continue;
        const s = sent[i]!;
        if (s.meaning === null) continue;
        const [port, line] = Object.entries(MEANING).find(([, m]) => m.sensor === sensorName)![0].split(':') as [string, BridgeInputLine];
        const sensor = rig.sensor(Number(port), line);
        const want = 'level' in s.meaning ? [s.meaning.level, null] : [undefined, s.meaning.fault];
        if (sensor.value() !== want[0] || sensor.wiringFault() !== want[1]) return false;
        totals.recovered++;
        if (i !== sent.findLastIndex((x) => x.sensor === sensorName)) totals.refusedKept++;
      }
      return true;
    }),
    { numRuns: RUNS, seed: 20261207 },
  );
  t.comment(JSON.stringify({ ...totals, stats: rig.bridge.stats() }));
  t.equal(totals.unexplained, 0, 'every event followed from a line that was sent');
  t.ok(totals.corruptedLines > 5_000 && totals.noiseBursts > 3_000, 'thousands of corrupted lines and noise bursts went through');
  t.ok(totals.changes > 5_000 && totals.faults > 2_500, 'and thousands of real edges and faults came out');
  t.ok(rig.bridge.stats().dropped.input_mode > 1_000 && rig.bridge.stats().dropped.too_long > 500, 'wrong-mode lines were refused; overlong garbage was resynchronised');
  t.ok(totals.recovered > 8_000, 'inputs showed their last clean line');
  t.ok(totals.refusedKept > 100, 'including inputs whose last line was refused and changed nothing');
});

/**
 * Each event must match a line for its sensor later than the one the previous event matched
 * (a change right after wiringFault(null) comes from the same line); changes alternate and
 * faults differ from the previous one, across runs.
 */
function explained(events: readonly SensorEvent[], sent: readonly Sent[], lastChange: Map<string, boolean>, lastFault: Map<string, SensorFault | null>, totals: { changes: number; faults: number; unexplained: number }): boolean {
  const at = new Map<string, { index: number; recovered: boolean }>();
  for (const e of events) {
    const from = at.get(e.sensor) ?? { index: -1, recovered: false };
    const start = e.event === 'change' && from.recovered ? from.index : from.index + 1;
    const matches = (s: Sent) =>
      s.sensor === e.sensor && s.meaning !== null &&
      (e.event === 'change' ? 'level' in s.meaning && s.meaning.level === e.active : e.fault === null ? 'level' in s.meaning : 'fault' in s.meaning && s.meaning.fault === e.fault);
    let index = -1;
    for (let i = Math.max(0, start); i < sent.length; i++) if (matches(sent[i]!)) { index = i; break; }
    if (index === -1) {
      totals.unexplained++;
      return false;
    }
    if (e.event === 'change') {
      if (lastChange.get(e.sensor) === e.active) return false; // the same level twice
      lastChange.set(e.sensor, e.active);
      totals.changes++;
    } else {
      if ((lastFault.get(e.sensor) ?? null) === e.fault) return false;
      lastFault.set(e.sensor, e.fault);
      totals.faults++;
    }
    at.set(e.sensor, { index, recovered: e.event === 'wiringFault' && e.fault === null });
  }
  return true;
}

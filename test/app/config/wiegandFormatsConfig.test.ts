import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/app/config/loadConfig.js';

const bridge = (extra: Record<string, unknown>) => ({ serial: { wiegandBridges: [{ id: 'b1', path: '/dev/serial/by-id/bridge-1' }, { id: 'b2', path: '/dev/serial/by-id/bridge-2', ...extra }] } });
const errorOf = (extra: Record<string, unknown>): string => {
  try {
    parseConfig(bridge(extra));
  } catch (err) {
    t.equal((err as { code?: string }).code, 'CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(extra)}`);
};
const SIMPLEX = {
  name: 'simplex-36', bits: 36, facility: { from: 2, to: 9 }, number: { from: 12, to: 35 },
  parity: [{ bit: 1, kind: 'odd', over: [[2, 18]] }, { bit: 36, kind: 'odd', over: [[18, 35]] }],
};
const withParity = (parity: unknown[], rest: Record<string, unknown> = {}) => ({ formats: [{ ...SIMPLEX, parity, ...rest }] });

t.test('by default a bridge decodes H10301, H10306 and H10304 and nothing raw (as before these keys existed)', async (t) => {
  const c = parseConfig(bridge({}));
  t.same(c.serial.wiegandBridges[1]!.formats, ['H10301', 'H10306', 'H10304']);
  t.same(c.serial.wiegandBridges[1]!.rawLengths, []);
});

t.test('rawLengths and formats are accepted: built-in names and custom layouts', async (t) => {
  const c = parseConfig(bridge({ rawLengths: [40, 56], formats: ['H10301', 'corporate1000-35', 'corporate1000-48', SIMPLEX] }));
  t.same(c.serial.wiegandBridges[1]!.rawLengths, [40, 56]);
  t.same(c.serial.wiegandBridges[1]!.formats, ['H10301', 'corporate1000-35', 'corporate1000-48', SIMPLEX]);
  t.same(parseConfig(bridge({ formats: [] })).serial.wiegandBridges[1]!.formats, [], 'an empty list: a keypad-only bridge');
});

t.test('a raw length that is a keypad burst, a default format, a listed format or out of range names the bridge index and the value', async (t) => {
  t.match(errorOf({ rawLengths: [40, 26] }), /serial\.wiegandBridges\.1\.rawLengths\.1: 26 bits cannot be raw: 26, 34, 37-bit frames are decoded with their parity/);
  t.match(errorOf({ rawLengths: [8] }), /serial\.wiegandBridges\.1\.rawLengths\.0: 8 bits cannot be raw: 8-bit frames are keypad bursts/);
  t.match(errorOf({ rawLengths: [4] }), /rawLengths\.0: 4 bits cannot be raw/);
  t.match(errorOf({ rawLengths: [37], formats: ['H10301'] }), /rawLengths\.0: 37 bits cannot be raw/, 'never raw even when its format is not listed');
  t.match(errorOf({ rawLengths: [35], formats: ['corporate1000-35'] }), /rawLengths\.0: 35 bits cannot be raw: formats\.0 \(corporate1000-35\) decodes 35-bit frames with their parity/);
  t.match(errorOf({ rawLengths: [36], formats: [SIMPLEX] }), /rawLengths\.0: 36 bits cannot be raw: formats\.0 \(simplex-36\)/);
  t.match(errorOf({ rawLengths: [0] }), /serial\.wiegandBridges\.1\.rawLengths\.0: /);
  t.match(errorOf({ rawLengths: [129] }), /serial\.wiegandBridges\.1\.rawLengths\.0: /);
  t.match(errorOf({ rawLengths: [40.5] }), /serial\.wiegandBridges\.1\.rawLengths\.0: /);
});

t.test('an unknown format name lists the built-ins', async (t) => {
  t.match(errorOf({ formats: ['H10301', 'H10302'] }), /serial\.wiegandBridges\.1\.formats\.1: unknown card format "H10302": a built-in \(H10301, H10306, H10304, corporate1000-35, corporate1000-48\) or a custom layout/);
  t.match(errorOf({ formats: [42] }), /formats\.0: a card format is a built-in name/);
});

t.test('at most one format per length, each name once', async (t) => {
  t.match(errorOf({ formats: ['H10301', { ...SIMPLEX, name: 'my-26', bits: 26, facility: { from: 2, to: 9 }, number: { from: 10, to: 25 }, parity: [{ bit: 1, kind: 'even', over: [[2, 13]] }, { bit: 26, kind: 'odd', over: [[14, 25]] }] }] }),
    /formats\.1: my-26 and H10301 \(formats\.0\) both decode 26-bit frames: a bridge has at most one format per length/);
  t.match(errorOf({ formats: ['H10301', 'H10301'] }), /formats\.1: H10301 is already formats\.0/);
  t.match(errorOf({ formats: [SIMPLEX, { ...SIMPLEX, bits: 40, parity: [{ bit: 1, kind: 'odd', over: [[2, 18]] }, { bit: 40, kind: 'odd', over: [[18, 35]] }] }] }), /formats\.1: simplex-36 is already formats\.0/);
  t.match(errorOf({ formats: [{ ...SIMPLEX, name: 'H10304' }] }), /formats\.0\.name: "H10304" is a built-in name/);
  t.match(errorOf({ formats: [{ ...SIMPLEX, name: 'raw' }] }), /formats\.0\.name: "raw" is a built-in name/);
});

t.test('custom layouts: every mistake is reported with its path', async (t) => {
  t.match(errorOf(withParity([{ bit: 14, kind: 'odd', over: [[2, 13]] }, { bit: 36, kind: 'odd', over: [[15, 35]] }])), /formats\.0\.parity\.0\.bit: parity bit 14 is inside the number field \(bits 12-35\)/);
  t.match(errorOf(withParity([{ bit: 5, kind: 'odd', over: [[2, 4]] }, { bit: 36, kind: 'odd', over: [[18, 35]] }])), /formats\.0\.parity\.0\.bit: parity bit 5 is inside the facility field \(bits 2-9\)/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[2, 40]] }, { bit: 36, kind: 'odd', over: [[18, 35]] }])), /formats\.0\.parity\.0\.over\.0: bits 2-40 run past the 36-bit frame/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[18, 2]] }, { bit: 36, kind: 'odd', over: [[18, 35]] }])), /formats\.0\.parity\.0\.over\.0: from 18 is after to 2/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[1, 18]] }, { bit: 36, kind: 'odd', over: [[18, 35]] }])), /formats\.0\.parity\.0\.over\.0: parity bit 1 cannot cover itself/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[2, 18]] }, { bit: 1, kind: 'even', over: [[18, 35]] }])), /formats\.0\.parity\.1\.bit: bit 1 is already parity bit 0/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[2, 18], [36, 36]] }, { bit: 36, kind: 'odd', over: [[1, 1], [18, 35]] }])), /formats\.0\.parity: two parity bits cover each other/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[2, 18]] }, { bit: 36, kind: 'odd', over: [[18, 30]] }])), /formats\.0\.number: bit 31 of the number field is under no parity bit: one flipped bit there would present a different card/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[2, 18]] }], { number: { from: 9, to: 35 } })), /formats\.0\.number: the number field \(bits 9-35\) overlaps the facility field \(bits 2-9\)/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'odd', over: [[2, 18]] }], { number: { from: 12, to: 37 } })), /formats\.0\.number: bits 12-37 run past the 36-bit frame/);
  t.match(errorOf(withParity([{ bit: 1, kind: 'parity', over: [[2, 18]] }])), /formats\.0\.parity\.0\.kind: /);
  t.match(errorOf(withParity([])), /formats\.0\.parity: a card format needs a parity bit \(frames without parity are rawLengths\)/);
  t.match(errorOf({ formats: [{ ...SIMPLEX, colour: 'red' }] }), /formats\.0: unknown key "colour"/);
  t.match(errorOf({ formats: [{ ...SIMPLEX, number: undefined }] }), /formats\.0\.number: /);
  t.match(errorOf({ formats: [{ ...SIMPLEX, bits: 8 }] }), /formats\.0\.bits: a card format has at least 9 bits/);
  t.match(errorOf({ formats: [{ ...SIMPLEX, bits: 200 }] }), /formats\.0\.bits: a frame has at most 128 bits/);
});

t.test('a custom format at a built-in length must fit the card numbers of that length', async (t) => {
  const wide26 = { name: 'wide-26', bits: 26, facility: { from: 2, to: 10 }, number: { from: 11, to: 25 }, parity: [{ bit: 1, kind: 'even', over: [[2, 13]] }, { bit: 26, kind: 'odd', over: [[14, 25]] }] };
  t.match(errorOf({ formats: [wide26] }), /formats\.0\.bits: its cards would not be valid card numbers: facility code 511 does not fit H10301/);
  const narrow26 = { ...wide26, name: 'indala-26', facility: { from: 2, to: 9 }, number: { from: 10, to: 25 } };
  t.same(parseConfig(bridge({ formats: [narrow26] })).serial.wiegandBridges[1]!.formats, [narrow26], 'fields within the H10301 widths are fine');
  t.match(errorOf({ formats: [{ ...SIMPLEX, bits: 60, facility: { from: 2, to: 35 }, number: { from: 36, to: 59 }, parity: [{ bit: 1, kind: 'odd', over: [[2, 59]] }] }] }), /formats\.0\.facility: a facility field has at most 32 bits \(this one has 34\)/);
});

t.test('every problem is reported at once: first the shapes of all entries, then (when they are sound) the rules between them', async (t) => {
  const shapes = errorOf({ formats: ['H10302', withParity([])['formats'][0], 'H10301'] });
  t.match(shapes, /formats\.0: unknown card format/);
  t.match(shapes, /formats\.1\.parity: a card format needs a parity bit/);
  const rules = errorOf({ rawLengths: [26, 8, 40], formats: ['H10301', 'H10301', withParity([{ bit: 14, kind: 'odd', over: [[2, 13]] }, { bit: 36, kind: 'odd', over: [[15, 35]] }])['formats'][0]] });
  t.match(rules, /rawLengths\.0: 26 bits cannot be raw/);
  t.match(rules, /rawLengths\.1: 8 bits cannot be raw/);
  t.notMatch(rules, /rawLengths\.2/);
  t.match(rules, /formats\.1: H10301 is already formats\.0/);
  t.match(rules, /formats\.2\.parity\.0\.bit: parity bit 14 is inside the number field/);
});

t.test('the custom-format example of docs/wiegand-bridge.md is a valid config', async (t) => {
  const doc = readFileSync(new URL('../../../docs/wiegand-bridge.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### Card formats decoded'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!.replace('usb-...', 'usb-bridge');
  const c = parseConfig(parse(yaml));
  t.same(c.serial.wiegandBridges[0]!.formats.map((f) => (typeof f === 'string' ? f : f.name)), ['H10301', 'corporate1000-35', 'simplex-36']);
});

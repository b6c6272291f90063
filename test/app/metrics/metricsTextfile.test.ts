/**
 * The metrics textfile through the real gateway on the demo's simulated doors: written at start
 * and every intervalMs of the ManualClock, atomically (a new file renamed over the old one, no
 * temp file left behind), removed at stop; a file the gateway did not write is never touched.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { textfileMarker } from '../../../src/app/metrics/metricsTextfile.js';
import { gatewayFixture } from '../../support/gatewayFixture.js';
import { next } from '../../support/bridgeInputRig.js';
import { parseExposition, sampleValue } from '../../support/promExposition.js';

function textfileDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-textfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const inTextfile = (path: string) => ({ metrics: { enabled: true, listen: null, textfile: path, intervalMs: 15_000 } });

t.test('the textfile is written at start, replaced atomically every intervalMs, removed at stop', async (t) => {
  const dir = textfileDir(t);
  const path = join(dir, 'lockgw.prom');
  const umask = process.umask(0o077); // the unit's UMask
  t.teardown(() => process.umask(umask));
  const { gateway, clock } = await gatewayFixture(t, inTextfile(path));
  const first = readFileSync(path, 'utf8');
  t.equal(statSync(path).mode & 0o777, 0o644, 'readable by node_exporter under the daemon\'s UMask=0077');
  t.equal(first.split('\n')[0], textfileMarker('gw-local'), 'the first line is the marker');
  t.equal(sampleValue(parseExposition(first), 'lockgw_decisions_total', { door: 'lobby' }), undefined, 'no decision yet');
  const inode = statSync(path).ino;

  gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  const textfile = gateway.metrics!.textfile!;
  clock.advance(14_999);
  t.equal(readFileSync(path, 'utf8'), first, 'not rewritten before intervalMs');
  const written = next(textfile, 'written');
  clock.advance(1);
  await written;
  const second = readFileSync(path, 'utf8');
  t.equal(sampleValue(parseExposition(second), 'lockgw_decisions_total', { door: 'lobby', result: 'granted', reason: 'granted' }), 1);
  t.not(statSync(path).ino, inode, 'a new file renamed into place, not the old one rewritten');
  t.same(readdirSync(dir), ['lockgw.prom'], 'no temp file left in the directory');

  const again = next(textfile, 'written');
  clock.advance(15_000);
  await again;
  t.same(readdirSync(dir), ['lockgw.prom'], 'and again after the next interval');

  await gateway.stop();
  t.notOk(existsSync(path), 'a stopped gateway leaves no values that look live');
  t.equal(gateway.metrics!.textfile, null);
});

t.test('a file the gateway did not write is refused and left as it was; the doors still run', async (t) => {
  const dir = textfileDir(t);
  const path = join(dir, 'node.prom');
  const theirs = '# HELP node_thing something else\nnode_thing 1\n';
  writeFileSync(path, theirs);
  const { gateway, logs } = await gatewayFixture(t, inTextfile(path));
  t.equal(gateway.metrics!.textfile, null, 'no textfile writer');
  t.match(logs.join(''), `metrics disabled: metrics.textfile: ${path} exists and was not written by lockgw`);
  t.match(logs.join(''), 'lockgw never overwrites a file it did not write');
  t.equal(gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).reason, 'granted', 'the doors run');
  await gateway.stop();
  t.equal(readFileSync(path, 'utf8'), theirs, 'untouched, not even removed at stop');
});

t.test('a file already at the temp file\'s name is not the gateway\'s: the write fails and leaves it', async (t) => {
  const dir = textfileDir(t);
  const path = join(dir, 'lockgw.prom');
  const temp = join(dir, `.lockgw.prom.${process.pid}.tmp`);
  writeFileSync(temp, 'someone else\'s\n');
  const { gateway, logs } = await gatewayFixture(t, inTextfile(path));
  t.equal(gateway.metrics!.textfile, null, 'no textfile writer');
  t.match(logs.join(''), `metrics disabled: metrics.textfile: cannot write ${path}`);
  t.equal(readFileSync(temp, 'utf8'), 'someone else\'s\n', 'the file at the temp name is untouched');
  t.notOk(existsSync(path), 'nothing renamed into place');
});

t.test('another gateway\'s textfile is refused, naming that gateway', async (t) => {
  const dir = textfileDir(t);
  const path = join(dir, 'lockgw.prom');
  const theirs = `${textfileMarker('gw-upstairs')}\nlockgw_safety_only 0\n`;
  writeFileSync(path, theirs);
  const { logs } = await gatewayFixture(t, inTextfile(path));
  t.match(logs.join(''), `metrics.textfile: ${path} is written by another gateway (gw-upstairs)`);
  t.equal(readFileSync(path, 'utf8'), theirs);
});

t.test('this gateway\'s own file (left by a killed run) is replaced', async (t) => {
  const dir = textfileDir(t);
  const path = join(dir, 'lockgw.prom');
  writeFileSync(path, `${textfileMarker('gw-local')}\nlockgw_safety_only 1\n`);
  await gatewayFixture(t, inTextfile(path));
  t.equal(sampleValue(parseExposition(readFileSync(path, 'utf8')), 'lockgw_safety_only'), 0, 'the values of this run');
});

t.test('a symlink, a directory or a missing directory at the path is refused', async (t) => {
  const dir = textfileDir(t);
  const target = join(dir, 'elsewhere.txt');
  writeFileSync(target, `${textfileMarker('gw-local')}\n`);
  const link = join(dir, 'link.prom');
  symlinkSync(target, link);
  const linked = await gatewayFixture(t, inTextfile(link));
  t.match(linked.logs.join(''), `metrics.textfile: ${link} exists and is not a regular file`);
  t.equal(readFileSync(target, 'utf8'), `${textfileMarker('gw-local')}\n`, 'the link\'s target is untouched');

  const folder = join(dir, 'folder.prom');
  mkdirSync(folder);
  const foldered = await gatewayFixture(t, inTextfile(folder));
  t.match(foldered.logs.join(''), `metrics.textfile: ${folder} exists and is not a regular file`);

  const missing = join(dir, 'nope', 'lockgw.prom');
  const nowhere = await gatewayFixture(t, inTextfile(missing));
  t.match(nowhere.logs.join(''), `metrics.textfile: the directory ${join(dir, 'nope')} does not exist`);
  t.notOk(existsSync(join(dir, 'nope')), 'the directory is not created');
});

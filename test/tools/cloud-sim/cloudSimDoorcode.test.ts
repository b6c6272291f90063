import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCloudSim } from '../../../tools/cloud-sim/cli/cloudSimCommand.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { silentLogger } from '../../support/cloudHarness.js';
import { VECTOR_SECRET } from '../../access/offlineCodeVectors.js';
import { offlineCodeSite, SITE_SECRET } from '../../support/offlineCodeSite.js';

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCloudSim(args, { out: (l) => out.push(l), err: (l) => err.push(l), progress: () => {}, logger: silentLogger(), clock: new ManualClock('2026-11-23T09:00:00Z') });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function secretFile(dir: string, secret: Buffer): string {
  const file = join(dir, 'offline-code-secret');
  writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  return file;
}

t.test('doorcode issues the documented test vectors', async (t) => {
  const file = secretFile(t.testdir(), VECTOR_SECRET);
  const hourly = await cli(['doorcode', '--secret-file', file, '--door', 'front', '--from', '2027-03-14T09:00', '--to', '2027-03-14T12:00', '--single-use']);
  t.equal(hourly.code, 0, hourly.err);
  t.equal(hourly.out, '2920303855  door:front, hourly, single use, 2027-03-14T09:00 to 2027-03-14T12:00 (site time), id oc-5811ff89327dc6f8');
  const daily = await cli(['doorcode', '--secret-file', file, '--group', 'amenities', '--from', '2027-03-14T00:00', '--to', '2027-03-16T00:00', '--json']);
  t.same(JSON.parse(daily.out), { type: 'doorcode', code: '3461347452', id: 'oc-e14efec1230eb542', scope: 'group:amenities', codeType: 'daily', singleUse: false, from: '2027-03-14T00:00', to: '2027-03-16T00:00' });
  const stay = await cli(['doorcode', '--secret-file', file, '--door', 'unit-4', '--from', '2027-03-14T15:00', '--to', '2027-03-17T11:00', '--single-use', '--json']);
  t.match(JSON.parse(stay.out), { code: '6427490140', codeType: 'multi-day' });
  const nine = await cli(['doorcode', '--secret-file', file, '--door', 'front', '--from', '2027-10-31T01:00', '--to', '2027-10-31T03:00', '--length', '9', '--json']);
  t.match(JSON.parse(nine.out), { code: '139029486', codeType: 'hourly' });
});

t.test('a code from doorcode opens the gateway\'s door', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z');
  const file = secretFile(t.testdir(), SITE_SECRET);
  const r = await cli(['doorcode', '--secret-file', file, '--door', 'lobby', '--from', '2026-11-23T10:00', '--to', '2026-11-23T13:00', '--json']);
  const { code } = JSON.parse(r.out) as { code: string };
  site.gateway.simulated!.doors.get('lobby')!.keypad.press(`${code}#`);
  t.equal(site.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'unlocked');
});

t.test('bad input is refused with a reason naming the option, and nothing is written', async (t) => {
  const dir = t.testdir();
  const file = secretFile(dir, VECTOR_SECRET);
  const base = ['--secret-file', file, '--door', 'front', '--from', '2027-03-14T09:00', '--to', '2027-03-14T12:00'];
  const cases: Array<[string[], RegExp]> = [
    [['--door', 'front', '--from', '2027-03-14T09:00', '--to', '2027-03-14T12:00'], /needs --secret-file/],
    [['--secret-file', join(dir, 'missing'), '--door', 'front', '--from', '2027-03-14T09:00', '--to', '2027-03-14T12:00'], /cannot read the offline-code secret/],
    [[...base, '--group', 'amenities'], /either --door ID or --group NAME/],
    [['--secret-file', file, '--door', 'front', '--from', '2027-02-30T09:00', '--to', '2027-03-14T12:00'], /--from "2027-02-30T09:00" is not a local date and time/],
    [['--secret-file', file, '--door', 'front', '--from', '2027-03-14T09:00Z', '--to', '2027-03-14T12:00'], /--from/],
    [['--secret-file', file, '--door', 'front', '--from', '2027-03-14T09:30', '--to', '2027-03-14T12:00', '--type', 'hourly'], /whole hour/],
    [['--secret-file', file, '--door', 'front', '--from', '2027-03-14T12:00', '--to', '2027-03-14T09:00'], /ends before it starts/],
    [[...base, '--type', 'weekly'], /--type "weekly" must be one of hourly, daily, multi-day/],
    [[...base, '--length', '8'], /--length "8" must be a whole number from 9 to 12/],
    [['--secret-file', file, '--door', 'front', '--from', '2027-03-01T15:00', '--to', '2027-05-01T11:00'], /1 to 31 nights/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['doorcode', ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, message, args.join(' '));
    t.equal(r.out, '', 'no code printed');
  }
  writeFileSync(join(dir, 'short'), 'abcd\n', { mode: 0o600 });
  t.match((await cli(['doorcode', ...base.slice(2), '--secret-file', join(dir, 'short')])).err, /not at least 32 bytes of hex/);
});

t.test('--new-secret creates the site secret with mode 0600, only when asked', async (t) => {
  const file = join(t.testdir(), 'site-secret');
  const r = await cli(['doorcode', '--secret-file', file, '--new-secret', '--door', 'front', '--from', '2027-03-14T09:00', '--to', '2027-03-14T10:00']);
  t.equal(r.code, 0, r.err);
  t.match(r.err, /created a new offline-code secret/);
  t.equal(statSync(file).mode & 0o777, 0o600);
  const again = await cli(['doorcode', '--secret-file', file, '--new-secret', '--door', 'front', '--from', '2027-03-14T09:00', '--to', '2027-03-14T10:00']);
  t.equal(again.out.slice(0, 10), r.out.slice(0, 10), 'an existing secret is used, not replaced');
});

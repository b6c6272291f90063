import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/lockgw.js';
import { issue, offlineCodeSite, SITE_SECRET } from '../support/offlineCodeSite.js';

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, (l) => out.push(l), (l) => err.push(l), { env: {}, systemConfigPath: '/nonexistent/lockgw.yaml' });
  return { code, out, err };
}

function configFile(dir: string, dataDir: string, offlineCodes = '{ enabled: true, groups: { amenities: [gym, pool] } }'): string {
  const file = join(dir, 'lockgw.yaml');
  writeFileSync(file, `gateway: { dataDir: ${JSON.stringify(dataDir)} }\nofflineCodes: ${offlineCodes}\n`);
  return file;
}

t.test('doorcode says what a code would do at a door, without using it up or journaling', async (t) => {
  // a gateway that used a single-use code; the CLI reads the same database
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z');
  const once = issue({ scope: 'door:lobby', singleUse: true, from: '2026-11-23T10:00', to: '2026-11-23T12:00' });
  site.gateway.simulated!.doors.get('lobby')!.keypad.press(`${once}#`);
  await site.gateway.stop();
  const config = configFile(t.testdir(), site.dataDir);
  const before = await cli(['journal', '--config', config, '--json']);
  const used = await cli(['doorcode', '--config', config, '--door', 'lobby', once, '--at', '2026-11-23T10:30']);
  t.equal(used.code, 3, used.err.join('\n') + used.out.join('\n'));
  t.match(used.out[0], /^DENIED\s+offline_code_used$/);
  t.match(used.out.join('\n'), /code oc-[0-9a-f]{16}: door:lobby, hourly, single use, 2026-11-23T10:00 to 2026-11-23T12:00 \(site time\)/);
  const group = issue({ scope: 'group:amenities', type: 'daily', from: '2026-11-23T00:00', to: '2026-11-24T00:00' });
  const json = await cli(['doorcode', '--config', config, '--door', 'pool', group, '--at', '2026-11-23T23:59', '--json']);
  t.equal(json.code, 0, json.err.join('\n'));
  t.match(JSON.parse(json.out[0]!), { grant: true, reason: 'granted', doorId: 'pool', offlineCode: { scope: 'group:amenities', type: 'daily' } });
  const late = await cli(['doorcode', '--config', config, '--door', 'pool', group, '--at', '2026-11-24T00:00']);
  t.match(late.out[0], /^DENIED\s+offline_code_expired$/);
  const after = await cli(['journal', '--config', config, '--json']);
  t.same(after.out, before.out, 'nothing journaled');
});

t.test('doorcode refuses what is not a code here, naming why', async (t) => {
  const dir = t.testdir();
  const dataDir = join(dir, 'data');
  const on = configFile(dir, dataDir);
  writeFileSync(join(dir, 'off.yaml'), `gateway: { dataDir: ${JSON.stringify(dataDir)} }\n`);
  let r = await cli(['doorcode', '--config', join(dir, 'off.yaml'), '--door', 'lobby', '2920303855']);
  t.equal(r.code, 2);
  t.match(r.err.join('\n'), /takes no offline doorcodes/);
  r = await cli(['doorcode', '--config', on, '--door', 'lobby', '2920303855']);
  t.equal(r.code, 1, 'no secret installed');
  t.match(r.err.join('\n'), /offline doorcodes are off/);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'offline-code-secret'), `${SITE_SECRET.toString('hex')}\n`, { mode: 0o600 });
  r = await cli(['doorcode', '--config', on, '--door', 'lobby', '12345']);
  t.equal(r.code, 2);
  t.match(r.err.join('\n'), /a doorcode here is 10 digits/);
  r = await cli(['doorcode', '--config', on, '--door', 'lobby', '1111111111']);
  t.equal(r.code, 3);
  t.match(r.out[0], /^DENIED\s+unknown_credential$/);
  r = await cli(['doorcode', '--config', on, '--door', 'lobby']);
  t.equal(r.code, 2, 'the code is required');
});

/**
 * `lockgw provision` end to end against a real Mosquitto: the config written (mode 0600) only once
 * a heartbeat signed by the cloud's key arrived; only what was asked changes; placeholders and an
 * id another box is online with are refused and nothing is written; with TLS, a password file and
 * a client certificate whose key and request were made by provision and signed by a CA made here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/app/config/loadConfig.js';
import { runCli } from '../../src/cli/lockgw.js';
import { signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { broker, testKey } from '../support/cloudHarness.js';
import { findMosquitto, type TestBroker } from '../support/mosquitto.js';

const openssl = spawnSync('openssl', ['version']).status === 0;
const skip = findMosquitto() === null ? 'needs mosquitto' : !openssl ? 'needs openssl' : false;
const ISSUER = 'https://cloud.example';
const GW = 'gw-linden-1';

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['provision', ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The cloud side: a heartbeat for the gateway, signed by `key`, every 100 ms while the test runs (the cloud's cadence). */
async function heartbeats(t: Test, url: string, key: ReturnType<typeof testKey>, gatewayId: string, options: IClientOptions = {}) {
  const client = mqtt.connect(url, { clientId: `cloud-${process.pid}-${Math.random()}`, reconnectPeriod: 100, ...options });
  client.on('error', () => undefined);
  const timer = setInterval(() => {
    const token = signCloudMessage('heartbeat', { revision: 7, time: Date.now() }, { kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: gatewayId, now: Date.now(), ttlMs: 60_000 });
    client.publish(`lockgw/${gatewayId}/down/heartbeat`, token);
  }, 100);
  t.teardown(async () => {
    clearInterval(timer);
    await client.endAsync(true);
  });
  return client;
}

function workDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-provision-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('writes the config only after a signed heartbeat proved it; a re-run changes only what it was asked', { skip }, async (t) => {
  const b: TestBroker = await broker(t);
  const key = testKey();
  const dir = workDir(t);
  const file = join(dir, 'lockgw.yaml');
  const keys = join(dir, 'cloud-keys.json');
  writeFileSync(keys, JSON.stringify({ keys: [key.publicJwk] }));
  await heartbeats(t, b.url, key, GW);
  const base = ['--config', file, '--timeout', '20'];

  const placeholder = await cli([...base, '--gateway-id', 'gw-CHANGE-ME', '--cloud-url', b.url, '--cloud-key', keys]);
  t.equal(placeholder.code, 2);
  t.match(placeholder.err, /^lockgw: gateway id "gw-CHANGE-ME" is a placeholder/);
  t.notOk(existsSync(file), 'nothing written');

  const wrongIssuer = await cli([...base, '--gateway-id', GW, '--data-dir', join(dir, 'data'), '--cloud-url', b.url, '--cloud-key', keys, '--issuer', 'https://someone.else']);
  t.equal(wrongIssuer.code, 1);
  t.match(wrongIssuer.err, /connected to .*, but heartbeats came but did not verify: .*issuer.*nothing was written/);
  t.notOk(existsSync(file), 'nothing written when the proof fails');

  const first = await cli([...base, '--gateway-id', GW, '--data-dir', join(dir, 'data'), '--cloud-url', b.url, '--cloud-key', keys, '--issuer', ISSUER]);
  t.equal(first.code, 0, first.err);
  t.match(first.out, /^gateway\.id: \(unset\) → gw-linden-1$/m);
  t.match(first.out, /^cloud\.url: \(unset\) → mqtt:\/\/127\.0\.0\.1:\d+$/m);
  t.match(first.out, /proved: connected, signed heartbeat verified \(the cloud's revision 7/);
  t.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600');
  const config = loadConfig(file);
  t.match(config, { gateway: { id: GW }, cloud: { enabled: true, url: b.url, issuer: ISSUER, keys: [{ kid: key.kid }] } });

  const again = await cli([...base, '--issuer', ISSUER]);
  t.equal(again.code, 0, again.err);
  t.match(again.out, /nothing changed/);
  t.match(again.out, /proved/);

  writeFileSync(file, `# the site's comment\n${readFileSync(file, 'utf8')}`, { mode: 0o600 });
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'door-s3cret\n');
  const password = await cli([...base, '--username', GW, '--password-file', pw, '--no-verify']);
  t.equal(password.code, 0, password.err);
  t.match(password.out, /^cloud\.password: \(unset\) → \*\*\*$/m, 'a secret is masked');
  t.notMatch(password.out + password.err, /door-s3cret/);
  t.match(password.out, /the previous file is .*lockgw\.yaml\.before-provision-/);
  t.match(password.err, /warning: .*password.*mqtt:\/\//, 'a password over plain mqtt:// is warned about');
  t.match(readFileSync(file, 'utf8'), /^# the site's comment$/m, 'comments are kept');
  t.equal(loadConfig(file).cloud.password, 'door-s3cret');
});

t.test('an id another box is online with is refused (unless --take-over)', { skip }, async (t) => {
  const b: TestBroker = await broker(t);
  const key = testKey();
  const dir = workDir(t);
  const keys = join(dir, 'cloud-keys.json');
  writeFileSync(keys, JSON.stringify(key.publicJwk));
  const cloud = await heartbeats(t, b.url, key, 'gw-taken');
  await cloud.publishAsync('lockgw/gw-taken/up/state', JSON.stringify({ status: 'online', reason: 'connected', at: Date.now() }), { qos: 1, retain: true });
  const file = join(dir, 'lockgw.yaml');
  const args = ['--config', file, '--gateway-id', 'gw-taken', '--data-dir', join(dir, 'data'), '--cloud-url', b.url, '--cloud-key', keys, '--issuer', ISSUER, '--timeout', '20'];
  const refused = await cli(args);
  t.equal(refused.code, 2);
  t.match(refused.err, /gateway id gw-taken is online on the broker .*another box uses it\nhint: .*--take-over/);
  t.notOk(existsSync(file));
  const taken = await cli([...args, '--take-over']);
  t.equal(taken.code, 0, taken.err);
});

t.test('TLS, a password and a client certificate: key and request made by provision, signed by the CA, installed, proved', { skip }, async (t) => {
  const dir = workDir(t);
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn] of [['server', '127.0.0.1'], ['cloud', 'the-cloud'], ['stranger', 'gw-linden-1']] as const) {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(name === 'server' ? ['-extfile', 'server.ext'] : []));
  }
  const passwords = join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-c', '-b', passwords, GW, 'door-s3cret'], { stdio: 'pipe' });
  execFileSync('mosquitto_passwd', ['-b', passwords, 'cloud', 'cloud-s3cret'], { stdio: 'pipe' });
  const b = await broker(t, { security: { tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key'), requireCertificate: true }, passwordFile: passwords } });
  const key = testKey();
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [key.publicJwk] }));
  writeFileSync(join(dir, 'pw'), 'door-s3cret\n');
  await heartbeats(t, b.url, key, GW, { ca: readFileSync(join(dir, 'ca.pem')), cert: readFileSync(join(dir, 'cloud.pem')), key: readFileSync(join(dir, 'cloud.key')), username: 'cloud', password: 'cloud-s3cret' });
  const etc = join(dir, 'etc');
  const file = join(etc, 'lockgw.yaml');
  const base = ['--config', file, '--gateway-id', GW, '--data-dir', join(dir, 'data')];

  const csr = await cli([...base, '--csr', join(dir, 'gw.csr')]);
  t.equal(csr.code, 0, csr.err);
  t.equal(statSync(join(etc, 'client-key.pem')).mode & 0o777, 0o600, 'the key: mode 0600');
  t.match(execFileSync('openssl', ['req', '-in', join(dir, 'gw.csr'), '-noout', '-subject', '-verify'], { encoding: 'utf8', stdio: 'pipe' }), /CN ?= ?gw-linden-1/);
  const again = await cli([...base, '--csr', join(dir, 'gw2.csr')]);
  t.equal(again.code, 2, 'an existing key is never replaced');
  t.match(again.err, /client-key\.pem already exists/);
  run('x509', '-req', '-in', 'gw.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'gw.pem', '-days', '2');

  const full = [...base, '--cloud-url', b.url, '--ca', join(dir, 'ca.pem'), '--username', GW, '--password-file', join(dir, 'pw'), '--cloud-key', join(dir, 'keys.json'), '--issuer', ISSUER, '--timeout', '20'];
  const stranger = await cli([...full, '--client-cert', join(dir, 'stranger.pem')]);
  t.equal(stranger.code, 2);
  t.match(stranger.err, /stranger\.pem was not issued for this gateway's key/);
  t.notOk(existsSync(file), 'nothing written');

  const good = await cli([...full, '--client-cert', join(dir, 'gw.pem')]);
  t.equal(good.code, 0, good.err);
  t.match(good.out, /installed .*client-cert\.pem: CN=gw-linden-1/);
  t.match(good.out, /proved: connected, signed heartbeat verified/);
  t.match(loadConfig(file).cloud, { url: b.url, username: GW, tls: { cert: join(etc, 'client-cert.pem'), key: join(etc, 'client-key.pem') } });
});

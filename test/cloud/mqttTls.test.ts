/**
 * The gateway's broker connection with TLS (the broker verified against a CA), a client
 * certificate and a username/password, against a real Mosquitto with a TLS listener, a required
 * client certificate and a password file. The certificates are made with openssl for each run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { gatewaySide, testKey, until } from '../support/cloudHarness.js';
import { findMosquitto, startTestBroker, type TestBroker } from '../support/mosquitto.js';

const openssl = spawnSync('openssl', ['version']).status === 0;
const passwd = spawnSync('mosquitto_passwd', ['-h']).error === undefined;
const skip = findMosquitto() === null ? 'needs mosquitto' : !openssl ? 'needs openssl' : !passwd ? 'needs mosquitto_passwd' : false;

interface Pki { ca: string; server: { cert: string; key: string }; client: { cert: string; key: string }; strangerCa: string }

function makePki(dir: string): Pki {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lockgw test CA');
  run('req', '-x509', ...ec, '-keyout', 'stranger.key', '-out', 'stranger.pem', '-days', '2', '-subj', '/CN=someone else');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn] of [['server', '127.0.0.1'], ['client', 'gw-test']] as const) {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(name === 'server' ? ['-extfile', 'server.ext'] : []));
  }
  const p = (f: string) => join(dir, f);
  return { ca: p('ca.pem'), server: { cert: p('server.pem'), key: p('server.key') }, client: { cert: p('client.pem'), key: p('client.key') }, strangerCa: p('stranger.pem') };
}

async function securedBroker(t: Test): Promise<{ b: TestBroker; pki: Pki }> {
  // not t.testdir(): the gateway side's fixture calls it too, and each call empties the directory
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-pki-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const passwordFile = join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-c', '-b', passwordFile, 'gw-test', 'door-s3cret'], { stdio: 'pipe' });
  const started = await startTestBroker(t, { security: { tls: { ca: pki.ca, cert: pki.server.cert, key: pki.server.key, requireCertificate: true }, passwordFile } });
  if (!started.available) throw new Error(started.reason);
  return { b: started.broker, pki };
}

t.test('TLS with a client certificate and a password: the link connects and publishes', { skip }, async (t) => {
  const { b, pki } = await securedBroker(t);
  t.match(b.url, /^mqtts:/);
  const gw = await gatewaySide(t, b, testKey(), {
    cloud: { tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key }, username: 'gw-test', password: 'door-s3cret' },
  });
  const connected = until(gw.link, 'connected');
  await gw.link.start();
  await connected;
  t.equal(gw.link.status().connection?.state, 'connected');
});

t.test('a wrong password, a missing client certificate or an unknown broker CA: no connection, and the status says why', { skip }, async (t) => {
  const { b, pki } = await securedBroker(t);
  const cases = [
    { name: 'wrong password', cloud: { tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key }, username: 'gw-test', password: 'guess' }, reason: /not authori[sz]ed|bad user name or password|5/i },
    { name: 'no client certificate', cloud: { tls: { ca: pki.ca }, username: 'gw-test', password: 'door-s3cret' }, reason: /certificate|alert|handshake|ECONNRESET|socket|closed/i },
    { name: 'broker signed by a CA we do not trust', cloud: { tls: { ca: pki.strangerCa, cert: pki.client.cert, key: pki.client.key }, username: 'gw-test', password: 'door-s3cret' }, reason: /self.signed|unable to verify|certificate/i },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const gw = await gatewaySide(t, b, testKey(), { cloud: { ...c.cloud, reconnect: { minMs: 5000, maxMs: 5000 } } });
      await gw.link.start();
      await until(gw.link.connection!, 'reconnecting');
      const status = gw.link.status().connection!;
      t.not(status.state, 'connected');
      t.match(status.reason, c.reason, `reason: ${status.reason}`);
    });
  }
});

t.test('an unreadable certificate file stops the link with CONFIG_INVALID naming the field', { skip }, async (t) => {
  const { b } = await securedBroker(t);
  const gw = await gatewaySide(t, b, testKey(), { cloud: { tls: { ca: '/nonexistent/ca.pem' } } });
  await t.rejects(gw.link.start(), { code: 'CONFIG_INVALID', details: { field: 'cloud.tls.ca' } });
});

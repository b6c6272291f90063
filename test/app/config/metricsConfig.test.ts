import t from 'tap';
import { configWarnings, parseConfig } from '../../../src/app/config/loadConfig.js';
import { refusedConfig as refused } from '../../support/configRefusal.js';


t.test('metrics are off by default; enabled, they listen on loopback port 9464 and write no textfile', async (t) => {
  t.same(parseConfig({}).metrics, { enabled: false, listen: '127.0.0.1:9464', textfile: null, intervalMs: 15_000 });
  t.same(parseConfig({ metrics: { enabled: true } }).metrics.listen, '127.0.0.1:9464');
  t.same(configWarnings(parseConfig({ metrics: { enabled: true } })), [], 'loopback: no warning');
});

t.test('listen is host:port with an IP address or localhost', async (t) => {
  for (const ok of ['127.0.0.1:9464', 'localhost:9100', '[::1]:9464', '0.0.0.0:9464', '[::]:0', '10.0.0.5:65535']) {
    t.equal(parseConfig({ metrics: { enabled: true, listen: ok } }).metrics.listen, ok, `${ok} is accepted`);
  }
  refused(t, { metrics: { listen: '9464' } }, 'metrics.listen', /"9464" is not host:port/);
  refused(t, { metrics: { listen: '127.0.0.1:70000' } }, 'metrics.listen', /is not host:port/);
  refused(t, { metrics: { listen: '::1:9464' } }, 'metrics.listen', /IPv6 in brackets/);
  refused(t, { metrics: { listen: 'metrics.example.org:9464' } }, 'metrics.listen', /an IP address or localhost/);
  refused(t, { metrics: { listen: '[127.0.0.1]:9464' } }, 'metrics.listen', /is not host:port/);
});

t.test('an endpoint other hosts can reach is allowed but warned about, naming metrics.listen', async (t) => {
  const warnings = configWarnings(parseConfig({ metrics: { enabled: true, listen: '0.0.0.0:9464' } }));
  t.equal(warnings.length, 1);
  t.match(warnings[0], /^metrics\.listen: 0\.0\.0\.0:9464 can be reached from other hosts and the endpoint has no authentication/);
  t.same(configWarnings(parseConfig({ metrics: { enabled: false, listen: '0.0.0.0:9464' } })), [], 'not while metrics are off');
  t.same(configWarnings(parseConfig({ metrics: { enabled: true, listen: '127.8.0.1:9464' } })), [], 'all of 127/8 is loopback');
});

t.test('the textfile is an absolute .prom path', async (t) => {
  t.equal(parseConfig({ metrics: { enabled: true, textfile: '/var/lib/node_exporter/textfile/lockgw.prom' } }).metrics.textfile, '/var/lib/node_exporter/textfile/lockgw.prom');
  refused(t, { metrics: { textfile: 'lockgw.prom' } }, 'metrics.textfile', /"lockgw\.prom" is relative/);
  refused(t, { metrics: { textfile: '/var/lib/node_exporter/lockgw.txt' } }, 'metrics.textfile', /does not end in \.prom/);
  refused(t, { metrics: { textfile: '/var/lib/node_exporter/.prom' } }, 'metrics.textfile', /does not end in \.prom/);
  refused(t, { metrics: { textfile: '/var/lib/../../etc/x.prom' } }, 'metrics.textfile', /climbs out with \.\./);
  refused(t, { metrics: { intervalMs: 10 } }, 'metrics.intervalMs', /too small|>=1000/);
});

t.test('metrics enabled with neither an endpoint nor a textfile is refused', async (t) => {
  refused(t, { metrics: { enabled: true, listen: null } }, 'metrics.enabled', /nothing to serve: set metrics\.listen .* or metrics\.textfile/);
  t.equal(parseConfig({ metrics: { enabled: true, listen: null, textfile: '/run/x/lockgw.prom' } }).metrics.listen, null, 'a textfile alone is fine');
  t.throws(() => parseConfig({ metrics: { enabled: true, port: 9464 } }, 'c.yaml'), { code: 'CONFIG_INVALID', message: /c\.yaml: metrics: unknown key "port" \(known: enabled, listen, textfile, intervalMs\)/ });
});

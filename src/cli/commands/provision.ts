/**
 * `lockgw provision`: identity, cloud URL, broker authentication (username and password, or a
 * client certificate: a key pair and request made here, the signed certificate installed),
 * the cloud's public keys and issuer — written into the configuration (mode 0600, the previous
 * file kept beside it), then proved: connect with it and wait for a heartbeat the keys verify.
 * Only what is asked changes, and each change is listed. Nothing is written when the proof fails
 * (unless --no-verify).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { probeLink } from '../../cloud/linkProbe.js';
import { createKeyAndRequest, installCertificate } from '../../app/provision/clientCertificate.js';
import { ConfigEdit } from '../../app/provision/configEdit.js';
import { refusePlaceholderId } from '../../app/provision/gatewayIdCheck.js';
import { SystemClock } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { createLogger } from '../../kernel/logger.js';
import { EXIT, type CliContext } from '../cliContext.js';
import { wholeNumber } from './commonOptions.js';

interface ProvisionOptions {
  config?: string;
  gatewayId?: string;
  dataDir?: string;
  cloudUrl?: string;
  username?: string;
  passwordFile?: string;
  ca?: string;
  csr?: string;
  clientCert?: string;
  cloudKey?: string[];
  kid?: string;
  issuer?: string;
  takeOver?: boolean;
  verify: boolean;
  timeout: number;
  json?: boolean;
}

const usage = (message: string, field: string, hint?: string): never => {
  throw new GatewayError('INPUT_INVALID', message, { field, ...(hint ? { hint } : {}) });
};

function readOneLine(file: string, field: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return usage(`--${field} ${file}: ${(err as Error).message}`, field);
  }
  const line = text.split('\n')[0]!.trim();
  if (line === '') usage(`--${field} ${file} is empty`, field);
  return line;
}

/** A cloud key file: a PEM public key (with --kid), a JWK, or a JWKS ({keys: [...]}). */
function cloudKeysFrom(file: string, kid: string | undefined): Array<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return usage(`--cloud-key ${file}: ${(err as Error).message}`, 'cloud-key');
  }
  if (text.includes('-----BEGIN PUBLIC KEY-----')) {
    if (kid === undefined) usage(`--cloud-key ${file} is a PEM key: give its key id with --kid`, 'kid');
    return [{ kid, pem: text.trim() }];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return usage(`--cloud-key ${file} is neither a PEM public key nor JSON (a JWK or a JWKS)`, 'cloud-key');
  }
  const list = (parsed as { keys?: unknown }).keys ?? [parsed];
  if (!Array.isArray(list)) return usage(`--cloud-key ${file}: "keys" is not a list`, 'cloud-key');
  return list.map((k) => (kid !== undefined && list.length === 1 ? { ...(k as object), kid } : (k as Record<string, unknown>)));
}

export function registerProvision(program: Command, cli: CliContext): void {
  program
    .command('provision')
    .description("give this gateway its identity and its cloud: id, broker URL and authentication, the cloud's keys; written (mode 0600) and proved by a signed heartbeat")
    .option('-c, --config <file>', 'the configuration to write (else $LOCKGW_CONFIG, else /etc/lockgw/lockgw.yaml)')
    .option('--gateway-id <id>', "this gateway's id: its MQTT client id and topic (placeholders are refused)")
    .option('--data-dir <dir>', 'where its state lives (a new configuration: default /var/lib/lockgw)')
    .option('--cloud-url <url>', "the cloud's broker: mqtts://host:8883 (turns the cloud link on)")
    .option('--username <name>', 'the broker user')
    .option('--password-file <file>', "a file whose first line is the broker password (never on the command line: it would show in ps)")
    .option('--ca <file>', "the CA certificate (PEM) that signed the broker's certificate")
    .option('--csr <file>', "make this gateway's key pair and write a certificate request for the cloud's CA to FILE")
    .option('--client-cert <file>', 'install the certificate the CA signed for the request (checked against the key)')
    .option('--cloud-key <file...>', "the cloud's public signing key: a PEM (with --kid), a JWK or a JWKS; replaces a key of the same kid")
    .option('--kid <id>', 'the key id of a PEM --cloud-key')
    .option('--issuer <iss>', "the cloud's issuer (the iss every signed message must carry)")
    .option('--take-over', 'use a gateway id another box is online with (that box is retired)')
    .option('--no-verify', 'write without proving the link (no broker reachable from here)')
    .option('--timeout <seconds>', 'how long to wait for a signed heartbeat', wholeNumber(1), 60)
    .option('--json', 'the result as one JSON object')
    .addHelpText('after', `
Examples:
  sudo lockgw provision --gateway-id gw-linden-1 --cloud-url mqtts://broker.example:8883 \\
      --ca cloud-ca.pem --username gw-linden-1 --password-file /root/broker-password \\
      --cloud-key cloud-keys.json --issuer https://cloud.example
  sudo lockgw provision --csr /root/gw-linden-1.csr          # then have the cloud's CA sign it
  sudo lockgw provision --client-cert /root/gw-linden-1.pem  # install what it signed, prove the link`)
    .action(async (o: ProvisionOptions) => {
      const clock = new SystemClock();
      const file = resolve(o.config ?? (cli.io.env.LOCKGW_CONFIG || cli.io.systemConfigPath));
      const edit = ConfigEdit.open(file);
      const configDir = dirname(file);
      const keyFile = join(configDir, 'client-key.pem');
      const certFile = join(configDir, 'client-cert.pem');
      if (!edit.existed) edit.set(['gateway', 'dataDir'], resolve(o.dataDir ?? '/var/lib/lockgw'));
      else if (o.dataDir !== undefined) edit.set(['gateway', 'dataDir'], resolve(o.dataDir));
      if (o.gatewayId !== undefined) edit.set(['gateway', 'id'], o.gatewayId);
      const gatewayId = String(edit.get(['gateway', 'id']) ?? '');
      if (gatewayId === '') usage(`${file} has no gateway id yet: give --gateway-id`, 'gateway-id');
      refusePlaceholderId(gatewayId);

      if (o.csr !== undefined) {
        // the request goes to the CA; the configuration changes when its certificate comes back
        await createKeyAndRequest(keyFile, resolve(o.csr), gatewayId);
        cli.out(`made ${keyFile} (mode 0600, it never leaves this gateway) and the request ${resolve(o.csr)} (CN=${gatewayId})`);
        cli.out(`next: have the cloud's CA sign it, then: lockgw provision --config ${file} --client-cert SIGNED.pem`);
        return;
      }
      if (o.cloudUrl !== undefined) {
        if (!/^mqtts?:\/\/[^/\s]+/.test(o.cloudUrl)) usage(`--cloud-url ${o.cloudUrl} is not mqtt://host:port or mqtts://host:port`, 'cloud-url');
        edit.set(['cloud', 'enabled'], true);
        edit.set(['cloud', 'url'], o.cloudUrl);
      }
      if (o.username !== undefined) edit.set(['cloud', 'username'], o.username);
      if (o.passwordFile !== undefined) edit.set(['cloud', 'password'], readOneLine(o.passwordFile, 'password-file'));
      if (o.ca !== undefined) edit.set(['cloud', 'tls', 'ca'], resolve(o.ca));
      if (o.clientCert !== undefined) {
        const cert = installCertificate(resolve(o.clientCert), keyFile, certFile, clock.now());
        cli.out(`installed ${certFile}: ${cert.subject}, valid until ${cert.validTo}`);
        edit.set(['cloud', 'tls', 'cert'], certFile);
        edit.set(['cloud', 'tls', 'key'], keyFile);
      }
      if (o.cloudKey !== undefined) {
        const keys = [...((edit.get(['cloud', 'keys']) as Array<Record<string, unknown>> | undefined) ?? [])];
        for (const f of o.cloudKey) {
          for (const key of cloudKeysFrom(resolve(f), o.kid)) {
            const at = keys.findIndex((k) => k.kid === key.kid);
            if (at >= 0) keys[at] = key;
            else keys.push(key);
          }
        }
        edit.set(['cloud', 'keys'], keys);
      }
      if (o.issuer !== undefined) edit.set(['cloud', 'issuer'], o.issuer);

      const { config, warnings } = edit.validate();
      for (const w of warnings) cli.err(`lockgw: warning: ${w}`);
      let proof: Awaited<ReturnType<typeof probeLink>> | null = null;
      if (o.verify && config.cloud.enabled) {
        cli.err(`connecting to ${config.cloud.url} as ${gatewayId}, waiting up to ${o.timeout} s for a signed heartbeat...`);
        const logger = createLogger('silent', 'text', { destination: process.stderr, fd: 2 });
        proof = await probeLink({ config: config.cloud, gatewayId, clock, logger, timeoutMs: o.timeout * 1000 });
        const other = proof.retainedState;
        const ours = o.gatewayId === undefined; // the id was already this box's
        if (other?.status === 'online' && !ours && !o.takeOver) {
          usage(`gateway id ${gatewayId} is online on the broker (since ${other.at === undefined ? 'an unknown time' : new Date(other.at).toISOString()}): another box uses it`, 'gateway-id', 'give this gateway its own id; if that box is retired, add --take-over');
        }
        if (!proof.connected) throw new GatewayError('UNAVAILABLE', `cannot connect to ${config.cloud.url}: ${proof.reason ?? 'unknown'}; nothing was written`, { field: 'cloud-url', hint: 'check the URL, the credentials, the CA and the network; --no-verify writes anyway' });
        if (proof.heartbeat === null) {
          const why = proof.rejected.length > 0 ? `heartbeats came but did not verify: ${proof.rejected[0]}` : `no heartbeat from the cloud within ${o.timeout} s`;
          throw new GatewayError('UNAVAILABLE', `connected to ${config.cloud.url}, but ${why}; nothing was written`, { field: 'cloud-key', hint: "check --cloud-key and --issuer are the cloud's, and that the cloud knows this gateway id" });
        }
        if (other !== null && other.status !== 'online' && !ours) cli.err(`lockgw: note: gateway id ${gatewayId} was used on this broker before (last state ${other.status}${other.reason ? `, ${other.reason}` : ''}): this box takes it over`);
      }
      const kept = edit.changes.length > 0 ? edit.write(new Date(clock.now())) : null;
      if (o.json) {
        cli.out(JSON.stringify({ file, changes: edit.changes, kept, verified: proof?.heartbeat ?? null }));
      } else {
        if (edit.changes.length === 0) cli.out(`${file}: nothing changed`);
        for (const c of edit.changes) cli.out(`${c.path}: ${c.from} → ${c.to}`);
        if (edit.changes.length > 0) cli.out(`wrote ${file} (mode 0600)${kept ? `; the previous file is ${kept}` : ''}`);
        if (proof?.heartbeat) cli.out(`proved: connected, signed heartbeat verified (the cloud's revision ${proof.heartbeat.revision}, clock offset ${proof.heartbeat.offsetMs} ms)`);
        else if (config.cloud.enabled && !o.verify) cli.out('not proved (--no-verify): lockgw doctor checks the link once the daemon runs');
        if (edit.changes.length > 0) cli.out('restart the daemon to use it: sudo systemctl restart lockgw');
      }
      cli.exitCode = EXIT.ok;
    });
}

/**
 * The gateway's MQTT client certificate: a P-256 key pair made on the gateway (the private key
 * never leaves it: mode 0600) and a PKCS#10 request for the cloud's CA, with the gateway id as
 * its common name; then the certificate the CA signed, checked against that key before it is
 * installed. The request is built with @peculiar/x509 (loaded only here, with the reflect
 * polyfill its dependency injection needs), signed by node's WebCrypto.
 */
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../../kernel/gatewayError.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/**
 * Makes the key pair (refusing to replace an existing key file: a signed certificate may depend
 * on it) and writes the request. Returns the request's PEM.
 */
export async function createKeyAndRequest(keyFile: string, requestFile: string, gatewayId: string): Promise<string> {
  if (existsSync(keyFile)) throw new GatewayError('INPUT_INVALID', `${keyFile} already exists: a certificate may have been issued for it`, { field: 'csr', hint: 'use that key (--client-cert with its signed certificate), or move it away first to make a new one' });
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${gatewayId}`, keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'], signingAlgorithm: ALGORITHM });
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o755 });
  writeFileSync(keyFile, pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), { mode: 0o600, flag: 'wx' });
  const text = request.toString('pem');
  writeFileSync(requestFile, `${text.trim()}\n`, { mode: 0o644 });
  return text;
}

/** Checks a signed certificate against the gateway's key (and its validity now), then installs it. */
export function installCertificate(certFile: string, keyFile: string, target: string, now: number): { subject: string; validTo: string } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', `${certFile} is not a PEM certificate: ${(err as Error).message}`, { field: 'client-cert' });
  }
  let key;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', `cannot read the gateway's key ${keyFile}: ${(err as Error).message}`, { field: 'client-cert', hint: 'make the key and its request first: lockgw provision --csr FILE' });
  }
  if (!cert.checkPrivateKey(key)) throw new GatewayError('INPUT_INVALID', `${certFile} was not issued for this gateway's key ${keyFile}`, { field: 'client-cert', hint: 'send the CA the request made with --csr, and install the certificate it returns' });
  if (Date.parse(cert.validTo) < now) throw new GatewayError('INPUT_INVALID', `${certFile} expired on ${cert.validTo}`, { field: 'client-cert' });
  if (certFile !== target) writeFileSync(target, cert.toString(), { mode: 0o644 });
  return { subject: cert.subject, validTo: cert.validTo };
}

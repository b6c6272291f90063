/**
 * `lockgw cloud-sim <verb>`: the cloud simulator for installers and tests (tools/cloud-sim/).
 * Human-readable lines on stdout (--json: JSON lines), progress and diagnostics on stderr.
 * Errors: exit code 2 and one line on stderr. A command the gateway answers with anything but
 * `ok`: exit code 3. `publish` is in cloudSimPublish.ts, what the verbs share in cloudSimContext.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SystemClock } from '../../../src/kernel/clock.js';
import type { CommandRequest } from '../cloudSimulator.js';
import { createSigningKey, defaultKid, loadSigningKey, SIGNING_KEY_FILE, type SimSigningKey } from '../simSigningKey.js';
import { STATE_FILE } from '../simState.js';
import { GatewayError, isGatewayError } from '../../../src/kernel/gatewayError.js';
import { CLOUD_SIM_USAGE, DEFAULT_ISSUER, need, number, OPTIONS, output, simulator, withState, type CloudSimIo, type Values } from './cloudSimContext.js';
import { count, formatCommandResponse, printGatewayMessages, short } from './cloudSimOutput.js';
import { defaultProgress, publish } from './cloudSimPublish.js';
import { document } from './cloudSimDocument.js';
import { doorcode } from './cloudSimDoorcode.js';

export { CLOUD_SIM_USAGE, type CloudSimIo };

async function keygen(values: Values, io: CloudSimIo): Promise<number> {
  const dir = need(values, 'state', 'keygen');
  const key = await createSigningKey(dir, { kid: values.kid ?? defaultKid(io.clock.now()), now: io.clock.now(), force: values.force === true });
  printKey(values, io, dir, key);
  return 0;
}

function printKey(values: Values, io: CloudSimIo, dir: string, key: SimSigningKey): void {
  if (values.json) {
    io.out(JSON.stringify({ type: 'key', kid: key.kid, keyFile: join(dir, SIGNING_KEY_FILE), publicKeyPem: key.publicPem, publicJwk: key.publicJwk, issuer: values.issuer ?? DEFAULT_ISSUER }));
    return;
  }
  const pem = key.publicPem.trim().split('\n').map((l) => `        ${l}`).join('\n');
  io.out(`kid: ${key.kid}`);
  io.out(`private key: ${join(dir, SIGNING_KEY_FILE)} (mode 0600: keep it there, never copy it to a gateway)`);
  io.out('');
  io.out("add the public key to the gateway's configuration:");
  io.out('');
  io.out(`cloud:\n  keys:\n    - kid: ${key.kid}\n      pem: |\n${pem}\n  issuer: ${values.issuer ?? DEFAULT_ISSUER}    # optional: accept only this issuer`);
}

async function info(values: Values, io: CloudSimIo): Promise<number> {
  const dir = need(values, 'state', 'info');
  const key = await loadSigningKey(dir);
  printKey(values, io, dir, key);
  if (!existsSync(join(dir, STATE_FILE))) {
    io.out(values.json ? JSON.stringify({ type: 'state', version: 0 }) : '\nnothing published yet');
    return 0;
  }
  return withState(dir, io, async (state) => {
    const counts = state.store.counts();
    const site = state.store.site();
    if (values.json) io.out(JSON.stringify({ type: 'state', version: state.version(), hash: state.hash(), site, counts }));
    else {
      io.out('');
      io.out(`version ${state.version()}, hash ${state.hash()}`);
      io.out(`site ${site ? `${site.id} (${site.name}, ${site.timeZone})` : '(none)'}: ${Object.entries(counts).map(([k, n]) => `${count(n)} ${k}`).join(', ')}`);
    }
    return 0;
  });
}

async function serve(values: Values, io: CloudSimIo): Promise<number> {
  const dir = need(values, 'state', 'serve');
  const heartbeatMs = number(values, 'heartbeat', 60, { min: 0, max: 86_400 }) * 1000;
  const gatewayId = need(values, 'gateway', 'serve');
  need(values, 'url', 'serve');
  const key = await loadSigningKey(dir);
  return withState(dir, io, async (state) => {
    // one fixed client id with a persistent session: what the gateway publishes while serve is
    // down waits at the broker (run one serve per gateway)
    const sim = simulator(values, 'serve', key, state, io, { persistentSession: true, clientId: `lockgw-cloud-sim-${gatewayId}`, heartbeatIntervalMs: heartbeatMs });
    printGatewayMessages(sim, output(values, io, state), ['state', 'apply_ack', 'sync_request', 'sync_answered', 'events', 'command_response', 'door_status', 'door_removed', 'security_event', 'invalid']);
    sim.on('connected', () => io.err(`connected to ${values.url}`));
    sim.on('disconnected', ({ reason }) => io.err(`disconnected from ${values.url}: ${reason}`));
    sim.on('failed', ({ what, error }) => io.err(`${what} failed: ${error.message}`));
    const stopped = new Promise<void>((resolve) => {
      if (io.signal !== undefined) {
        if (io.signal.aborted) resolve();
        io.signal.addEventListener('abort', () => resolve(), { once: true });
        return;
      }
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    await sim.start();
    io.err(`serving gateway ${gatewayId}: version ${state.version()}, hash ${short(state.hash())}${heartbeatMs > 0 ? `, heartbeat every ${heartbeatMs / 1000} s` : ''}; Ctrl-C stops`);
    try {
      await stopped;
    } finally {
      await sim.stop();
    }
    return 0;
  });
}

function commandRequest(positionals: string[], values: Values): CommandRequest {
  const [what, arg, ...rest] = positionals;
  if (rest.length > 0) throw new GatewayError('INPUT_INVALID', `command ${what}: unexpected "${rest.join(' ')}"`, { field: 'command' });
  switch (what) {
    case 'unlock':
      if (values.seconds === undefined) throw new GatewayError('INPUT_INVALID', 'command unlock needs --seconds N (1 to 3600)', { field: 'seconds' });
      return { name: 'unlock', doorId: need(values, 'door', 'command unlock'), seconds: number(values, 'seconds', 0, { min: 1, max: 3600, integer: true }) };
    case 'lockdown':
      if (arg !== 'on' && arg !== 'off') throw new GatewayError('INPUT_INVALID', 'command lockdown takes on or off', { field: 'lockdown' });
      return values.door === undefined ? { name: 'lockdown', active: arg === 'on', scope: 'site' } : { name: 'lockdown', active: arg === 'on', scope: 'door', doorId: values.door };
    case 'resync':
    case 'status':
      return { name: what };
    default:
      throw new GatewayError('INPUT_INVALID', `command ${what === undefined ? 'needs a name' : `"${what}" is not known`}: unlock, lockdown, resync or status`, { field: 'command' });
  }
}

async function command(values: Values, positionals: string[], io: CloudSimIo): Promise<number> {
  const dir = need(values, 'state', 'command');
  const request = commandRequest(positionals, values);
  const timeoutMs = number(values, 'timeout', 30, { min: 1, max: 3600 }) * 1000;
  need(values, 'url', 'command');
  need(values, 'gateway', 'command');
  const key = await loadSigningKey(dir);
  return withState(dir, io, async (state) => {
    const sim = simulator(values, 'command', key, state, io);
    await sim.start();
    try {
      const response = await sim.sendCommand(request, { timeoutMs });
      if (values.json) io.out(JSON.stringify({ type: 'command_response', ...response }));
      else {
        io.out(formatCommandResponse(response));
        for (const [k, v] of Object.entries(response.data ?? {})) io.out(`  ${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
      }
      return response.result === 'ok' ? 0 : 3;
    } finally {
      await sim.stop();
    }
  });
}

async function clearDoor(values: Values, io: CloudSimIo): Promise<number> {
  const dir = need(values, 'state', 'clear-door');
  const doorId = need(values, 'door', 'clear-door');
  need(values, 'url', 'clear-door');
  need(values, 'gateway', 'clear-door');
  const key = await loadSigningKey(dir);
  return withState(dir, io, async (state) => {
    const sim = simulator(values, 'clear-door', key, state, io);
    await sim.start();
    try {
      await sim.clearDoorStatus(doorId);
      io.out(values.json ? JSON.stringify({ type: 'door_cleared', doorId }) : `door ${doorId}: retained status cleared`);
      return 0;
    } finally {
      await sim.stop();
    }
  });
}

/** Runs one cloud-sim verb; returns the exit code. Never throws: an error is one line on stderr and 2. */
export async function runCloudSim(argv: string[], given: Partial<CloudSimIo> = {}): Promise<number> {
  const io: CloudSimIo = {
    out: given.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: given.err ?? ((line) => process.stderr.write(`${line}\n`)),
    progress: given.progress ?? defaultProgress(),
    clock: given.clock ?? new SystemClock(),
    logger: given.logger ?? pino({ level: 'error', base: null }, pino.destination(2)),
    ...(given.signal === undefined ? {} : { signal: given.signal }),
  };
  try {
    const [verb, ...rest] = argv;
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h' || values.help) {
      io.out(CLOUD_SIM_USAGE);
      return verb === undefined ? 2 : 0;
    }
    if (verb !== 'command' && positionals.length > 0) throw new GatewayError('INPUT_INVALID', `${verb}: unexpected "${positionals.join(' ')}"`);
    switch (verb) {
      case 'keygen':
        return await keygen(values, io);
      case 'info':
        return await info(values, io);
      case 'publish':
        return await publish(values, io);
      case 'serve':
        return await serve(values, io);
      case 'command':
        return await command(values, positionals, io);
      case 'clear-door':
        return await clearDoor(values, io);
      case 'document':
        return await document(values, io);
      case 'doorcode':
        return await doorcode(values, io);
      default:
        throw new GatewayError('INPUT_INVALID', `unknown verb "${verb}": keygen, info, publish, serve, command, clear-door, document or doorcode`);
    }
  } catch (err) {
    if (isGatewayError(err)) io.err(`lockgw cloud-sim: ${err.message}${err.details.hint ? ` (${err.details.hint})` : ''}`);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) io.err(`lockgw cloud-sim: ${(err as Error).message} (see lockgw cloud-sim --help)`);
    else io.err(`lockgw cloud-sim: ${(err as Error).message}`);
    return 2;
  }
}

/** A started simulator (state in the test's dir) and a stand-in gateway around a real Mosquitto. */
import type { Test } from 'tap';
import { ManualClock, SystemClock, type Clock } from '../../../src/kernel/clock.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../../src/wire/keys.js';
import { CloudSimulator, type CloudSimulatorOptions } from '../../../tools/cloud-sim/cloudSimulator.js';
import { SimState } from '../../../tools/cloud-sim/simState.js';
import { parseSiteFile } from '../../../src/access/site/siteFile.js';
import type { SiteRecords } from '../../../src/access/site/siteRecords.js';
import { demoSiteBatch } from '../../../src/app/demo/demoSite.js';
import { broker, silentLogger } from '../../support/cloudHarness.js';
import type { TestBroker } from '../../support/mosquitto.js';
import { StandInGateway } from './standInGateway.js';

export const GW = 'gw-sim';
export const ISSUER = 'sim.test';
export const T0 = Date.parse('2026-11-20T10:00:00Z');

export interface SimFixture {
  broker: TestBroker;
  key: SigningKeyPair;
  state: SimState;
  sim: CloudSimulator;
  gateway: StandInGateway;
  clock: Clock;
}

/** The demo site (src/app/demo/demoSite.ts) as records, validity relative to `now`. */
export function demoRecords(now = T0): SiteRecords {
  return parseSiteFile(JSON.stringify(demoSiteBatch(now)), 'demo.json').records;
}

export async function simFixture(t: Test, options: Partial<CloudSimulatorOptions> & { manualClock?: boolean; gatewayApplies?: boolean } = {}): Promise<SimFixture> {
  const b = await broker(t);
  const key = generateSigningKeyPair('sim-test');
  const clock: Clock = options.manualClock ? new ManualClock(T0) : new SystemClock();
  const state = new SimState({ dir: t.testdir(), clock, logger: silentLogger() });
  await state.start();
  const gateway = new StandInGateway({ gatewayId: GW, kid: key.kid, publicPem: key.publicPem, now: () => clock.now(), apply: options.gatewayApplies ?? true });
  await gateway.start(t, b.url);
  const sim = new CloudSimulator({ url: b.url, gatewayId: GW, issuer: ISSUER, key, state, clock, logger: silentLogger(), ...options });
  await sim.start();
  t.teardown(async () => {
    await sim.stop();
    await state.stop();
  });
  return { broker: b, key, state, sim, gateway, clock };
}

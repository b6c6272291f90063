/** A phone-key service on a ManualClock with recording ports, and phones to connect to it. */
import { pino } from 'pino';
import { ManualClock } from '../../../../src/kernel/clock.js';
import { PhoneKeyService, type PhoneKeyServiceOptions } from '../../../../src/hal/ble/phoneKey/phoneKeyService.js';
import type { DecideRequest, Decision, PhoneKeyOutcome, PhoneKeyPorts, ResolvedKey, ResolveKeyRequest } from '../../../../src/hal/ble/phoneKey/ports.js';
import { PhoneKeyConnection } from '../../../../tools/phone-sim/phoneKeyClient.js';
import { memoryBleLinkPair, type MemoryBleLinkPair } from '../../../support/memoryBleLink.js';

export const silent = pino({ level: 'silent' });
export const GATEWAY = 'gw-1';
export const DOORS = ['front', 'back'];

export interface Rig {
  clock: ManualClock;
  service: PhoneKeyService;
  /** credential id → base64 SPKI, as the store would answer */
  keys: Map<string, string>;
  resolveCalls: ResolveKeyRequest[];
  decideCalls: DecideRequest[];
  outcomes: PhoneKeyOutcome[];
  /** what resolveKey answers instead of the store, when set */
  resolve: ((r: ResolveKeyRequest) => ResolvedKey | Promise<ResolvedKey>) | null;
  /** what decide answers; default a grant for 5 s */
  decide: (r: DecideRequest) => Promise<Decision>;
  /** a new link; the gateway runs a session on one end, the phone gets the other */
  connect(options?: { maxValueLength?: number }): { pair: MemoryBleLinkPair; phone: PhoneKeyConnection; outcome: Promise<PhoneKeyOutcome> };
}

/** Lets the microtasks and immediates of the in-memory link run (no wall-clock wait). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function rig(overrides: Partial<PhoneKeyServiceOptions> = {}): Rig {
  const clock = new ManualClock('2025-01-01T00:00:00Z');
  let counter = 0;
  const r: Rig = {
    clock,
    keys: new Map(),
    resolveCalls: [],
    decideCalls: [],
    outcomes: [],
    resolve: null,
    decide: async () => ({ grant: true, reason: 'granted', unlockMs: 5000 }),
    service: undefined as unknown as PhoneKeyService,
    connect(options = {}) {
      const pair = memoryBleLinkPair({ maxValueLength: options.maxValueLength ?? 20 });
      const outcome = r.service.handle(pair.b);
      return { pair, phone: new PhoneKeyConnection(pair.a, clock), outcome };
    },
  };
  const ports: PhoneKeyPorts = {
    resolveKey(request) {
      r.resolveCalls.push(request);
      if (r.resolve) return r.resolve(request);
      const key = r.keys.get(request.credentialId);
      return key ? { ok: true, publicKeySpkiB64: key, source: 'store' } : { ok: false, reason: 'unknown_credential' };
    },
    decide(request) {
      r.decideCalls.push(request);
      return r.decide(request);
    },
    onOutcome(outcome) {
      r.outcomes.push(outcome);
    },
  };
  // distinct, deterministic nonces
  const random = (n: number): Uint8Array => {
    counter++;
    return Uint8Array.from({ length: n }, (_, i) => (counter * 31 + i) & 0xff);
  };
  r.service = new PhoneKeyService({ gatewayId: GATEWAY, doorIds: DOORS, ports, clock, log: silent, random, ...overrides });
  return r;
}

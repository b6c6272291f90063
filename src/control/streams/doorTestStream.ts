/**
 * `doorTest`: commissioning a door, for an operator. In order: the strike pulse (refused in
 * lockdown unless forced: then nothing is done; moot in fire or passage mode, and said so), each
 * indicator pattern for PATTERN_MS (then the door's own pattern again), every device's health
 * with its reason, the contact / REX / fire levels, and then every change of them for `watchMs`
 * (the Clock). Ends `done`; the client decides what an offline device means for its exit code.
 */
import { isGatewayError } from '../../kernel/gatewayError.js';
import { INDICATOR_PATTERNS } from '../../hal/indicatorPatterns.js';
import type { ControlCaller, StreamRequest } from '../../wire/controlProtocol.js';
import type { ControlTarget } from '../controlTarget.js';
import type { StreamScope } from '../streamScope.js';

/** how long each indicator pattern is shown */
export const PATTERN_MS = 1_500;

export async function runDoorTest(target: ControlTarget, request: Extract<StreamRequest, { command: 'doorTest' }>, caller: ControlCaller, scope: StreamScope): Promise<void> {
  const { door, force, watchMs } = request;
  const at = target.commissioning;
  let pulse: { released: boolean; ms: number; note: string };
  try {
    pulse = at.testPulse(door, caller, force);
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    if (err.code !== 'DEVICE_OFFLINE') {
      scope.end({ ok: false, code: err.code, error: err.message });
      return;
    }
    // the actuator is offline: the rest of the test still tells the installer what is wrong
    pulse = { released: false, ms: 0, note: err.message };
  }
  scope.send({ ok: true, stream: 'started', timeZone: target.timeZone(), note: `testing door ${door}` });
  scope.send({ ok: true, stream: 'pulse', ...pulse });
  await showPatterns(target, door, scope);
  if (!scope.running) return;
  for (const d of at.deviceHealth(door)) scope.send({ ok: true, stream: 'health', device: d.device, doorId: door, health: d.health });
  const inputs = at.watchInputs(door, (level) => scope.send({ ok: true, stream: 'input', ...level, initial: false }));
  scope.onStop(inputs.stop);
  for (const level of inputs.levels) scope.send({ ok: true, stream: 'input', ...level, initial: true });
  if (watchMs > 0 && !(await scope.sleep(watchMs))) return;
  scope.end({ ok: true, stream: 'end', reason: 'done' });
}

async function showPatterns(target: ControlTarget, door: string, scope: StreamScope): Promise<void> {
  const at = target.commissioning;
  try {
    for (const pattern of INDICATOR_PATTERNS) {
      let shown: { shown: boolean; note?: string; missing?: boolean };
      try {
        shown = await at.showPattern(door, pattern);
      } catch (err) {
        shown = { shown: false, note: (err as Error).message };
      }
      scope.send({ ok: true, stream: 'pattern', pattern, shown: shown.shown, ...(shown.note ? { note: shown.note } : {}) });
      if (shown.missing) return;
      if (!(await scope.sleep(PATTERN_MS))) return;
    }
  } finally {
    at.restorePattern(door);
  }
}

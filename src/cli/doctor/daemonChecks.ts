/**
 * What the running daemon tells the doctor (the control socket's `health` request): each door's
 * devices, each serial link (with the bridge's firmware), the cloud link (connected, the last
 * signed heartbeat, clock skew, our revision against the cloud's) and the journal's fill.
 */
import type { GatewayHealth } from '../../control/controlTarget.js';
import { type Check, ok, problem, warn } from './check.js';

interface DoorReport {
  doorId: string;
  devices: Record<string, { state: string; reason: string }>;
}

const ago = (ms: number) => (ms < 90_000 ? `${Math.round(ms / 1000)} s ago` : ms < 5_400_000 ? `${Math.round(ms / 60_000)} min ago` : `${(ms / 3_600_000).toFixed(1)} h ago`);

export function doorChecks(doors: readonly DoorReport[]): Check[] {
  return doors.map((d) => {
    const bad = Object.entries(d.devices).filter(([, h]) => h.state !== 'online');
    const all = Object.keys(d.devices).join(', ');
    if (bad.length === 0) return ok(`door ${d.doorId}`, `every device online (${all})`);
    const detail = bad.map(([id, h]) => `${id} ${h.state}: ${h.reason}`).join('; ');
    return problem(`door ${d.doorId}`, detail, 'check the wiring and the serial paths in the config; lockgw status shows it live');
  });
}

export function linkChecks(health: GatewayHealth): Check[] {
  return health.links.map((l) => {
    const firmware = l.kind === 'wiegand-bridge' ? `, firmware ${l.firmware ?? 'not reported yet'}` : '';
    const what = `${l.kind} on ${l.path}${firmware}`;
    if (l.health.state === 'online') return ok(l.id, `${what}: online`);
    const hint = l.kind === 'wiegand-bridge' ? 'is the bridge powered and its USB cable in? docs/wiegand-bridge.md' : 'is the device powered and on the configured path?';
    return (l.health.state === 'degraded' ? warn : problem)(l.id, `${what}: ${l.health.state}: ${l.health.reason}`, hint);
  });
}

export function cloudChecks(health: GatewayHealth, now: number, staleAfterMs: number): Check[] {
  const c = health.cloud;
  if (c === null) return [ok('cloud', 'not configured (a standalone gateway)')];
  const checks: Check[] = [];
  if (c.connection === 'connected') checks.push(ok('cloud', 'connected'));
  else checks.push(problem('cloud', `${c.connection}${c.reason ? `: ${c.reason}` : ''}`, 'check cloud.url, the broker credentials and the network; the doors keep working offline'));
  if (c.lastHeartbeatAt === null) checks.push(warn('heartbeat', 'no signed heartbeat from the cloud yet', 'the cloud sends one every 30 s; check cloud.keys holds its public key'));
  else if (c.stale || now - c.lastHeartbeatAt > staleAfterMs) checks.push(problem('heartbeat', `the last signed heartbeat was ${ago(now - c.lastHeartbeatAt)} (stale)`, 'the cloud is not reaching this gateway: revocations are not arriving'));
  else checks.push(ok('heartbeat', `last signed heartbeat ${ago(now - c.lastHeartbeatAt)}`));
  const offset = c.clock.offsetMs === null ? '' : ` (offset ${c.clock.offsetMs} ms from the cloud)`;
  if (c.clock.trust === 'trusted') checks.push(ok('clock', `trusted${offset}`));
  else if (c.clock.trust === 'unknown') checks.push(warn('clock', 'not yet compared with the cloud'));
  else checks.push(problem('clock', `${c.clock.trust}${offset}`, 'set the system clock (timedatectl, an NTP source); schedules run on it'));
  const ours = health.rules.revision;
  if (c.cloudRevision === null) checks.push(ok('revision', `${ours} (the cloud's not known yet)`));
  else if (c.cloudRevision > ours) checks.push(warn('revision', `${ours}, behind the cloud's ${c.cloudRevision}`, 'a sync is under way or was refused: lockgw journal shows why'));
  else checks.push(ok('revision', `${ours} (the cloud's ${c.cloudRevision})`));
  if (c.unacknowledged > 1000) checks.push(warn('upload', `${c.unacknowledged} events not yet acknowledged by the cloud`));
  return checks;
}

export function journalFillCheck(j: GatewayHealth['journal']): Check {
  const pct = Math.round(j.fill * 100);
  const detail = `${pct}% full (${j.count} of ${j.capacity})${j.dropped ? `, ${j.dropped} dropped` : ''}`;
  if (j.fill >= 0.9 || j.dropped > 0) return problem('journal fill', detail, 'events are not being acknowledged: check the cloud link (older events are dropped when it is full)');
  if (j.fill >= 0.75) return warn('journal fill', detail, 'the cloud acknowledges events slowly');
  return ok('journal fill', detail);
}

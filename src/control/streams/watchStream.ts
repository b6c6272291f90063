/**
 * `watch`: every journal entry as it is appended and every device health change, for one door
 * (its entries and the site's own, which carry no door) or the whole site, until the client
 * closes. Whoever can connect may watch: entries carry no credential values.
 */
import type { StreamRequest } from '../../wire/controlProtocol.js';
import type { ControlTarget } from '../controlTarget.js';
import type { StreamScope } from '../streamScope.js';

export function runWatch(target: ControlTarget, request: Extract<StreamRequest, { command: 'watch' }>, scope: StreamScope): void {
  const door = request.door;
  if (door !== undefined && !target.doorIds().includes(door)) {
    scope.end({ ok: false, code: 'NOT_FOUND', error: `door ${door} does not exist on this gateway (doors: ${target.doorIds().join(', ') || 'none'})` });
    return;
  }
  const mine = (doorId: string | null | undefined) => door === undefined || doorId === undefined || doorId === null || doorId === door;
  const { commissioning } = target;
  scope.send({ ok: true, stream: 'started', timeZone: target.timeZone(), note: `watching ${door === undefined ? 'every door' : `door ${door}`}: Ctrl-C to stop` });
  scope.onStop(commissioning.watchEvents((event) => {
    if (mine(event.doorId)) scope.send({ ok: true, stream: 'event', event });
  }));
  scope.onStop(commissioning.watchHealth((change) => {
    if (mine(change.doorId)) scope.send({ ok: true, stream: 'health', device: change.device, doorId: change.doorId, health: change.health });
  }));
}

/**
 * What the gateway knows of one Wiegand bridge, in one value, and the health that follows from
 * it (docs/wiegand-bridge.md, "Health"). Like libosdp's state per peripheral: the driver changes
 * the state; health is never set beside it.
 *  - idle: not running (before the first start, or stopped); link events do not count
 *  - running: the link's health as its events reported it, and what the peer did lately:
 *      waiting  the link (re)opened or went down: no valid line since
 *      silent   no valid line for heartbeatTimeoutMs (the reason says how long, and whether
 *               corrupt lines came meanwhile)
 *      talking  the last valid line came within heartbeatTimeoutMs
 * A talking bridge is degraded while too many recent lines were corrupt (lineQuality.ts).
 */
import type { Health, HealthState } from '../../types.js';

export type PeerState =
  | { kind: 'waiting' }
  | { kind: 'silent'; reason: string }
  | { kind: 'talking' };

export type BridgeState =
  | { kind: 'idle'; reason: 'not started' | 'stopped' }
  | { kind: 'running'; link: Health; peer: PeerState };

/** The health of a bridge in `state`; `degradedReason` from the line quality, `path` names the port. */
export function bridgeHealth(state: BridgeState, degradedReason: string | null, path: string): [HealthState, string] {
  if (state.kind === 'idle') return ['offline', state.reason];
  if (state.link.state !== 'online') return ['offline', state.link.reason];
  switch (state.peer.kind) {
    case 'waiting':
      return ['offline', `waiting for the first line from the Wiegand bridge on ${path}`];
    case 'silent':
      return ['offline', state.peer.reason];
    case 'talking':
      return degradedReason ? ['degraded', degradedReason] : ['online', `the Wiegand bridge on ${path} is online`];
  }
}

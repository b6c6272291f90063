/**
 * What the control socket acts on, declared here and implemented by the composition root
 * (app/gateway.ts): the journal it reads the caused events from, the door statuses it reports,
 * lockdown (real doors: only for a proven operator, journaled with who asked), the simulated
 * devices its `sim` verbs drive, and what its streams act on at the door (commissioningTarget.ts).
 */
import type { SimDoor } from '../hal/sim/simDoor.js';
import type { SimFireInput } from '../hal/sim/simFireInput.js';
import type { JournalEntry } from '../journal/journalCodec.js';
import type { ControlCaller } from '../wire/controlProtocol.js';
import type { AdminEnvelope, AdminResult } from '../wire/adminProtocol.js';
import type { CommissioningTarget } from './commissioningTarget.js';

/** One serial link (bridge, relay board, fingerprint sensor) as the doctor reports it. */
export interface SerialLinkHealth {
  id: string;
  kind: string;
  path: string;
  health: { state: string; reason: string; since: number };
  firmware: string | null;
}

/** What `lockgw doctor` asks the daemon: the cloud link, the serial links, the journal, the rules. */
export interface GatewayHealth {
  /** null when no cloud is configured */
  cloud: {
    connection: string;
    /** why it is not connected, null while connected */
    reason: string | null;
    /** local clock time of the last signed heartbeat accepted, null if none yet */
    lastHeartbeatAt: number | null;
    stale: boolean;
    clock: { trust: string; offsetMs: number | null };
    cloudRevision: number | null;
    /** journal events not yet acknowledged by the cloud */
    unacknowledged: number;
  } | null;
  rules: { revision: number; hash: string };
  journal: { count: number; capacity: number; fill: number; dropped: number; lastSeq: number };
  links: SerialLinkHealth[];
}

export interface ControlTarget {
  /** the cloud link, serial links, rules and journal, for the doctor */
  health(): GatewayHealth;
  /** the site's time zone, for the client's local times */
  timeZone(): string;
  /** every door's status, as `lockgw status` prints it */
  doorStatuses(): unknown[];
  /** the clock's trust and the offline lease (null when not judged: no cloud link), as `lockgw status` prints them */
  trust(): { clock: unknown; lease: unknown };
  /** the ids of the doors this gateway runs, simulated or not */
  doorIds(): string[];
  /** the journal's last sequence number: what a request caused comes after it */
  lastEventSeq(): number;
  /** up to `limit` journal entries after sequence `after` */
  eventsAfter(after: number, limit: number): JournalEntry[];
  /**
   * Lockdown on/off for a door or the site (doorId null), asked by a proven operator: journals
   * the request with the caller's uid and user name, then sets the lockdown (which journals the
   * mode change). Throws GatewayError NOT_FOUND for a door the rules do not know.
   */
  lockdown(doorId: string | null, on: boolean, caller: ControlCaller): void;
  /**
   * An admin verb for a proven caller (docs/standalone.md): checked against the operator table,
   * applied as one batch, journaled with the operator. Throws GatewayError (NOT_AUTHORISED,
   * INPUT_INVALID, NOT_FOUND, CLOUD_MANAGED, ...) and changes nothing then.
   */
  admin(envelope: AdminEnvelope, caller: ControlCaller): AdminResult;
  /** Journals a refused real-door request (a security event) with the caller when one was proven. */
  refused(command: string, doorId: string | null, caller: ControlCaller | null, reason: string): void;
  /** the simulated devices, when doors run on them; `fire` is null unless the fire input is simulated */
  readonly simulated: { doors: ReadonlyMap<string, SimDoor>; fire: SimFireInput | null } | null;
  /** watch, door test, learn mode, fingerprint enrolment */
  readonly commissioning: CommissioningTarget;
}

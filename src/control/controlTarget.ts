/**
 * What the control socket acts on, declared here and implemented by the composition root
 * (app/gateway.ts): the journal it reads the caused events from, the door statuses it reports,
 * lockdown (real doors: only for a proven operator, journaled with who asked), and the simulated
 * devices its `sim` verbs drive.
 */
import type { SimDoor } from '../hal/sim/simDoor.js';
import type { SimFireInput } from '../hal/sim/simFireInput.js';
import type { JournalEntry } from '../journal/journalCodec.js';
import type { ControlCaller } from '../wire/controlProtocol.js';
import type { AdminEnvelope, AdminResult } from '../wire/adminProtocol.js';

export interface ControlTarget {
  /** the site's time zone, for the client's local times */
  timeZone(): string;
  /** every door's status, as `lockgw status` prints it */
  doorStatuses(): unknown[];
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
}

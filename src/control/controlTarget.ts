/**
 * What the control socket acts on, declared here and implemented by the composition root
 * (app/gateway.ts): the journal it reads the caused events from, the door statuses it reports,
 * lockdown, and the simulated devices its `sim` verbs drive.
 */
import type { SimDoor } from '../hal/sim/simDoor.js';
import type { SimFireInput } from '../hal/sim/simFireInput.js';
import type { JournalEntry } from '../journal/journalCodec.js';

export interface ControlTarget {
  /** the site's time zone, for the client's local times */
  timeZone(): string;
  /** every door's status, as `lockgw status` prints it */
  doorStatuses(): unknown[];
  /** the journal's last sequence number: what a request caused comes after it */
  lastEventSeq(): number;
  /** up to `limit` journal entries after sequence `after` */
  eventsAfter(after: number, limit: number): JournalEntry[];
  setLockdown(doorId: string | null, on: boolean): void;
  /** the simulated devices, when doors run on them; null otherwise */
  readonly simulated: { doors: ReadonlyMap<string, SimDoor>; fire: SimFireInput | null } | null;
}

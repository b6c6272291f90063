/**
 * What the metrics read from a running gateway at scrape time: one reading per scrape, so every
 * gauge of one scrape agrees. The gateway provides it (app/gateway.ts); nothing here is kept in
 * sync by hand.
 */
import type { GatewayHealth } from '../../control/controlTarget.js';
import type { DoorStatus } from '../../doors/doorController.js';
import type { OfflineTrustStatus } from '../../engine/offlineTrust.js';
import type { JournalEntry, JournalStats } from '../../journal/journal.js';

export interface MetricsReading {
  /** epoch ms of the reading, from the gateway's Clock */
  now: number;
  /** the cloud link, rules, journal and serial links, as `lockgw doctor` sees them */
  health: GatewayHealth;
  doors: DoorStatus[];
  trust: OfflineTrustStatus;
  journal: JournalStats;
  safetyOnly: boolean;
}

export interface MetricsSource {
  /** the gateway as of now; throws GatewayError NOT_STARTED while it is not running (a restart) */
  read(): MetricsReading;
  /** calls `listener` with every journal entry appended from now on; returns the function that stops it */
  watchJournal(listener: (entry: JournalEntry) => void): () => void;
}

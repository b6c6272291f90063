/**
 * What the index compiler reads: the whole access model of one site at one revision.
 * The store implements it over SQLite (inside one read transaction, so the view is consistent);
 * tests implement it over arrays. Every iterable yields records in id order (holidays by
 * date, holdings by person then key), which the content hash relies on.
 */
import type { Credential, Door, Holding, Holiday, Key, Person, Schedule, Site } from './model.js';

export interface AccessSource {
  readonly site: Site | null;
  /** the cloud's version number of this content (0 = never synced) */
  readonly revision: number;
  /**
   * The content hash of this state when the source knows it (the store keeps it current as it
   * applies changes, contentHash.ts); compileIndex computes it from the records otherwise.
   */
  readonly hash?: string;
  doors(): Iterable<Door>;
  holidays(): Iterable<Holiday>;
  schedules(): Iterable<Schedule>;
  keys(): Iterable<Key>;
  people(): Iterable<Person>;
  holdings(): Iterable<Holding>;
  credentials(): Iterable<Credential>;
  /** grants counted so far per credential (for use limits) */
  uses(): Iterable<readonly [credentialId: string, uses: number]>;
  readonly lockdown: { readonly site: boolean; readonly doors: readonly string[] };
}

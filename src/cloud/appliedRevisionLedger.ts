/**
 * Where the applied history (appliedHistory.ts) keeps what it knows per revision so that it
 * survives a restart. The cloud layer declares it; the composition root hands it an implementation
 * over the gateway's database (store/appliedRevisionStore.ts).
 */
export interface AppliedRevision {
  revision: number;
  /** the hash the change that reached this revision carried */
  hash: string;
  /** for a delta: where it started and the keyed digest of its content */
  delta?: { fromVersion: number; digest: string };
}

export interface AppliedRevisionLedger {
  /**
   * The newest `limit` revisions, oldest first. A row it cannot read is left out and counted in
   * `skipped`; throws GatewayError when the table cannot be read at all.
   */
  load(limit: number): { revisions: AppliedRevision[]; skipped: number };
  /**
   * In one transaction, committed durably before it returns: writes `revisions` (a revision
   * already there is replaced) and deletes all but the newest `keep`.
   */
  remember(revisions: readonly AppliedRevision[], keep: number): void;
}

/**
 * Where the replay memory (replayMemory.ts) keeps its entries so that they survive a restart. The
 * cloud layer declares it; the composition root hands it an implementation over the gateway's
 * database (store/commandReplayStore.ts). Keys and values are opaque strings to the ledger.
 */
export interface ReplayEntry {
  key: string;
  value: string;
  /** epoch ms; the entry is worthless from this instant on */
  expiresAt: number;
}

export interface ReplayLedger {
  /**
   * The entries still live at `now`, oldest first, at most the newest `limit`. A row the ledger
   * cannot read (damaged, or not one it wrote) is left out and counted in `skipped`; it never
   * throws for a row. Throws GatewayError when the table cannot be read at all.
   */
  load(now: number, limit: number): { entries: ReplayEntry[]; skipped: number };
  /**
   * In one transaction, committed durably before it returns: writes `entries` (a key already
   * there is replaced and becomes the newest) and deletes `forget`. Throws the storage's own error
   * (e.g. SQLITE_FULL) when it cannot, having changed nothing.
   */
  remember(entries: readonly ReplayEntry[], forget: readonly string[]): void;
  /** Deletes the entries expired at `now` and all but the newest `keep`; returns how many went. */
  prune(now: number, keep: number): number;
}

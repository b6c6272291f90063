/**
 * What the cloud link tells the gateway about the cloud messages it verified, declared here and
 * implemented in app/gateway.ts by the engine's offline trust (engine/offlineTrust.ts): they renew
 * the offline leases and give the clock its trust back (docs/access-model.md).
 */
export interface VerifiedContact {
  /**
   * A signed heartbeat was accepted (not a replay): the cloud's clock read `cloudTime` (epoch ms);
   * `upToDate`: the gateway has applied the revision it names, or a newer one.
   */
  heartbeat(cloudTime: number, upToDate: boolean): void;
  /** A signed snapshot or delta was applied (a duplicate is not reported: a replay must not renew a lease). */
  applied(): void;
}

/**
 * The config's `offline:` section: the offline lease of each credential class and the limits of
 * clock trust (docs/access-model.md "Offline leases", "Clock trust"). Only a gateway with a cloud
 * link has leases: a standalone gateway has nothing to verify its rules against.
 */
import { z } from 'zod';
import { OFFLINE_CLASSES, type OfflineClass } from '../access/offlineClass.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const LeaseSchema = (defaultMs: number) =>
  z
    .strictObject({
      /**
       * the longest time since the gateway last verified its rules (a signed heartbeat it is up to
       * date with, or a signed change it applied) that a credential of this class still opens;
       * 0: only while the sync is fresh (within cloud.sync.staleAfterMs)
       */
      maxStalenessMs: z.number().int().min(0).max(365 * DAY).default(defaultMs),
      /** past the lease the class keeps opening (logged, and shown in status) instead of being denied */
      failOpen: z.boolean().default(false),
    })
    .prefault({});

const DEFAULT_LEASE_MS: Readonly<Record<OfflineClass, number>> = {
  resident: 14 * DAY,
  staff: 7 * DAY,
  guest: 24 * HOUR,
  vendor: 24 * HOUR,
  delivery: 0,
  phone_key: 7 * DAY,
};

const LeasesSchema = z
  .strictObject(Object.fromEntries(OFFLINE_CLASSES.map((c) => [c, LeaseSchema(DEFAULT_LEASE_MS[c])])) as Record<OfflineClass, ReturnType<typeof LeaseSchema>>)
  .prefault({});

export const OfflineTrustConfigSchema = z
  .strictObject({
    leases: LeasesSchema,
    clock: z
      .strictObject({
        /** a reading this far behind the last-trusted time is still trusted (small corrections) */
        behindToleranceMs: z.number().int().min(0).max(HOUR).default(5_000),
        /** a jump forward by more than this (beyond the check interval) makes the clock untrusted */
        maxStepMs: z.number().int().min(1_000).max(DAY).default(300_000),
        /** how often the clock is read when no decision reads it; the trust record is written at most once a minute besides its changes */
        checkIntervalMs: z.number().int().min(1_000).max(HOUR).default(10_000),
      })
      .prefault({}),
  })
  .prefault({});

export type OfflineTrustConfig = z.output<typeof OfflineTrustConfigSchema>;

/**
 * The config's `offlineCodes:` section: whether the site takes offline doorcodes
 * (docs/offline-doorcodes.md), where its shared secret is, how long its codes are, its door
 * groups and, for multi-day codes, its check-in and check-out times.
 */
import { z } from 'zod';
import { IdSchema, TimeOfDaySchema } from '../access/model.js';
import { MAX_CODE_LENGTH, MIN_CODE_LENGTH, type StayTimes } from '../access/offlineCode.js';

const ClockTimeSchema = TimeOfDaySchema.refine((s) => s !== '24:00', 'must be a time of day between 00:00 and 23:59');

export const OfflineCodeConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** the site's offline-code secret (64+ hex digits, shared with the cloud at provisioning), relative to gateway.dataDir; mode 0600 */
    secretFile: z.string().min(1).default('offline-code-secret'),
    /** digits of a code: longer than any stored PIN (4–8), so a code is never a stored PIN */
    length: z.number().int().min(MIN_CODE_LENGTH).max(MAX_CODE_LENGTH).default(10),
    /** door groups: a code issued for a group opens each of its doors */
    groups: z.record(IdSchema, z.array(IdSchema).min(1).max(10_000)).default({}),
    /** a stay's check-in and check-out (local times): multi-day codes run from one to the other */
    stay: z.strictObject({ checkIn: ClockTimeSchema, checkOut: ClockTimeSchema }).optional(),
  })
  .prefault({});

export type OfflineCodeConfig = z.output<typeof OfflineCodeConfigSchema>;

/** The stay times as minutes after local midnight; null when the site takes no multi-day codes. */
export function stayTimes(config: OfflineCodeConfig): StayTimes | null {
  if (config.stay === undefined) return null;
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  return { checkIn: minutes(config.stay.checkIn), checkOut: minutes(config.stay.checkOut) };
}

/**
 * `offline_code`: what checking a keypad entry as an offline doorcode costs on the doors' event
 * loop (docs/offline-doorcodes.md). Seeded windows of each type that contain now, at a door with
 * two scopes (its own and one group), and wrong codes (random digits behind a random type digit),
 * which cost the most: every window of their type in the ±24 h horizon. Each check is timed on
 * its own. The baseline is one HMAC-SHA256 of a code message in the same run.
 *
 *   npm run bench -- --only offline_code [--scale 1]
 */
import { createHmac } from 'node:crypto';
import { deriveCode, MAX_DAYS, MAX_HOURS, type OfflineCodeType, type OfflineCodeWindow } from '../src/access/offlineCode.js';
import { checkOfflineCode, type OfflineCodeSettings } from '../src/access/offlineCodeCheck.js';
import { Prng } from './prng.js';
import { emit, note } from './report.js';
import { summarize } from './stats.js';

const BENCH = 'offline_code';
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const SCOPES = ['door:lobby', 'group:building-a'] as const;
const DAY = 1440;
/** 2027-03-15T10:17 local, a Monday */
const NOW = Date.parse('2027-03-15T10:17:00Z') / 60_000;

/** a random window of `type` on its grid that contains NOW */
function windowAround(type: OfflineCodeType, prng: Prng, settings: OfflineCodeSettings): OfflineCodeWindow {
  const scope = prng.pick(SCOPES);
  const singleUse = prng.chance(0.5);
  if (type === 'hourly') {
    const hours = prng.int(1, MAX_HOURS);
    const start = Math.floor(NOW / 60) * 60 - prng.int(0, hours - 1) * 60;
    return { scope, type, singleUse, start, end: start + hours * 60 };
  }
  const days = prng.int(1, MAX_DAYS);
  const today = Math.floor(NOW / DAY);
  if (type === 'daily') {
    const start = (today - prng.int(0, days - 1)) * DAY;
    return { scope, type, singleUse, start, end: start + days * DAY };
  }
  // NOW (10:17) is before today's check-in (15:00) and before today's check-out (11:00): a stay
  // that contains it began 1 to `days` days ago
  const { checkIn, checkOut } = settings.stay!;
  const startDay = today - prng.int(1, days);
  return { scope, type, singleUse, start: startDay * DAY + checkIn, end: (startDay + days) * DAY + checkOut };
}

function time(check: () => unknown, count: number): Float64Array {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    check();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return samples;
}

export function runOfflineCodeBench(scale: number): void {
  const settings: OfflineCodeSettings = { secret: Buffer.from(SECRET), length: 10, stay: { checkIn: 15 * 60, checkOut: 11 * 60 } };
  const prng = new Prng(0x5eed_0c0d);
  const count = Math.max(50, Math.round(2_000 * scale));
  const key = settings.secret;
  const hmac = time(() => createHmac('sha256', key).update('lockgw-doorcode/1|door:lobby|hourly|single|2027-03-15T10:00|2027-03-15T12:00', 'ascii').digest(), count * 50);
  const hmacUs = summarize(hmac).p50;
  emit({ bench: BENCH, metric: 'hmac_p50_us', value: hmacUs, unit: 'us', target: null, better: 'lower' });
  for (const type of ['hourly', 'daily', 'multi-day'] as const) {
    const codes = Array.from({ length: count }, () => deriveCode(SECRET, windowAround(type, prng, settings), 10));
    let i = 0;
    let granted = 0;
    const samples = time(() => { if (checkOfflineCode(settings, SCOPES, codes[i++]!, NOW).kind === 'valid') granted++; }, count);
    if (granted !== count) throw new Error(`offline_code: ${count - granted} of ${count} ${type} codes were not found`);
    const s = summarize(samples);
    const name = type === 'multi-day' ? 'multi_day' : type;
    emit({ bench: BENCH, metric: `valid_${name}_p50_us`, value: s.p50, unit: 'us', target: null, better: 'lower' });
    emit({ bench: BENCH, metric: `valid_${name}_p99_us`, value: s.p99, unit: 'us', target: null, better: 'lower' });
  }
  const wrong = Array.from({ length: count }, () => `${prng.int(1, 6)}${String(prng.int(0, 999_999_999)).padStart(9, '0')}`);
  let j = 0;
  let found = 0;
  const samples = time(() => { if (checkOfflineCode(settings, SCOPES, wrong[j++]!, NOW).kind !== 'unknown') found++; }, count);
  const s = summarize(samples);
  emit({ bench: BENCH, metric: 'wrong_code_p50_ms', value: s.p50 / 1000, unit: 'ms', target: null, better: 'lower' });
  emit({ bench: BENCH, metric: 'wrong_code_p99_ms', value: s.p99 / 1000, unit: 'ms', target: 20, better: 'lower' });
  emit({ bench: BENCH, metric: 'wrong_code_hmacs', value: s.p50 / hmacUs, unit: 'hmacs', target: null, better: 'lower' });
  note(`offline_code: ${count} checks per case, door with ${SCOPES.length} scopes; ${found} random wrong codes happened to be real codes`);
}

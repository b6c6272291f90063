/**
 * The gauges (docs/metrics.md lists each): read at scrape time from the scrape's MetricsReading,
 * never kept in sync by hand. A gauge whose value is unknown (no cloud configured, no heartbeat
 * yet) has no sample rather than a made-up 0. Labels name doors, devices, links and states,
 * never a person, a credential or a card number.
 */
import { Gauge, type Registry } from 'prom-client';
import type { HealthState } from '../../hal/types.js';
import type { MetricsReading } from './metricsReading.js';

const HEALTH_STATES: readonly HealthState[] = ['online', 'degraded', 'offline'];

type Fill = (gauge: Gauge<string>, reading: MetricsReading) => void;

/** A gauge value, or null for none (the sample is left out). */
type Value = (reading: MetricsReading) => number | null;

interface GaugeSpec {
  name: string;
  help: string;
  labelNames?: readonly string[];
  fill: Fill;
}

const single = (value: Value): Fill => (gauge, reading) => {
  const v = value(reading);
  if (v === null) gauge.remove();
  else gauge.set(v);
};

/** 1 for the current state, 0 for the others: one sample per state, so `== 1` selects the state. */
function setState(gauge: Gauge<string>, labels: Record<string, string>, state: string): void {
  for (const s of HEALTH_STATES) gauge.set({ ...labels, state: s }, s === state ? 1 : 0);
}

const seconds = (ms: number | null | undefined): number | null => (ms === null || ms === undefined ? null : ms / 1000);

const cloud = (r: MetricsReading) => r.health.cloud;

const lease = (r: MetricsReading) => (r.trust.enabled ? r.trust.lease : null);

const SPECS: readonly GaugeSpec[] = [
  {
    name: 'lockgw_door_health', help: 'Health of each door (1 for its current state: online, degraded or offline)', labelNames: ['door', 'state'],
    fill: (g, r) => { for (const d of r.doors) setState(g, { door: d.doorId }, d.health.state); },
  },
  {
    name: 'lockgw_device_health', help: 'Health of each device of each door (1 for its current state: online, degraded or offline)', labelNames: ['door', 'device', 'state'],
    fill: (g, r) => { for (const d of r.doors) for (const [device, h] of Object.entries(d.devices)) setState(g, { door: d.doorId, device }, h.state); },
  },
  {
    name: 'lockgw_serial_link_health', help: 'Health of each serial link: Wiegand bridge, relay board, fingerprint sensor (1 for its current state)', labelNames: ['link', 'kind', 'state'],
    fill: (g, r) => { for (const l of r.health.links) setState(g, { link: l.id, kind: l.kind }, l.health.state); },
  },
  {
    name: 'lockgw_alarms_active', help: 'Alarms raised and not cleared, by door and kind (forced_open, held_open)', labelNames: ['door', 'kind'],
    fill: (g, r) => { for (const d of r.doors) for (const kind of d.alarms) g.set({ door: d.doorId, kind }, 1); },
  },
  { name: 'lockgw_journal_fill_ratio', help: 'Events waiting for the cloud\'s acknowledgement over the journal\'s capacity, 0 to 1 (the oldest are dropped at 1)', fill: single((r) => r.journal.fill) },
  { name: 'lockgw_journal_queue_events', help: 'Events in the upload queue, not yet acknowledged by the cloud', fill: single((r) => r.journal.count) },
  { name: 'lockgw_journal_history_events', help: 'Events kept as local access history', fill: single((r) => r.journal.history) },
  { name: 'lockgw_journal_capacity_events', help: 'The upload queue\'s bound (journal.maxEvents)', fill: single((r) => r.journal.capacity) },
  { name: 'lockgw_journal_dropped_events', help: 'Events lost to the bound since the journal was created (only grows)', fill: single((r) => r.journal.dropped) },
  { name: 'lockgw_journal_last_seq', help: 'The journal\'s highest sequence number', fill: single((r) => r.journal.lastSeq) },
  { name: 'lockgw_journal_unacknowledged_events', help: 'Journaled events the cloud has not acknowledged yet (with a cloud link)', fill: single((r) => cloud(r)?.unacknowledged ?? null) },
  { name: 'lockgw_rules_revision', help: 'The rules revision the doors decide with', fill: single((r) => r.health.rules.revision) },
  { name: 'lockgw_cloud_rules_revision', help: 'The rules revision the cloud announced in its last signed heartbeat', fill: single((r) => cloud(r)?.cloudRevision ?? null) },
  {
    name: 'lockgw_rules_revision_lag', help: 'Revisions the gateway is behind the cloud (cloud revision minus applied revision)',
    fill: single((r) => { const c = cloud(r)?.cloudRevision; return c === null || c === undefined ? null : c - r.health.rules.revision; }),
  },
  {
    name: 'lockgw_heartbeat_age_seconds', help: 'Seconds since the last signed heartbeat from the cloud was accepted',
    fill: single((r) => { const at = cloud(r)?.lastHeartbeatAt; return at === null || at === undefined ? null : Math.max(0, r.now - at) / 1000; }),
  },
  { name: 'lockgw_heartbeat_stale', help: '1 while no valid heartbeat came within cloud.sync.staleAfterMs', fill: single((r) => { const c = cloud(r); return c === null ? null : c.stale ? 1 : 0; }) },
  { name: 'lockgw_cloud_connected', help: '1 while the MQTT link to the cloud is connected', fill: single((r) => { const c = cloud(r); return c === null ? null : c.connection === 'connected' ? 1 : 0; }) },
  { name: 'lockgw_revocation_staleness_seconds', help: 'Seconds since the rules were last verified with the cloud: how old a revocation the doors may not know of yet', fill: single((r) => seconds(lease(r)?.staleForMs)) },
  { name: 'lockgw_revocation_staleness_max_seconds', help: 'The longest the offline leases let a credential open unverified (the longest lease; none when a class fails open)', fill: single((r) => seconds(lease(r)?.maxRevocationStalenessMs)) },
  { name: 'lockgw_clock_trusted', help: '1 while the clock is trusted for decisions, 0 while not (with a cloud link)', fill: single((r) => (r.trust.enabled ? (r.trust.clock.trusted ? 1 : 0) : null)) },
  { name: 'lockgw_safety_only', help: '1 while the gateway runs without usable rules (fire and REX only, every credential denied)', fill: single((r) => (r.safetyOnly ? 1 : 0)) },
];

/** Registers the gauges on `registry`; each reads `reading()` (null: the gateway is not running, no samples). */
export function registerGatewayGauges(registry: Registry, reading: () => MetricsReading | null): void {
  for (const spec of SPECS) {
    new Gauge({
      name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [registry],
      collect() {
        this.reset();
        const r = reading();
        if (r === null) {
          if ((spec.labelNames ?? []).length === 0) this.remove();
          return;
        }
        spec.fill(this, r);
      },
    });
  }
}

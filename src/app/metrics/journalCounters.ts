/**
 * The counters fed by the journal's appended entries (Journal.watch): decisions by door, result
 * and reason; alarms raised by kind and door. They run inside Journal.append, after the door has
 * acted: one map lookup and an increment per entry (bench: decision, door_latency with metrics).
 * An entry's person, credential, key and data are never read: no label can carry them.
 */
import { Counter, type Registry } from 'prom-client';
import type { JournalEntry } from '../../journal/journal.js';

/** Alarm reasons that end an alarm rather than raise one (besides every `…_cleared`). */
const ENDINGS: ReadonlySet<string> = new Set(['rules_restored', 'offline_lease_renewed', 'clock_trusted', 'fire_input_online']);

function clearsAnAlarm(reason: string): boolean {
  return reason.endsWith('_cleared') || ENDINGS.has(reason);
}

type Increment = { inc(): void };

export class JournalCounters {
  private readonly decisions: Counter<'door' | 'result' | 'reason'>;
  private readonly alarms: Counter<'door' | 'kind'>;
  /** the counter child of each label set seen, so an entry costs no label hashing */
  private readonly children = new Map<string, Increment>();

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'lockgw_decisions_total', help: 'Access decisions by door, result (granted, denied) and reason code', labelNames: ['door', 'result', 'reason'], registers: [registry],
    });
    this.alarms = new Counter({
      name: 'lockgw_alarms_total', help: 'Alarms raised by door ("" for the site) and kind (the journal\'s alarm reason)', labelNames: ['door', 'kind'], registers: [registry],
    });
  }

  /** Counts one appended entry (a Journal.watch listener). */
  readonly count = (entry: JournalEntry): void => {
    if (entry.type === 'access') {
      const result = entry.grant ? 'granted' : 'denied';
      const door = entry.doorId ?? '';
      const reason = entry.reason ?? '';
      const key = `d\0${door}\0${result}\0${reason}`;
      let child = this.children.get(key);
      if (child === undefined) {
        child = this.decisions.labels({ door, result, reason });
        this.children.set(key, child);
      }
      child.inc();
    } else if (entry.type === 'alarm' && entry.reason !== undefined && !clearsAnAlarm(entry.reason)) {
      const door = entry.doorId ?? '';
      const key = `a\0${door}\0${entry.reason}`;
      let child = this.children.get(key);
      if (child === undefined) {
        child = this.alarms.labels({ door, kind: entry.reason });
        this.children.set(key, child);
      }
      child.inc();
    }
  };
}

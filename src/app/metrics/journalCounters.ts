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

/** One label set's count, bumped in place on the hot path. */
interface Cell {
  labels: Record<string, string>;
  n: number;
}

/** Cells by two keys, without building a string per entry. */
class Cells {
  private readonly byFirst = new Map<string, Map<string, Cell>>();
  readonly all: Cell[] = [];

  bump(first: string, second: string, labels: () => Record<string, string>): void {
    let inner = this.byFirst.get(first);
    if (inner === undefined) this.byFirst.set(first, (inner = new Map()));
    let cell = inner.get(second);
    if (cell === undefined) {
      cell = { labels: labels(), n: 0 };
      inner.set(second, cell);
      this.all.push(cell);
    }
    cell.n++;
  }
}

/**
 * The counts live in plain cells (two map lookups and an increment per entry: prom-client's
 * own inc() hashes the labels at every call) and are handed to prom-client at scrape time.
 */
export class JournalCounters {
  private readonly granted = new Cells();
  private readonly denied = new Cells();
  private readonly alarms = new Cells();

  constructor(registry: Registry) {
    const { granted, denied, alarms } = this;
    new Counter({
      name: 'lockgw_decisions_total', help: 'Access decisions by door, result (granted, denied) and reason code', labelNames: ['door', 'result', 'reason'], registers: [registry],
      collect() {
        this.reset();
        for (const c of granted.all) this.inc(c.labels, c.n);
        for (const c of denied.all) this.inc(c.labels, c.n);
      },
    });
    new Counter({
      name: 'lockgw_alarms_total', help: 'Alarms raised by door ("" for the site) and kind (the journal\'s alarm reason)', labelNames: ['door', 'kind'], registers: [registry],
      collect() {
        this.reset();
        for (const c of alarms.all) this.inc(c.labels, c.n);
      },
    });
  }

  /** Counts one appended entry (a Journal.watch listener). */
  readonly count = (entry: JournalEntry): void => {
    if (entry.type === 'access') {
      const door = entry.doorId ?? '';
      const reason = entry.reason ?? '';
      if (entry.grant) this.granted.bump(door, reason, () => ({ door, result: 'granted', reason }));
      else this.denied.bump(door, reason, () => ({ door, result: 'denied', reason }));
    } else if (entry.type === 'alarm' && entry.reason !== undefined && !clearsAnAlarm(entry.reason)) {
      const door = entry.doorId ?? '';
      const kind = entry.reason;
      this.alarms.bump(door, kind, () => ({ door, kind }));
    }
  };
}

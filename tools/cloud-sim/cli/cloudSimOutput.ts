/**
 * What `lockgw cloud-sim` prints about the gateway's messages: one human-readable line each, or
 * one JSON line each (`--json`: `{"type": ..., ...message}`). Events print one line per event.
 * Gateway messages never carry a PIN or a card number, and nothing here prints what the
 * simulator sends.
 */
import type { CloudSimulator, CloudSimulatorEvents } from '../cloudSimulator.js';
import type { ApplyAck, CommandResponse, SyncRequest } from '../../../src/wire/messages.js';
import { formatDoorStatus, formatEvent } from '../../../src/cli/reports.js';

export interface SimOutput {
  out(line: string): void;
  err(line: string): void;
  json: boolean;
  /** the site's zone, for event times */
  timeZone: string;
}

export const short = (hash: string) => hash.slice(0, 12);
export const count = (n: number) => n.toLocaleString('en-US');
export const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

export function formatAck(ack: ApplyAck, expectedHash?: string): string {
  const check = expectedHash === undefined ? '' : ack.hash === expectedHash ? ' (as published)' : ` — DIFFERS from the published ${short(expectedHash)}`;
  return `apply_ack: the gateway runs version ${ack.revision}, hash ${short(ack.hash)}${check}${ack.duplicate ? ' (it already had it)' : ''}`;
}

export function formatSyncRequest(r: SyncRequest): string {
  const want = r.want.kind === 'snapshot'
    ? 'a snapshot'
    : r.want.kind === 'delta'
      ? `deltas from version ${r.want.fromVersion}${r.want.toVersion === undefined ? '' : ` (at least to ${r.want.toVersion})`}`
      : `chunks ${r.want.chunks.join(', ')} of ${r.want.snapshotId}`;
  return `sync_request ${r.transaction}: at version ${r.revision} (${r.reason}), wants ${want}${r.detail ? ` — ${r.detail}` : ''}`;
}

export function formatCommandResponse(r: CommandResponse): string {
  return `command ${r.correlationId ?? '(unreadable)'}: ${r.result} — ${r.message}`;
}

type Shown = Exclude<keyof CloudSimulatorEvents, 'published' | 'failed' | 'connected' | 'disconnected'>;

/** Prints the gateway's messages of the given kinds as they arrive. */
export function printGatewayMessages(sim: CloudSimulator, output: SimOutput, kinds: readonly Shown[]): void {
  const json = (type: string, body: object) => output.out(JSON.stringify({ type, ...body }));
  const on = <E extends Shown>(event: E, human: (...args: CloudSimulatorEvents[E]) => string | string[]) => {
    if (!kinds.includes(event)) return;
    sim.on(event, ((...args: CloudSimulatorEvents[E]) => {
      if (output.json && event !== 'events') return json(event, args[0] as object);
      const lines = human(...args);
      for (const line of Array.isArray(lines) ? lines : [lines]) output.out(line);
    }) as never);
  };
  on('state', (s) => `state: ${s.status} (${s.reason})${s.revision === undefined ? '' : ` at version ${s.revision}`}${s.hash ? `, hash ${short(s.hash)}` : ''}${s.software ? `, software ${s.software}` : ''}`);
  on('apply_ack', (a) => formatAck(a));
  on('sync_request', formatSyncRequest);
  on('sync_answered', (a) => `answered ${a.request.transaction}: ${a.answer === 'none' ? `nothing to send (${a.detail})` : a.detail}`);
  on('events', (batch) => {
    if (output.json) {
      for (const e of batch.events) json('event', { journalId: batch.journalId, ...e });
      return [];
    }
    const lines = batch.skipped ? [`events ${batch.skipped.fromSeq}–${batch.skipped.toSeq} were dropped by the gateway (its journal was full)`] : [];
    return [...lines, ...batch.events.map((e) => `event ${formatEvent(e, output.timeZone)}`)];
  });
  on('command_response', formatCommandResponse);
  on('door_status', (d) => `door ${formatDoorStatus({ ...d, open: d.open })}`);
  on('door_removed', (d) => `door ${d.doorId} removed`);
  on('security_event', (s) => `SECURITY ${s.reason} on ${s.topic}: ${s.detail}${s.kid ? ` (kid ${s.kid})` : ''}${s.repeated ? ` (and ${s.repeated} more like it)` : ''}`);
  on('invalid', (i) => `invalid message on ${i.topic}: ${i.reason}: ${i.detail}`);
}

/**
 * An optional log of the HCI traffic of every virtual controller, for a failing test's
 * diagnostics: one line per packet, `host < CMD LE_SET_SCAN_ENABLE 0101` (from the host) or
 * `host > EVT 0e ...` (to the host). Off unless a test asks for it; bounded.
 */
import type { VirtualController } from './controller.js';
import type { HostPacket } from './h4.js';
import { opName } from './opcodes.js';

export class HciTrace {
  private readonly entries: string[] = [];
  private readonly start = performance.now();

  constructor(private readonly limit = 5000) {}

  watch(controller: VirtualController): void {
    controller.on('rx', (p) => this.add(`${controller.name} < ${describe(p)}`));
    controller.on('tx', (b) => this.add(`${controller.name} > ${b[0] === 0x04 ? 'EVT' : 'ACL'} ${b.subarray(1).toString('hex')}`));
    controller.on('junk', (byte) => this.add(`${controller.name} < JUNK ${byte.toString(16)}`));
  }

  lines(): readonly string[] {
    return this.entries;
  }

  toString(): string {
    return this.entries.join('\n');
  }

  private add(line: string): void {
    if (this.entries.length >= this.limit) this.entries.shift();
    this.entries.push(`${(performance.now() - this.start).toFixed(1).padStart(8)} ${line}`);
  }
}

function describe(p: HostPacket): string {
  if (p.kind === 'command') return `CMD ${opName(p.opcode)} ${p.params.toString('hex')}`;
  return `ACL h=${p.handle} pb=${p.pb} ${p.payload.toString('hex')}`;
}

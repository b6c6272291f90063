/**
 * Two ends of a BleLink in memory, for protocol tests that do not need the radio (the
 * end-to-end tests use the virtual HCI controller instead). Values are delivered on a microtask,
 * in order, as a real link delivers them after the send resolves. `fault` lets a test drop,
 * rewrite or delay values in either direction; `drop()` closes both ends as a lost link does.
 */
import { GatewayError } from '../../src/kernel/gatewayError.js';
import type { BleLink, ByteChannel } from '../../src/hal/ble/bleLink.js';

export type Direction = 'aToB' | 'bToA';
/** returns the values to deliver instead of `value` (an empty array drops it) */
export type LinkFault = (value: Uint8Array, direction: Direction, uuid: string) => Uint8Array[];

export interface MemoryBleLinkPair {
  a: BleLink;
  b: BleLink;
  fault: LinkFault | null;
  /** closes both ends with `reason` */
  drop(reason?: string): void;
}

export function memoryBleLinkPair(options: { addressA?: string; addressB?: string; maxValueLength?: number } = {}): MemoryBleLinkPair {
  const maxValue = options.maxValueLength ?? 20;
  const listeners = { a: new Map<string, Set<(v: Uint8Array) => void>>(), b: new Map<string, Set<(v: Uint8Array) => void>>() };
  const closeListeners = { a: new Set<(r: string) => void>(), b: new Set<(r: string) => void>() };
  let closed = false;
  const pair: MemoryBleLinkPair = {
    fault: null,
    a: undefined as unknown as BleLink,
    b: undefined as unknown as BleLink,
    drop(reason = 'link lost') {
      if (closed) return;
      closed = true;
      for (const l of [...closeListeners.a, ...closeListeners.b]) l(reason);
      closeListeners.a.clear();
      closeListeners.b.clear();
    },
  };
  const end = (self: 'a' | 'b', peer: string): BleLink => {
    const other = self === 'a' ? 'b' : 'a';
    const direction: Direction = self === 'a' ? 'aToB' : 'bToA';
    const channel = (uuid: string): ByteChannel => ({
      uuid,
      maxValueLength: () => maxValue,
      async send(value) {
        if (closed) throw new GatewayError('DEVICE_OFFLINE', `link to ${peer} is closed`, { id: peer });
        if (value.length > maxValue) throw new GatewayError('INPUT_INVALID', `a value of ${value.length} bytes exceeds the link's ${maxValue}`, { id: peer, field: 'value' });
        const copy = Uint8Array.from(value);
        const delivered = pair.fault ? pair.fault(copy, direction, uuid) : [copy];
        queueMicrotask(() => {
          if (closed) return;
          for (const v of delivered) for (const l of listeners[other].get(uuid) ?? []) l(v);
        });
      },
      onReceive(listener) {
        let set = listeners[self].get(uuid);
        if (!set) listeners[self].set(uuid, (set = new Set()));
        set.add(listener);
        return () => set.delete(listener);
      },
    });
    return {
      peer,
      channel,
      get closed() { return closed; },
      onClose(listener) {
        if (closed) { queueMicrotask(() => listener('closed')); return () => {}; }
        closeListeners[self].add(listener);
        return () => closeListeners[self].delete(listener);
      },
      async close() { pair.drop('closed by peer'); },
    };
  };
  pair.a = end('a', options.addressB ?? 'c0:00:00:00:00:0b');
  pair.b = end('b', options.addressA ?? 'c0:00:00:00:00:0a');
  return pair;
}

/**
 * The seam between a BLE application protocol (phone keys, the Nuki lock API) and the radio.
 * A protocol sees a connected peer as a BleLink and each characteristic it uses as a
 * ByteChannel: one `send` is one ATT value (a write from a central, a notification or
 * indication from a peripheral); one received value is one `onReceive` call. Nothing here knows
 * noble or bleno: gattCentral.ts and gattPeripheral.ts implement it over the real libraries,
 * test/support/memoryBleLink.ts in memory.
 */

/** One characteristic of a connected peer, both directions. */
export interface ByteChannel {
  /** the characteristic's UUID, lower-case hex without dashes */
  readonly uuid: string;
  /** the largest value one `send` may carry (the ATT MTU minus 3) */
  maxValueLength(): number;
  /** sends one value; rejects with GatewayError('DEVICE_OFFLINE') once the link is closed */
  send(value: Uint8Array): Promise<void>;
  /** calls `listener` with every value the peer sends; returns the unsubscribe function */
  onReceive(listener: (value: Uint8Array) => void): () => void;
}

/** A connection to one peer. */
export interface BleLink {
  /** the peer's address, lower-case `aa:bb:cc:dd:ee:ff` */
  readonly peer: string;
  /** the channel for characteristic `uuid` (lower-case hex without dashes) of this link's service */
  channel(uuid: string): ByteChannel;
  /** calls `listener` once when the link closes, for whatever reason; returns the unsubscribe function */
  onClose(listener: (reason: string) => void): () => void;
  readonly closed: boolean;
  /** closes the link; resolves when it is closed (at once if it already is) */
  close(): Promise<void>;
}

/**
 * `link` with every `send` of every channel passed through `around` (which must call `send`
 * and return its promise, or one that settles with it): for observing sends without another
 * BleLink implementation.
 */
export function aroundSends(link: BleLink, around: (send: () => Promise<void>) => Promise<void>): BleLink {
  return {
    peer: link.peer,
    get closed() { return link.closed; },
    close: () => link.close(),
    onClose: (listener) => link.onClose(listener),
    channel: (uuid) => {
      const channel = link.channel(uuid);
      return {
        uuid: channel.uuid,
        maxValueLength: () => channel.maxValueLength(),
        onReceive: (listener) => channel.onReceive(listener),
        send: (value) => around(() => channel.send(value)),
      };
    },
  };
}

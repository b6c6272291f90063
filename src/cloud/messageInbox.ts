/**
 * When received cloud messages are handled, on the doors' event loop:
 *
 * - One message per turn of the event loop: several large messages that arrive in one read would
 *   otherwise be handled back to back, and the doors (which decide on this loop) would wait for
 *   all of them.
 * - Two lanes. Sync messages (snapshot chunks, deltas) are handled in the order they arrived, and
 *   one that is still being decoded on another thread (`pending`) holds back the sync messages
 *   behind it. Everything else (commands, heartbeats, event acks) is handled in its own arrival
 *   order without waiting for them: an unlock command is not kept behind a snapshot.
 * - `whenEmpty` runs something once every message received so far has been handled.
 *
 * A handler that throws is reported to `onError` and the next message is handled as usual.
 */
export interface MessageInboxOptions<T> {
  handle(item: T): void;
  onError(err: unknown, item: T): void;
}

interface Ordered<T> {
  item: T;
  settled: boolean;
}

export class MessageInbox<T> {
  private readonly unordered: T[] = [];
  private readonly ordered: Array<Ordered<T>> = [];
  private readonly idle: Array<() => void> = [];
  private scheduled = false;

  constructor(private readonly options: MessageInboxOptions<T>) {}

  /** Handled on a later turn, before any sync message that is waiting. */
  push(item: T): void {
    this.unordered.push(item);
    this.schedule();
  }

  /**
   * Handled on a later turn, after the sync messages pushed before it, and not before `pending`
   * settles (it must not reject: the caller keeps its outcome with the item).
   */
  pushOrdered(item: T, pending?: Promise<void>): void {
    const entry: Ordered<T> = { item, settled: pending === undefined };
    this.ordered.push(entry);
    if (pending === undefined) this.schedule();
    else {
      void pending.then(() => {
        entry.settled = true;
        this.schedule();
      });
    }
  }

  /** Runs `run` on a later turn, once every message received so far has been handled. */
  whenEmpty(run: () => void): void {
    this.idle.push(run);
    if (this.empty) setImmediate(() => this.runIdle());
  }

  private get empty(): boolean {
    return this.unordered.length === 0 && this.ordered.length === 0;
  }

  private ready(): boolean {
    return this.unordered.length > 0 || this.ordered[0]?.settled === true;
  }

  private schedule(): void {
    if (this.scheduled || !this.ready()) return;
    this.scheduled = true;
    setImmediate(() => this.next());
  }

  private next(): void {
    this.scheduled = false;
    const item = this.unordered.length > 0 ? this.unordered.shift()! : this.ordered[0]?.settled === true ? this.ordered.shift()!.item : undefined;
    if (item !== undefined) {
      try {
        this.options.handle(item);
      } catch (err) {
        this.options.onError(err, item);
      }
    }
    if (this.empty) this.runIdle();
    else this.schedule();
  }

  private runIdle(): void {
    if (!this.empty) return; // next() runs them when the last message is handled
    const runs = this.idle.splice(0);
    for (const run of runs) run();
  }
}

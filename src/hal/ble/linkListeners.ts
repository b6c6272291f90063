/**
 * The listeners of one BleLink, as both adapters keep them: values per characteristic, and the
 * close listeners, each called once.
 */
export class LinkListeners {
  private readonly receivers = new Map<string, Set<(value: Uint8Array) => void>>();
  private readonly closers = new Set<(reason: string) => void>();

  /** ByteChannel.onReceive for characteristic `uuid` */
  onReceive(uuid: string, listener: (value: Uint8Array) => void): () => void {
    let set = this.receivers.get(uuid);
    if (!set) this.receivers.set(uuid, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** the receivers of `uuid` now (a listener may unsubscribe while it is called) */
  receiversOf(uuid: string): Array<(value: Uint8Array) => void> {
    return [...(this.receivers.get(uuid) ?? [])];
  }

  /** BleLink.onClose: on a link that is closed already, `listener` hears 'closed' on a microtask */
  onClose(closed: boolean, listener: (reason: string) => void): () => void {
    if (closed) {
      queueMicrotask(() => listener('closed'));
      return () => undefined;
    }
    this.closers.add(listener);
    return () => this.closers.delete(listener);
  }

  /** the close listeners, each handed out once */
  takeClosers(): Array<(reason: string) => void> {
    const listeners = [...this.closers];
    this.closers.clear();
    return listeners;
  }
}

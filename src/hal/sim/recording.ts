/**
 * What a simulated device was asked to do, oldest first, bounded so a demo daemon that runs for
 * weeks does not grow without limit: past `limit` entries the oldest are dropped and counted.
 */
export class Recording<T> {
  private items: T[] = [];
  private droppedCount = 0;

  constructor(private readonly limit: number) {}

  add(entry: T): void {
    this.items.push(entry);
    while (this.items.length > this.limit) {
      this.items.shift();
      this.droppedCount++;
    }
  }

  /** a copy: changing it does not change the device */
  entries(): T[] {
    return [...this.items];
  }

  /** entries dropped because the recording was full */
  dropped(): number {
    return this.droppedCount;
  }

  clear(): void {
    this.items = [];
    this.droppedCount = 0;
  }
}

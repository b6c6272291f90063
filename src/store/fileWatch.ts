/**
 * Notices the database file disappearing or being replaced under a running gateway: SQLite keeps
 * writing to the open (now nameless) inode, and everything written since would be lost at the
 * next start. Compares the path's device and inode with those of the file opened, every
 * `intervalMs` on the injected Clock, and calls `onLost` once (then stops checking). It also
 * remembers the -wal and -shm the handle had open, so they can be told from files put there since.
 */
import { statSync } from 'node:fs';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { companions } from './storeFiles.js';

export interface FileIdentity {
  dev: number;
  ino: number;
}

/** The device and inode at `path`, or null when nothing is there. Other errors propagate. */
export function fileIdentity(path: string): FileIdentity | null {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export type FileLoss = 'missing' | 'replaced';

export class FileWatch {
  readonly name = 'database file watch';
  private timer: TimerHandle | null = null;
  private opened: FileIdentity | null = null;
  private companionsOpened: Array<[string, FileIdentity]> = [];

  constructor(
    private readonly path: string,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly onLost: (loss: FileLoss) => void,
  ) {}

  /** Takes the identity of the file now at the path (the one just opened) and starts checking. */
  async start(): Promise<void> {
    this.opened = fileIdentity(this.path);
    this.companionsOpened = [];
    for (const file of companions(this.path).slice(1)) {
      const id = fileIdentity(file);
      if (id !== null) this.companionsOpened.push([file, id]);
    }
    this.arm();
  }

  async stop(): Promise<void> {
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The -wal and -shm files that were there at start(), the open handle's own, still under their names now. */
  ownCompanions(): string[] {
    return this.companionsOpened.filter(([file, id]) => {
      const now = fileIdentity(file);
      return now !== null && now.dev === id.dev && now.ino === id.ino;
    }).map(([file]) => file);
  }

  /** One check now; returns what it found. */
  check(): FileLoss | null {
    let now: FileIdentity | null;
    try {
      now = fileIdentity(this.path);
    } catch {
      return null; // an unreadable directory says nothing about the file: check again next time
    }
    if (now === null) return 'missing';
    if (this.opened !== null && (now.dev !== this.opened.dev || now.ino !== this.opened.ino)) return 'replaced';
    return null;
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      const loss = this.check();
      if (loss === null) return this.arm();
      this.onLost(loss);
    }, this.intervalMs);
  }
}

/**
 * The metrics as a file for node_exporter's textfile collector: written at start and then every
 * `intervalMs` (the injected Clock's timers), atomically — a temp file in the same directory
 * (a dot name not ending in .prom, which the collector skips) renamed over the target.
 *
 * The file's first line is a marker naming the gateway. A file the gateway did not write is never
 * overwritten: start() rejects (GatewayError UNAVAILABLE naming `metrics.textfile`) when the path
 * holds anything but a regular file that starts with this gateway's marker. stop() waits for a
 * write under way and removes the file (still ours), so a stopped gateway leaves no values that
 * look live; a killed one leaves its last file (alert on node_textfile_mtime_seconds).
 */
import { EventEmitter } from 'node:events';
import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { Exposition } from './metricsServer.js';

const FIELD = 'metrics.textfile';
const MARKER_PREFIX = '# lockgw metrics textfile of gateway ';
const MARKER_SUFFIX = ': replaced while lockgw runs, removed when it stops';

/** The first line of every file this gateway writes. */
export function textfileMarker(gatewayId: string): string {
  return `${MARKER_PREFIX}${gatewayId}${MARKER_SUFFIX}`;
}

export interface MetricsTextfileOptions {
  path: string;
  intervalMs: number;
  gatewayId: string;
  exposition: Pick<Exposition, 'text'>;
  clock: Clock;
  logger: Logger;
}

export type MetricsTextfileEvents = {
  /** a file was renamed into place */
  written: [{ at: number; bytes: number }];
  /** a periodic write failed (logged; the next interval tries again) */
  failed: [unknown];
};

/** The first line of a file, at most 512 bytes of it. */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0]!;
  } finally {
    closeSync(fd);
  }
}

function refused(message: string, hint: string, cause?: unknown): GatewayError {
  return new GatewayError('UNAVAILABLE', `${FIELD}: ${message}`, { field: FIELD, hint }, cause === undefined ? undefined : { cause });
}

export class MetricsTextfile extends EventEmitter<MetricsTextfileEvents> {
  private timer: TimerHandle | null = null;
  private writing: Promise<void> | null = null;
  private running = false;
  private readonly log: Logger;
  private readonly marker: string;
  private readonly temp: string;

  constructor(private readonly options: MetricsTextfileOptions) {
    super();
    this.log = options.logger.child({ module: 'metrics:textfile' });
    this.marker = textfileMarker(options.gatewayId);
    this.temp = join(dirname(options.path), `.${basename(options.path)}.${process.pid}.tmp`);
  }

  /** Checks the path is free or ours, writes the file once (a failure rejects), then every intervalMs. */
  async start(): Promise<void> {
    if (this.running) return;
    this.checkOwnership();
    try {
      await this.write();
    } catch (err) {
      throw refused(`cannot write ${this.options.path}: ${(err as Error).message}`, 'the daemon\'s user needs write access to that directory (docs/metrics.md)', err);
    }
    this.running = true;
    this.schedule();
    this.log.info({ file: this.options.path, intervalMs: this.options.intervalMs }, `metrics written to ${this.options.path}`);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.writing;
    try {
      if (this.isOurs()) await rm(this.options.path, { force: true });
    } catch (err) {
      this.log.warn({ err, file: this.options.path }, 'could not remove the metrics textfile');
    }
  }

  /** The next write, due intervalMs from now whatever the writes take; one skipped while the last is still under way. */
  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      this.schedule();
      if (this.writing !== null) return;
      // settled before the event, so a listener sees no write under way
      this.writing = this.write().then(
        (written) => {
          this.writing = null;
          this.emit('written', written);
        },
        (err: unknown) => {
          this.writing = null;
          this.log.error({ err, file: this.options.path }, `could not write the metrics textfile: ${(err as Error).message}`);
          this.emit('failed', err);
        },
      );
    }, this.options.intervalMs);
  }

  private async write(): Promise<{ at: number; bytes: number }> {
    const body = `${this.marker}\n${await this.options.exposition.text()}`;
    try {
      await writeFile(this.temp, body, { mode: 0o644, flag: 'wx' });
      // readable by node_exporter's user whatever the daemon's umask (the unit's UMask=0077)
      await chmod(this.temp, 0o644);
      await rename(this.temp, this.options.path);
    } catch (err) {
      // a half-written temp file of ours would block every later write ('wx'); one that was
      // there before (EEXIST) is not ours, and stays
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await rm(this.temp, { force: true });
      throw err;
    }
    return { at: this.options.clock.now(), bytes: Buffer.byteLength(body) };
  }

  private isOurs(): boolean {
    try {
      return lstatSync(this.options.path).isFile() && firstLine(this.options.path) === this.marker;
    } catch {
      return false;
    }
  }

  /** Throws unless the path is free, or a regular file this gateway wrote. */
  private checkOwnership(): void {
    const { path } = this.options;
    const dir = dirname(path);
    try {
      if (!lstatSync(dir).isDirectory()) throw refused(`${dir} is not a directory`, 'point metrics.textfile into node_exporter\'s --collector.textfile.directory');
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw refused(`the directory ${dir} does not exist`, 'create it (node_exporter\'s --collector.textfile.directory) or point metrics.textfile into it', err);
    }
    let stat;
    try {
      stat = lstatSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw refused(`cannot check ${path}: ${(err as Error).message}`, 'the daemon\'s user needs access to that directory', err);
    }
    const other = 'move that file away or choose another metrics.textfile; lockgw never overwrites a file it did not write';
    if (!stat.isFile()) throw refused(`${path} exists and is not a regular file`, other);
    let line: string;
    try {
      line = firstLine(path);
    } catch (err) {
      throw refused(`cannot read ${path} to check it is lockgw's: ${(err as Error).message}`, other, err);
    }
    if (line === this.marker) return;
    if (line.startsWith(MARKER_PREFIX)) {
      const end = line.lastIndexOf(MARKER_SUFFIX);
      const owner = line.slice(MARKER_PREFIX.length, end < 0 ? undefined : end);
      throw refused(`${path} is written by another gateway (${owner})`, 'give each gateway its own metrics.textfile');
    }
    throw refused(`${path} exists and was not written by lockgw`, other);
  }
}

/**
 * Snapshot chunks on their way to a complete snapshot (stateSync.ts): assembled
 * (snapshotAssembly.ts) and handed to the target as they arrive. A snapshot whose chunks stop
 * coming gets a request for the missing ones every chunkTimeoutMs; after CHUNK_RETRIES of them it
 * is given up and a whole new one asked for. Chunks of the last snapshots assembled may be
 * redelivered (QoS 1) and are ignored. Runs on the injected clock.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { ChunkOperations, HeldSnapshotChunk } from '../wire/heldOperations.js';
import type { SnapshotChunk, SyncRequest } from '../wire/messages.js';
import { SnapshotAssembly, type CompleteSnapshot, type MissingChunks } from './snapshotAssembly.js';

/** Chunk requests before a silent snapshot is given up and a whole new one asked for. */
const CHUNK_RETRIES = 3;

/** The snapshots assembled lately whose redelivered chunks are ignored. */
const COMPLETED_KEPT = 8;

export interface SnapshotReceptionOptions {
  clock: Clock;
  log: Logger;
  maxOperations: number;
  chunkTimeoutMs: number;
  /** where chunks go as they arrive (the rules worker); without stageChunk they are kept here */
  target: {
    stageChunk?(snapshotId: string, chunkIndex: number, operations: ChunkOperations): void;
    dropChunks?(snapshotId: string): void;
  };
  /** asks the cloud for chunks or a whole snapshot (reason incomplete_snapshot) */
  request: (want: SyncRequest['want'], detail?: string) => void;
}

export class SnapshotReception {
  private readonly assembly: SnapshotAssembly;
  private readonly completed: string[] = [];
  private timer: TimerHandle | null = null;
  private retries = 0;

  constructor(private readonly options: SnapshotReceptionOptions) {
    this.assembly = new SnapshotAssembly(options.maxOperations, options.target.stageChunk === undefined);
  }

  /** The snapshot this chunk completes, or null (incomplete, a repeat, or refused and asked for again). */
  add(chunk: SnapshotChunk | HeldSnapshotChunk, jti: string): CompleteSnapshot | null {
    if (this.completed.includes(chunk.snapshotId)) return null;
    const result = this.assembly.add(chunk, jti);
    const { target, log } = this.options;
    if (result.kind === 'incomplete' || result.kind === 'complete') {
      if (result.replaced !== undefined) target.dropChunks?.(result.replaced);
      target.stageChunk?.(chunk.snapshotId, chunk.chunkIndex, chunk.operations);
    } else if (result.kind === 'refused') {
      target.dropChunks?.(chunk.snapshotId);
      if (result.replaced !== undefined) target.dropChunks?.(result.replaced);
    }
    switch (result.kind) {
      case 'ignored':
        log.debug({ snapshotId: chunk.snapshotId, chunk: chunk.chunkIndex }, result.detail);
        return null;
      case 'refused':
        log.warn({ snapshotId: chunk.snapshotId }, result.detail);
        this.cancelTimer();
        this.options.request({ kind: 'snapshot' }, result.detail);
        return null;
      case 'incomplete':
        this.retries = 0;
        this.armTimer();
        return null;
      case 'complete':
        this.completed.push(chunk.snapshotId);
        if (this.completed.length > COMPLETED_KEPT) this.completed.shift();
        this.cancelTimer();
        return result.snapshot;
    }
  }

  /** The snapshot in progress and the chunks it lacks; null when none is. */
  missing(): MissingChunks | null {
    return this.assembly.missing();
  }

  stop(): void {
    this.cancelTimer();
  }

  private armTimer(): void {
    this.cancelTimer();
    this.timer = this.options.clock.setTimeout(() => this.onTimeout(), this.options.chunkTimeoutMs);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private onTimeout(): void {
    this.timer = null;
    const missing = this.assembly.missing();
    if (missing === null) return;
    this.retries += 1;
    if (this.retries > CHUNK_RETRIES) {
      this.assembly.clear();
      // the chunks handed over so far (rules worker: in memory and in its scratch file) go too
      this.options.target.dropChunks?.(missing.snapshotId);
      this.options.request({ kind: 'snapshot' }, `snapshot ${missing.snapshotId} still lacks ${missing.chunks.length} chunk(s) after ${CHUNK_RETRIES} requests`);
      return;
    }
    this.options.request({ kind: 'chunks', ...missing });
    this.armTimer();
  }
}

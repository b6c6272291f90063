/**
 * GPIO lines read through the libgpiod command-line tools (Debian package `gpiod`) as child
 * processes: the GPIO character device without a native binding, never the deprecated sysfs
 * interface. The tools' generation (1.6 or 2.x, whose options and output differ: gpiodCli.ts)
 * is detected once from `gpiomon --version`; a failed detection is tried again on the next
 * attempt (the package may be installed meanwhile). Each watch runs its own gpioget/gpiomon
 * (gpiodToolWatch.ts); closing it kills them.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { parseVersion, unstartableReason, type VersionOutcome } from './gpiodCli.js';
import { GpiodToolWatch } from './gpiodToolWatch.js';
import { describeLine, type GpioLineSource, type GpioLineSpec, type GpioLineWatch } from './gpioLineSource.js';
import { startTool } from './toolProcess.js';

export interface GpiodToolLineSourceOptions {
  clock: Clock;
  logger: Logger;
  /** the tools to run: names looked up on the PATH, or paths. Default `gpioget` and `gpiomon` */
  commands?: { gpioget?: string; gpiomon?: string };
  /** the first retry after a failure; doubles up to maxBackoffMs. Default 1000 */
  backoffMs?: number;
  /** Default 30000 */
  maxBackoffMs?: number;
  /** a reader that ran this long before it failed retries after backoffMs again. Default 60000 */
  stableMs?: number;
  /** SIGTERM, then SIGKILL after this. Default 2000 */
  killTimeoutMs?: number;
  /** `gpiomon --version` must answer within this. Default 5000 */
  versionTimeoutMs?: number;
}

export class GpiodToolLineSource implements GpioLineSource {
  readonly #options: GpiodToolLineSourceOptions;
  readonly #log: Logger;
  #version: Promise<VersionOutcome> | null = null;

  constructor(options: GpiodToolLineSourceOptions) {
    this.#options = options;
    this.#log = options.logger.child({ module: 'hal:gpio' });
  }

  watch(spec: GpioLineSpec): GpioLineWatch {
    const o = this.#options;
    const watch = new GpiodToolWatch(spec, {
      clock: o.clock,
      log: this.#log.child({ line: describeLine(spec) }),
      gpioget: o.commands?.gpioget ?? 'gpioget',
      gpiomon: o.commands?.gpiomon ?? 'gpiomon',
      detectVersion: () => this.detectVersion(),
      backoffMs: o.backoffMs ?? 1000,
      maxBackoffMs: o.maxBackoffMs ?? 30_000,
      stableMs: o.stableMs ?? 60_000,
      killTimeoutMs: o.killTimeoutMs ?? 2000,
    });
    watch.begin();
    return watch;
  }

  /** The tools' version; remembered once known, asked again after a failure. */
  detectVersion(): Promise<VersionOutcome> {
    this.#version ??= this.#askVersion().then((outcome) => {
      if (!outcome.ok) this.#version = null;
      else this.#log.info({ libgpiod: outcome.version.text }, 'libgpiod tools found');
      return outcome;
    });
    return this.#version;
  }

  async #askVersion(): Promise<VersionOutcome> {
    const o = this.#options;
    const command = o.commands?.gpiomon ?? 'gpiomon';
    const lines: string[] = [];
    const tool = startTool({ command, args: ['--version'], clock: o.clock, killTimeoutMs: o.killTimeoutMs, onLine: (l) => lines.push(l) });
    let timedOut = false;
    const limit = o.versionTimeoutMs ?? 5000;
    const guard = o.clock.setTimeout(() => {
      timedOut = true;
      void tool.kill();
    }, limit);
    const end = await tool.ended;
    o.clock.clearTimeout(guard);
    if (end.kind === 'unstartable') return { ok: false, reason: unstartableReason(command, end.errno) };
    if (timedOut) return { ok: false, reason: `${command} --version did not answer within ${limit} ms` };
    if (end.code !== 0) return { ok: false, reason: `${command} --version failed (exit ${end.code ?? end.signal})` };
    return parseVersion(lines.join('\n'));
  }
}

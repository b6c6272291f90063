/**
 * What the libgpiod command-line tools take and print, for the two generations in the field:
 * libgpiod 1.6 (Debian bookworm, Raspberry Pi OS) and 2.x (Debian trixie). Pure functions; the
 * process handling is in gpiodToolWatch.ts. The tools' output is never trusted: every parser
 * returns an explicit outcome and the caller drops what did not parse.
 *
 *   1.6: gpioget [-B bias] <chip> <offset>            prints `0` | `1`
 *        gpiomon -b -F '%o %e' [-B bias] <chip> <offset>
 *                                                      prints `<offset> <0 falling | 1 rising>`
 *   2.x: gpioget --numeric -c <chip> [-b bias] <offset>  prints `0` | `1`
 *        gpiomon --banner -F '%o %e' -c <chip> [-b bias] [-p <ms>ms] <offset>
 *                   prints `Monitoring line '<offset>'...` once the line is held, then
 *                   `<offset> <1 rising | 2 falling>`
 * 1.6 has no kernel debounce and spells the bias `disable`; 2.x has no `as-is` word (leaving
 * the bias out means as-is). Neither tool reads the level when gpiomon starts, hence gpioget
 * first (a line cannot be read while gpiomon holds it).
 */
import type { GpioBias } from './gpioConfig.js';
import { describeLine, type GpioLineSpec } from './gpioLineSource.js';

export type GpiodMajor = 1 | 2;

export interface GpiodVersion {
  major: GpiodMajor;
  /** as the tool printed it, e.g. v1.6.3 */
  text: string;
}

export type VersionOutcome = { ok: true; version: GpiodVersion } | { ok: false; reason: string };

/** `gpiomon --version` prints `gpiomon (libgpiod) v1.6.3` (or v2.2.1) first. */
export function parseVersion(stdout: string): VersionOutcome {
  const first = (stdout.split('\n')[0] ?? '').trim();
  const match = /^\S+ \(libgpiod\) (v(\d+)\.\d+(?:\.\d+)?\S*)$/.exec(first);
  if (!match) return { ok: false, reason: `gpiomon --version printed '${printable(first)}', not a libgpiod version` };
  const major = Number(match[2]);
  if (major !== 1 && major !== 2) return { ok: false, reason: `libgpiod ${match[1]} is not supported (1.x and 2.x are)` };
  return { ok: true, version: { major, text: match[1]! } };
}

function biasArgs(major: GpiodMajor, bias: GpioBias): string[] {
  if (bias === 'as-is') return [];
  if (major === 1) return ['-B', bias === 'disabled' ? 'disable' : bias];
  return ['-b', bias];
}

export function gpiogetArgs(major: GpiodMajor, spec: GpioLineSpec): string[] {
  const line = String(spec.line);
  if (major === 1) return [...biasArgs(1, spec.bias), spec.chip, line];
  return ['--numeric', '-c', spec.chip, ...biasArgs(2, spec.bias), line];
}

export function gpiomonArgs(major: GpiodMajor, spec: GpioLineSpec): string[] {
  const line = String(spec.line);
  if (major === 1) return ['-b', '-F', '%o %e', ...biasArgs(1, spec.bias), spec.chip, line];
  const debounce = spec.debounceMs > 0 ? ['-p', `${spec.debounceMs}ms`] : [];
  return ['--banner', '-F', '%o %e', '-c', spec.chip, ...biasArgs(2, spec.bias), ...debounce, line];
}

/** gpioget's one line: the physical level, or null when it is anything but `0` or `1`. */
export function parseLevel(line: string): boolean | null {
  const text = line.trim();
  return text === '1' ? true : text === '0' ? false : null;
}

export type MonitorLine = { kind: 'edge'; high: boolean } | { kind: 'banner' } | { kind: 'malformed' };

/** One line of gpiomon's output for the line at `offset`. */
export function parseMonitorLine(major: GpiodMajor, line: string, offset: number): MonitorLine {
  if (major === 2 && line === `Monitoring line '${offset}'...`) return { kind: 'banner' };
  const match = /^(\d{1,4}) (\d)$/.exec(line);
  if (!match || Number(match[1]) !== offset) return { kind: 'malformed' };
  const type = match[2];
  if (major === 1 && (type === '0' || type === '1')) return { kind: 'edge', high: type === '1' };
  if (major === 2 && (type === '1' || type === '2')) return { kind: 'edge', high: type === '1' };
  return { kind: 'malformed' };
}

/** A tool that could not be run at all (spawn's errno). */
export function unstartableReason(command: string, errno: string): string {
  if (errno === 'ENOENT') return `${command} not found: apt install gpiod`;
  if (errno === 'EACCES') return `${command} is not executable`;
  return `${command} could not be started (${errno})`;
}

/** Why a tool ended, from its exit and the last line it wrote to stderr. */
export function exitReason(tool: 'gpioget' | 'gpiomon', spec: GpioLineSpec, exit: { code: number | null; signal: string | null; stderr: string }): string {
  const name = spec.chip.replace(/^\/dev\//, '');
  const said = lastLine(exit.stderr);
  const text = said.toLowerCase();
  if (/cannot find gpio chip|no such file or directory|no such device/.test(text)) return `${name} not found: no such GPIO chip (gpiodetect lists them)`;
  if (/out of range|cannot find line|invalid argument/.test(text)) return `${describeLine(spec)} does not exist (gpioinfo ${name} lists the lines)`;
  if (/device or resource busy/.test(text)) return `${describeLine(spec)} is busy: another program holds it (gpioinfo ${name} names it)`;
  if (/permission denied|operation not permitted/.test(text)) return `no permission to open ${spec.chip}: add the lockgw user to the gpio group`;
  const how = exit.signal ? `was killed (${exit.signal})` : `exited (code ${exit.code})`;
  return said ? `${tool} ${how}: ${said}` : `${tool} ${how}`;
}

function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return printable(lines[lines.length - 1] ?? '');
}

/** A tool's words, safe to put into a reason: control characters dropped, at most 160 characters. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '');
  return clean.length > 160 ? `${clean.slice(0, 157)}...` : clean;
}

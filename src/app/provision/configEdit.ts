/**
 * The configuration file as `lockgw provision` edits it: a YAML document (comments and order
 * kept), changed only where asked, each change listed (secrets masked), the result validated as
 * the daemon would load it before anything is written, then written with mode 0600 through a
 * temporary file and a rename. The previous file is kept beside it (`<file>.before-provision-<stamp>`).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { GatewayError } from '../../kernel/gatewayError.js';
import { configWarnings, parseConfig } from '../config/loadConfig.js';
import type { GatewayConfig } from '../config/configSchema.js';

export interface ConfigChange {
  path: string;
  from: string;
  to: string;
}

const SECRET = /password|key$/i;

function show(path: string, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (SECRET.test(path) && typeof value === 'string') return '***';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export class ConfigEdit {
  readonly changes: ConfigChange[] = [];
  private readonly doc: Document;
  readonly existed: boolean;

  private constructor(readonly file: string, text: string | null) {
    this.existed = text !== null;
    this.doc = parseDocument(text ?? '', { prettyErrors: true });
    if (this.doc.errors.length > 0) throw new GatewayError('CONFIG_INVALID', `${file}: ${this.doc.errors[0]!.message}`, { field: 'config' });
  }

  /** Opens the file (or an empty document when it does not exist yet). */
  static open(file: string): ConfigEdit {
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new GatewayError('CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, { field: 'config' }, { cause: err });
    }
    return new ConfigEdit(file, text);
  }

  get(path: readonly string[]): unknown {
    const node = this.doc.getIn(path, true);
    if (node === undefined) return undefined;
    return isMap(node) || isSeq(node) ? node.toJSON() : this.doc.getIn(path);
  }

  /** Sets a value; records a change only when it differs. */
  set(path: readonly string[], value: unknown): void {
    const before = this.get(path);
    if (JSON.stringify(before) === JSON.stringify(value)) return;
    if (this.doc.contents === null) this.doc.contents = this.doc.createNode({}) as never;
    this.doc.setIn(path, value);
    this.changes.push({ path: path.join('.'), from: show(path.join('.'), before), to: show(path.join('.'), value) });
  }

  /** The result, validated as the daemon loads it (CONFIG_INVALID naming the key), with its warnings. */
  validate(): { config: GatewayConfig; warnings: string[] } {
    const config = parseConfig(this.doc.toJS({ maxAliasCount: 100 }), this.file);
    return { config, warnings: configWarnings(config) };
  }

  /** Writes the document (mode 0600), keeping the previous file beside it. Returns where that went, if anywhere. */
  write(now: Date): string | null {
    this.validate();
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o755 });
    let kept: string | null = null;
    if (existsSync(this.file)) {
      kept = `${this.file}.before-provision-${now.toISOString().replace(/[:.]/g, '-')}`;
      copyFileSync(this.file, kept);
      chmodSync(kept, 0o600);
    }
    const temp = `${this.file}.provision-${process.pid}.tmp`;
    writeFileSync(temp, this.doc.toString(), { mode: 0o600, flag: 'wx' });
    renameSync(temp, this.file);
    chmodSync(this.file, 0o600);
    return kept;
  }
}

/**
 * A YAML or JSON document with positions: the parsed value, and `locate(path)` → "file:line:col"
 * of the value at a path (or of its nearest ancestor that exists, for a missing field).
 *
 * JSON files are parsed with JSON.parse (a million-record site stays fast); the YAML parser,
 * which knows positions, only runs when an error has to be located. Syntax errors name the line
 * and column either way.
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { GatewayError } from '../../kernel/gatewayError.js';

export type DocPath = ReadonlyArray<string | number>;

export interface DocumentText {
  source: string;
  value: unknown;
  /**
   * "file:line:col" of the node at `path`, or of its nearest existing ancestor; `key`: of the
   * mapping key that leads to it (an unknown field is best shown by its name)
   */
  locate(path: DocPath, options?: { key?: boolean }): string;
}

/** people[3].credentials[0].pin; a list document's own index reads [3].record.pin */
export function formatPath(path: DocPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Parses with positions; `jsonError`: the JSON parser's message, to report instead of YAML's. */
function parseYaml(text: string, source: string, jsonError?: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const e = doc.errors[0];
  if (e !== undefined || jsonError !== undefined) {
    const pos = e?.linePos?.[0];
    const at = pos === undefined ? source : `${source}:${pos.line}:${pos.col}`;
    throw new GatewayError('INPUT_INVALID', `${at}: ${jsonError === undefined ? 'YAML' : 'JSON'} syntax error: ${jsonError ?? e!.message.split('\n')[0]}`, {
      hint: jsonError === undefined ? 'check indentation, colons and quotes' : 'check commas, brackets and quotes',
    });
  }
  return { doc, lines };
}

export function parseDocumentText(text: string, source: string): DocumentText {
  const isJson = /\.json$/i.test(source);
  let parsed: { doc: Document; lines: LineCounter } | null = null;
  const yaml = () => (parsed ??= parseYaml(text, source));
  let value: unknown;
  if (isJson) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      // the YAML parser finds the line and column (JSON.parse of Node 20 does not say)
      parseYaml(text, source, (err as Error).message);
    }
  } else {
    value = yaml().doc.toJS();
  }
  return {
    source,
    value,
    locate(path, options = {}) {
      const { doc, lines } = yaml();
      const at = (range: readonly number[] | null | undefined) => {
        if (!range) return undefined;
        const { line, col } = lines.linePos(range[0]!);
        return `${source}:${line}:${col}`;
      };
      if (options.key && path.length > 0) {
        const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
        const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]) : undefined;
        const found = at(isScalar(pair?.key) ? pair.key.range : undefined);
        if (found) return found;
      }
      for (let n = path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
        const found = at((node as { range?: [number, number, number] } | null | undefined)?.range);
        if (found) return found;
      }
      return source;
    },
  };
}

/** One finding of `lockgw doctor`: what was checked, how it stands, what it found, and what to do. */
export type CheckStatus = 'ok' | 'warn' | 'problem';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, hint?: string): Check => ({ name, status: 'warn', detail, ...(hint ? { hint } : {}) });
export const problem = (name: string, detail: string, hint?: string): Check => ({ name, status: 'problem', detail, ...(hint ? { hint } : {}) });

/** The doctor's lines: `name  detail`, a WARNING/PROBLEM prefix when it is one, the hint below. */
export function checkLines(checks: readonly Check[]): string[] {
  const width = Math.max(12, ...checks.map((c) => c.name.length));
  const lines: string[] = [];
  for (const c of checks) {
    const tag = c.status === 'problem' ? 'PROBLEM: ' : c.status === 'warn' ? 'WARNING: ' : '';
    lines.push(`${c.name.padEnd(width)} ${tag}${c.detail}`);
    if (c.hint) lines.push(`${' '.repeat(width)} hint: ${c.hint}`);
  }
  return lines;
}

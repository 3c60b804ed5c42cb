// How configuration problems are collected and reported: every problem is one
// line `FILE:LINE:COL: key.path: what is wrong — what to do`, all of them are
// reported at once, and the same data stays available to code as `problems`.

import { AgentError } from '../errors.ts';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface ConfigProblem {
  /** Dotted key path (`routing.table`, `pools.lan.cidrs[1]`); '' for the whole file. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  /** `what is wrong — what to do`, without file, position or path. */
  readonly message: string;
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.column ?? 1}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

export class ConfigError extends AgentError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];
  constructor(
    code: 'CONFIG_READ' | 'CONFIG_SYNTAX' | 'CONFIG_INVALID',
    file: string,
    problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(code, problems.map((p) => formatProblem(file, p)).join('\n'), options);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

/** Collects problems and warnings during one pass over a file. */
export class Findings {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];

  error(path: string, at: Position | undefined, message: string): void {
    this.problems.push(at ? { path, line: at.line, column: at.column, message } : { path, message });
  }

  warn(path: string, at: Position | undefined, message: string): void {
    this.warnings.push(at ? { path, line: at.line, column: at.column, message } : { path, message });
  }
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `name`, if it is close enough to be a typo:
 * case and `-`/`_` are ignored, then at most a third of the letters may differ
 * (at least 2, so short names still match one transposition), or one name
 * starts with the other ("warning" → "warn").
 */
export function closest(name: string, known: Iterable<string>): string | undefined {
  const fold = (s: string) => s.toLowerCase().replaceAll('-', '_');
  const wanted = fold(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const known = fold(candidate);
    const prefix = Math.min(known.length, wanted.length) >= 3 && (known.startsWith(wanted) || wanted.startsWith(known));
    const d = prefix ? 1 : levenshtein(wanted, known);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return bestDistance <= limit ? best : undefined;
}

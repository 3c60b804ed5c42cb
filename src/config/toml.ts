// TOML text → a tree of values that remember where they were written and which
// TOML type they had. The `toml` package's own `parse` loses both (1.0 and 1
// come out the same; no positions), and precise messages need both.

import parser, { type TomlAstNode } from 'toml/lib/parser.js';
import compiler from 'toml/lib/compiler.js';
import { ConfigError, type Position } from './problems.ts';

export type TomlValue =
  | (Position & { readonly kind: 'string'; readonly value: string })
  | (Position & { readonly kind: 'integer'; readonly value: number })
  | (Position & { readonly kind: 'float'; readonly value: number })
  | (Position & { readonly kind: 'boolean'; readonly value: boolean })
  | (Position & { readonly kind: 'datetime'; readonly value: string })
  | (Position & { readonly kind: 'array'; readonly items: readonly TomlValue[] })
  | TomlTable;

export interface TomlTable extends Position {
  readonly kind: 'table';
  /** In file order; each entry with the position of its key (or table header). */
  readonly entries: Map<string, TomlEntry>;
}

export interface TomlEntry extends Position {
  readonly value: TomlValue;
}

/** How a TOML value is named in messages: `string "10"`, `integer 10`, `a table`. */
export function describeValue(v: TomlValue): string {
  switch (v.kind) {
    case 'string':
      return `string ${JSON.stringify(v.value)}`;
    case 'integer':
      return `integer ${v.value}`;
    case 'float':
      return `float ${Number.isInteger(v.value) ? v.value.toFixed(1) : v.value}`;
    case 'boolean':
      return `boolean ${v.value}`;
    case 'datetime':
      return `date-time ${v.value}`;
    case 'array':
      return 'an array';
    case 'table':
      return 'a table';
  }
}

/** Parses TOML 0.4 text; a syntax error throws a ConfigError CONFIG_SYNTAX. */
export function parseToml(text: string, file: string): TomlTable {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let nodes: TomlAstNode[];
  try {
    nodes = parser.parse(source);
    // The compiler enforces TOML's rules (no key defined twice, arrays of one
    // type); the tree below is built only from input it accepted.
    compiler.compile(nodes);
  } catch (e) {
    throw syntaxError(e, source, file);
  }
  return buildTree(nodes);
}

function syntaxError(e: unknown, source: string, file: string): ConfigError {
  const err = e as { message?: string; line?: unknown; column?: unknown };
  const line = typeof err.line === 'number' ? err.line : undefined;
  const column = typeof err.column === 'number' ? err.column : undefined;
  let message = `TOML syntax: ${String(err.message ?? e).replace(/\.$/, '')}`;
  const text = line === undefined ? '' : (source.split(/\r?\n/)[line - 1] ?? '');
  if (/^\s*[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+\s*=/.test(text)) {
    message += ' — dotted keys (TOML 1.0) are not supported: write the [section] header, then `key = value` below it';
  } else {
    message += ' — fix the TOML at this position';
  }
  const problem = line === undefined ? { path: '', message } : { path: '', line, column: column ?? 1, message };
  return new ConfigError('CONFIG_SYNTAX', file, [problem], { cause: e });
}

function newTable(at: Position): TomlTable & { entries: Map<string, TomlEntry> } {
  return { kind: 'table', entries: new Map(), line: at.line, column: at.column };
}

function buildTree(nodes: readonly TomlAstNode[]): TomlTable {
  const root = newTable({ line: 1, column: 1 });
  let current = root;
  for (const node of nodes) {
    const at = { line: node.line, column: node.column };
    if (node.type === 'ObjectPath') {
      current = descend(root, node.value as string[], at);
    } else if (node.type === 'ArrayPath') {
      const path = node.value as string[];
      const parent = descend(root, path.slice(0, -1), at);
      const key = path[path.length - 1]!;
      const table = newTable(at);
      const existing = parent.entries.get(key);
      if (existing?.value.kind === 'array') {
        (existing.value.items as TomlValue[]).push(table);
      } else {
        parent.entries.set(key, { ...at, value: { kind: 'array', items: [table], ...at } });
      }
      current = table;
    } else if (node.type === 'Assign') {
      current.entries.set(node.key!, { ...at, value: convert(node.value as TomlAstNode) });
    }
  }
  return root;
}

/** The table at `path` below `from`, created where missing (TOML's implicit tables). */
function descend(from: TomlTable, path: readonly string[], at: Position): TomlTable {
  let table = from;
  for (const key of path) {
    let entry = table.entries.get(key);
    if (!entry) {
      entry = { ...at, value: newTable(at) };
      table.entries.set(key, entry);
    }
    const v = entry.value;
    if (v.kind === 'table') table = v;
    else if (v.kind === 'array' && v.items.at(-1)?.kind === 'table') table = v.items.at(-1) as TomlTable;
    else break; // unreachable: the compiler rejected this redefinition
  }
  return table;
}

function convert(node: TomlAstNode): TomlValue {
  const at = { line: node.line, column: node.column };
  switch (node.type) {
    case 'String':
      return { kind: 'string', value: node.value as string, ...at };
    case 'Integer':
      return { kind: 'integer', value: node.value as number, ...at };
    case 'Float':
      return { kind: 'float', value: node.value as number, ...at };
    case 'Boolean':
      return { kind: 'boolean', value: node.value as boolean, ...at };
    case 'Date': {
      const d = node.value as Date;
      return { kind: 'datetime', value: Number.isNaN(d.getTime()) ? String(d) : d.toISOString(), ...at };
    }
    case 'Array':
      return { kind: 'array', items: (node.value as TomlAstNode[]).map(convert), ...at };
    case 'InlineTable': {
      const table = newTable(at);
      for (const item of node.value as TomlAstNode[]) {
        table.entries.set(item.key!, { line: item.line, column: item.column, value: convert(item.value as TomlAstNode) });
      }
      return table;
    }
    default:
      throw new Error(`unknown TOML node type ${node.type}`);
  }
}

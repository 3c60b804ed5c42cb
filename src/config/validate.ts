// Reads the TOML tree against the schema: every known key through its type,
// every absent key from its default, every unknown name reported with the
// nearest known one. One pass; all problems are collected, none thrown.

import { join } from 'node:path';
import { dnsLabelProblem } from './names.ts';
import { closest, type Findings, type Position } from './problems.ts';
import { POOLS_SECTION, poolSpec, sectionNames, sections, type SectionSpec, type TomlDefault } from './schema.ts';
import { describeValue, type TomlEntry, type TomlTable, type TomlValue } from './toml.ts';
import type { Config, Pool } from './types.ts';

/** What the cross-checks need to know besides the values. */
export interface ReadContext {
  readonly findings: Findings;
  /** Where a key (`routing.table`), an array item (`pools.a.cidrs[0]`) or a section header was written. */
  readonly positions: ReadonlyMap<string, Position>;
  /** Paths whose written value was refused (the config holds the default there). */
  readonly invalid: ReadonlySet<string>;
}

const NOWHERE: Position = { line: 0, column: 0 };

function defaultValue(d: TomlDefault): TomlValue {
  if (typeof d === 'string') return { kind: 'string', value: d, ...NOWHERE };
  if (typeof d === 'boolean') return { kind: 'boolean', value: d, ...NOWHERE };
  if (typeof d === 'number') return { kind: Number.isInteger(d) ? 'integer' : 'float', value: d, ...NOWHERE };
  return { kind: 'array', items: d.map((s) => defaultValue(s)), ...NOWHERE };
}

class Reader {
  readonly positions = new Map<string, Position>();
  readonly invalid = new Set<string>();
  readonly findings: Findings;

  constructor(findings: Findings) {
    this.findings = findings;
  }

  /** Reads one section (or one pool) into an object of typed fields. */
  section<S>(spec: SectionSpec<S>, table: TomlTable | undefined, path: string, knownElsewhere: (key: string) => string | undefined): S {
    const out: Record<string, unknown> = {};
    const byKey = new Map(Object.entries<SectionSpec<S>['keys'][keyof S]>(spec.keys).map(([field, k]) => [k.key, field]));
    for (const [key, entry] of table?.entries ?? []) {
      if (byKey.has(key)) continue;
      const near = closest(key, byKey.keys());
      const elsewhere = knownElsewhere(key);
      const hint = near ? `did you mean ${near}?` : elsewhere ? `${key} belongs in ${elsewhere}` : `known keys: ${[...byKey.keys()].join(', ')}`;
      this.findings.error(`${path}.${key}`, entry, `unknown key — ${hint}`);
    }
    for (const [field, k] of Object.entries<SectionSpec<S>['keys'][keyof S]>(spec.keys)) {
      const keyPath = `${path}.${k.key}`;
      const entry = table?.entries.get(k.key);
      if (entry) this.positions.set(keyPath, entry);
      // An absent key's default is only checked for required keys (a pool's
      // cidrs); its problem is placed at the table's header.
      const fallback = entry ?? table;
      let ok = true;
      const report = (message: string, at?: Position) => {
        ok = false;
        const where = at && at.line > 0 ? at : entry ? entry.value : fallback;
        this.findings.error(keyPath, where, message);
      };
      if (entry?.value.kind === 'array') {
        for (const [i, item] of entry.value.items.entries()) this.positions.set(`${keyPath}[${i}]`, item);
      }
      let value = k.type.read(entry?.value ?? defaultValue(k.default), report);
      if (!ok || value === undefined) {
        this.invalid.add(keyPath);
        value = k.type.read(defaultValue(k.default), () => {});
      }
      out[field] = value;
    }
    return out as S;
  }
}

function keyOwners(): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [name, spec] of Object.entries(sections)) {
    for (const k of Object.values<{ key: string }>(spec.keys)) owners.set(k.key, owners.has(k.key) ? `${owners.get(k.key)} or [${name}]` : `[${name}]`);
  }
  for (const k of Object.values<{ key: string }>(poolSpec.keys)) owners.set(k.key, `[${POOLS_SECTION}.<name>]`);
  return owners;
}

function asTable(entry: TomlEntry | undefined, path: string, header: string, findings: Findings): TomlTable | undefined {
  if (!entry) return undefined;
  if (entry.value.kind === 'table') return entry.value;
  findings.error(path, entry, `expected a table, got ${describeValue(entry.value)} — write a ${header} header and the keys below it`);
  return undefined;
}

function readPools(entry: TomlEntry | undefined, reader: Reader, owners: Map<string, string>): Pool[] {
  const findings = reader.findings;
  const table = asTable(entry, POOLS_SECTION, '[pools.<name>]', findings);
  const pools: Pool[] = [];
  for (const [name, poolEntry] of table?.entries ?? []) {
    const path = `${POOLS_SECTION}.${name}`;
    if (poolEntry.value.kind !== 'table') {
      const inPool = Object.values(poolSpec.keys).some((k) => k.key === name);
      findings.error(
        path,
        poolEntry,
        inPool
          ? `${name} is a key of one pool — write a [pools.<name>] header, such as [pools.default], above it`
          : `expected a pool table [pools.${name}], got ${describeValue(poolEntry.value)} — write [pools.${name}] and the pool's keys below it`,
      );
      continue;
    }
    reader.positions.set(path, poolEntry);
    const bad = dnsLabelProblem(name);
    if (bad) findings.error(path, poolEntry, `pool name ${bad}`);
    const pool = reader.section(poolSpec, poolEntry.value, path, (key) => owners.get(key));
    pools.push({ name, ...pool });
  }
  return pools;
}

/** Reads the whole document; problems go to `findings`, the result is complete either way. */
export function readConfigTree(root: TomlTable, findings: Findings): { config: Config; context: ReadContext } {
  const reader = new Reader(findings);
  const owners = keyOwners();
  for (const [name, entry] of root.entries) {
    if (sectionNames.includes(name)) continue;
    if (entry.value.kind === 'table') {
      const near = closest(name, sectionNames);
      findings.error(name, entry, `unknown section [${name}] — ${near ? `did you mean [${near}]?` : `known sections: ${sectionNames.join(', ')}`}`);
    } else {
      const owner = owners.get(name);
      const near = closest(name, sectionNames);
      const hint = owner ? `keys belong in a section: write it below ${owner}` : near ? `did you mean [${near}]?` : 'keys belong in a section';
      findings.error(name, entry, `unknown top-level key — ${hint}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries<SectionSpec<object>>(sections)) {
    const entry = root.entries.get(name);
    const table = asTable(entry, name, `[${name}]`, findings);
    if (entry) reader.positions.set(name, entry);
    out[name] = reader.section(spec, table, name, (key) => owners.get(key));
  }
  out[POOLS_SECTION] = readPools(root.entries.get(POOLS_SECTION), reader, owners);
  const state = out.state as { directory: string; addonDirectory: string };
  out.state = { ...state, addonDirectory: state.addonDirectory || join(state.directory, 'addons') };
  return { config: out as unknown as Config, context: reader };
}

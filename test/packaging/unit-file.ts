// A small reader of systemd unit files: sections of keys, each key with all of
// its values in order (systemd lets most list settings repeat).

import { readFileSync } from 'node:fs';

export type Unit = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

export function readUnit(path: string): Unit {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = pending + raw.trim();
    pending = '';
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1) + ' ';
      continue;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq < 0) throw new Error(`${path}: cannot read line: ${line}`);
    const key = line.slice(0, eq).trim();
    const values = current.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    current.set(key, values);
  }
  return sections;
}

/** All values of a key; an empty assignment resets the list, as in systemd. */
export function values(unit: Unit, section: string, key: string): string[] {
  const all = unit.get(section)?.get(key) ?? [];
  const last = all.lastIndexOf('');
  return all.slice(last + 1);
}

/** The space-separated words of all values of a key. */
export function words(unit: Unit, section: string, key: string): string[] {
  return values(unit, section, key).flatMap((v) => v.split(/\s+/).filter((w) => w !== ''));
}

/** The effective (last) value of a single-valued key. */
export function value(unit: Unit, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}

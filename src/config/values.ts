// The kinds of value a key can hold. Each knows how to read a TOML value,
// what to say when the value is wrong, and how to describe itself in the docs.

import { parseCidr, type Cidr } from './cidr.ts';
import { parseDuration, formatDuration } from './duration.ts';
import { closest, type Position } from './problems.ts';
import { parseSelector, type LabelSelector } from './selector.ts';
import { describeValue, type TomlValue } from './toml.ts';
import type { ListenAddress } from './types.ts';

/** Reports one problem with the value being read (at the value, unless `at` says otherwise). */
export type Report = (message: string, at?: Position) => void;

export interface ValueType<T> {
  /** For messages: `expected ${expected}, got …`. */
  readonly expected: string;
  /** For the docs: what may be written. */
  readonly allowed: string;
  /** The typed value; after reporting a problem, undefined or a stand-in the reader may keep. */
  read(v: TomlValue, report: Report): T | undefined;
}

function wrongType(expected: string, v: TomlValue, hint: string): string {
  return `expected ${expected}, got ${describeValue(v)} — ${hint}`;
}

export function boolean(): ValueType<boolean> {
  const expected = 'a boolean';
  return {
    expected,
    allowed: 'true or false',
    read(v, report) {
      if (v.kind === 'boolean') return v.value;
      const hint = v.kind === 'string' && /^(true|false)$/.test(v.value) ? `write ${v.value} without quotes` : 'write true or false';
      report(wrongType(expected, v, hint));
      return undefined;
    },
  };
}

interface IntegerOptions {
  readonly min: number;
  readonly max: number;
  /** Values inside min..max that are still refused, with the reason. */
  readonly refuse?: (n: number) => string | undefined;
  readonly allowed?: string;
}

export function integer(o: IntegerOptions): ValueType<number> {
  const expected = 'an integer';
  const range = `${o.min}..${o.max}`;
  return {
    expected,
    allowed: o.allowed ?? `an integer, ${range}`,
    read(v, report) {
      if (v.kind !== 'integer') {
        const hint = v.kind === 'string' && /^-?\d+$/.test(v.value) ? `write ${v.value} without quotes` : `write a whole number in ${range}`;
        report(wrongType(expected, v, hint));
        return undefined;
      }
      if (!Number.isSafeInteger(v.value) || v.value < o.min || v.value > o.max) {
        report(`${v.value} is out of range — use ${range}`);
        return undefined;
      }
      const refused = o.refuse?.(v.value);
      if (refused) {
        report(refused);
        return undefined;
      }
      return v.value;
    },
  };
}

/** A real number in (minExclusive, max]; integers are accepted as numbers. */
export function fraction(o: { readonly minExclusive: number; readonly max: number }): ValueType<number> {
  const expected = 'a number';
  const range = `greater than ${o.minExclusive} and at most ${o.max}`;
  return {
    expected,
    allowed: `a number ${range}`,
    read(v, report) {
      if (v.kind !== 'float' && v.kind !== 'integer') {
        const hint = v.kind === 'string' && /^[\d.]+$/.test(v.value) ? `write ${v.value} without quotes` : `write a number ${range}`;
        report(wrongType(expected, v, hint));
        return undefined;
      }
      if (!(v.value > o.minExclusive && v.value <= o.max)) {
        report(`${v.value} is out of range — use a number ${range}`);
        return undefined;
      }
      return v.value;
    },
  };
}

/** A string, optionally checked: `check` returns what is wrong and what to do. */
export function string(o: { readonly allowed: string; readonly check?: (s: string) => string | undefined }): ValueType<string> {
  const expected = 'a string';
  return {
    expected,
    allowed: o.allowed,
    read(v, report) {
      if (v.kind !== 'string') {
        report(wrongType(expected, v, `write it in double quotes`));
        return undefined;
      }
      const problem = o.check?.(v.value);
      if (problem) {
        report(problem);
        return undefined;
      }
      return v.value;
    },
  };
}

export function oneOf<const T extends string>(choices: readonly T[]): ValueType<T> {
  const list = choices.map((c) => JSON.stringify(c)).join(', ');
  const expected = `one of ${list}`;
  return {
    expected,
    allowed: choices.map((c) => JSON.stringify(c)).join(' | '),
    read(v, report) {
      if (v.kind !== 'string') {
        report(wrongType(expected, v, `write one of them in double quotes`));
        return undefined;
      }
      if ((choices as readonly string[]).includes(v.value)) return v.value as T;
      const near = closest(v.value, choices);
      report(`${JSON.stringify(v.value)} is not ${expected} — ${near ? `did you mean ${JSON.stringify(near)}?` : 'use one of them'}`);
      return undefined;
    },
  };
}

export function duration(o: { readonly min: number; readonly max?: number }): ValueType<number> {
  const expected = 'a duration string';
  const limits = o.max === undefined ? `at least ${formatDuration(o.min)}` : `${formatDuration(o.min)}..${formatDuration(o.max)}`;
  return {
    expected,
    allowed: `a duration, ${limits}`,
    read(v, report) {
      if (v.kind !== 'string') {
        const hint = v.kind === 'integer' ? `write it with a unit, such as "${v.value}s"` : 'write a number and a unit, such as "10s"';
        report(wrongType(expected, v, hint));
        return undefined;
      }
      const d = parseDuration(v.value);
      if (!d.ok) {
        report(d.message);
        return undefined;
      }
      if (d.ms < o.min || (o.max !== undefined && d.ms > o.max)) {
        report(`${JSON.stringify(v.value)} is out of range — use ${limits}`);
        return undefined;
      }
      return d.ms;
    },
  };
}

/** A list of CIDRs; each bad item is reported at its own position. */
export function cidrList(o: { readonly nonEmpty: boolean }): ValueType<readonly Cidr[]> {
  const expected = 'an array of CIDR strings';
  return {
    expected,
    allowed: 'an array of IPv4 and IPv6 CIDRs, such as ["192.0.2.0/24", "2001:db8:1::/64"]',
    read(v, report) {
      if (v.kind !== 'array') {
        const hint = v.kind === 'string' ? `write it in brackets: [${JSON.stringify(v.value)}]` : 'write ["192.0.2.0/24"]';
        report(wrongType(expected, v, hint));
        return undefined;
      }
      if (o.nonEmpty && v.items.length === 0) {
        report('no CIDRs — list at least one, such as ["192.0.2.0/24"]');
        return []; // the stand-in the reader keeps after this report
      }
      const out: Cidr[] = [];
      let ok = true;
      for (const [i, item] of v.items.entries()) {
        if (item.kind !== 'string') {
          report(`item ${i + 1}: ${wrongType('a CIDR string', item, 'write it in double quotes')}`, item);
          ok = false;
          continue;
        }
        const c = parseCidr(item.value);
        if (c.ok) out.push(c.cidr);
        else {
          report(c.message, item);
          ok = false;
        }
      }
      return ok ? out : undefined;
    },
  };
}

export function selector(): ValueType<LabelSelector> {
  const expected = 'a label selector string';
  return {
    expected,
    allowed: 'a Kubernetes label selector, such as "role=edge,zone in (a,b),!maintenance"; "" = any node',
    read(v, report) {
      if (v.kind !== 'string') {
        report(wrongType(expected, v, 'write it in double quotes, such as "role=edge"'));
        return undefined;
      }
      const s = parseSelector(v.value);
      if (!s.ok) {
        report(s.message);
        return undefined;
      }
      return s.selector;
    },
  };
}

const HOSTNAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

/** Why `text` is not a `host:port` to listen on, or the address. */
export function parseListen(text: string): { ok: true; listen: ListenAddress } | { ok: false; message: string } {
  const fail = (why: string) => ({ ok: false as const, message: `${JSON.stringify(text)} ${why}` });
  const m = text.match(/^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/);
  if (!m) {
    if ((text.match(/:/g) ?? []).length > 1 && !text.startsWith('[')) {
      return fail('looks like an IPv6 address without brackets — write it as [::1]:20244');
    }
    return fail('is not host:port — write an address and a port, such as "127.0.0.1:20244" or "[::1]:20244"; "" disables HTTP');
  }
  const port = Number(m[3]);
  if (!/^[1-9]\d{0,4}$/.test(m[3]!) || port > 65535) return fail(`has port ${m[3]} — use a port in 1..65535`);
  if (m[1] !== undefined) {
    if (!/^[0-9a-fA-F:.]+$/.test(m[1]) || !m[1].includes(':')) return fail(`has ${JSON.stringify(m[1])} in brackets, which is not an IPv6 address — write it as [::1]:20244`);
    return { ok: true, listen: { host: m[1], port } };
  }
  const host = m[2]!;
  if (host === '') return fail('has no host — write 0.0.0.0 (all IPv4) or [::] (all addresses) to listen everywhere');
  if (/^[\d.]+$/.test(host) ? !/^(\d{1,3}\.){3}\d{1,3}$/.test(host) || host.split('.').some((o) => Number(o) > 255) : !HOSTNAME.test(host)) {
    return fail(`has host ${JSON.stringify(host)}, which is neither an IPv4 address nor a host name`);
  }
  return { ok: true, listen: { host, port } };
}

export function listen(): ValueType<ListenAddress | null> {
  const expected = 'a "host:port" string';
  return {
    expected,
    allowed: '"host:port", with an IPv6 address in brackets ("[::1]:20244"); "" disables HTTP',
    read(v, report) {
      if (v.kind !== 'string') {
        const hint = v.kind === 'integer' ? `write "127.0.0.1:${v.value}"` : 'write it in double quotes, such as "127.0.0.1:20244"';
        report(wrongType(expected, v, hint));
        return undefined;
      }
      if (v.value === '') return null;
      const l = parseListen(v.value);
      if (!l.ok) {
        report(l.message);
        return undefined;
      }
      return l.listen;
    },
  };
}

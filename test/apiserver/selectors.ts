// Label and field selectors as the apiserver parses them from `labelSelector`
// and `fieldSelector`: equality, inequality, set-based (`in`, `notin`) and
// existence requirements, comma-separated and ANDed.

import { errors } from './status.ts';
import type { KubeObject } from './store.ts';

type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'eq' | 'ne'; value: string }
  | { key: string; op: 'in' | 'notin'; values: Set<string> };

export type Matcher = (obj: KubeObject) => boolean;

const keyRe = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, whole: string): void {
  if (!keyRe.test(key)) throw errors.badRequest(`unable to parse requirement: <nil>: Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (in ${JSON.stringify(whole)})`);
}
function checkValue(v: string): void {
  if (!valueRe.test(v)) throw errors.badRequest(`unable to parse requirement: values[0][${v}]: Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
}

export function parseLabelSelector(selector: string | null | undefined): Matcher | undefined {
  if (!selector || !selector.trim()) return undefined;
  const reqs: LabelRequirement[] = [];
  for (const part of splitTopLevel(selector)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*(\S+)$/))) {
      checkKey(m[1]!, part);
      reqs.push({ key: m[1]!, op: 'notexists' });
    } else if ((m = part.match(/^(\S+?)\s*(==|!=|=)\s*(\S*)$/))) {
      checkKey(m[1]!, part);
      checkValue(m[3]!);
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? 'ne' : 'eq', value: m[3]! });
    } else if ((m = part.match(/^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      checkKey(m[1]!, part);
      const values = m[3]!.split(',').map((v) => v.trim());
      values.forEach(checkValue);
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values: new Set(values) });
    } else if ((m = part.match(/^(\S+)$/))) {
      checkKey(m[1]!, part);
      reqs.push({ key: m[1]!, op: 'exists' });
    } else {
      throw errors.badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return (obj) => {
    const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
    return reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'exists':
          return has;
        case 'notexists':
          return !has;
        case 'eq':
          return has && v === r.value;
        case 'ne':
          return !has || v !== r.value;
        case 'in':
          return has && r.values.has(v!);
        case 'notin':
          return !has || !r.values.has(v!);
      }
    });
  };
}

/** The value a field label has on an object, as the registry's field set gives it. */
function fieldValue(obj: KubeObject, label: string): string {
  switch (label) {
    case 'metadata.name':
      return obj.metadata?.name ?? '';
    case 'metadata.namespace':
      return obj.metadata?.namespace ?? '';
    case 'status.phase':
      return String((obj.status as { phase?: string } | undefined)?.phase ?? '');
    case 'spec.unschedulable':
      return String(Boolean((obj.spec as { unschedulable?: boolean } | undefined)?.unschedulable));
    case 'source': {
      // Events: source.component, else reportingController (core's reportingComponent).
      const e = obj as { source?: { component?: string }; reportingComponent?: string };
      return e.source?.component || e.reportingComponent || '';
    }
    default:
      if (label.startsWith('involvedObject.')) return String((obj as { involvedObject?: Record<string, unknown> }).involvedObject?.[label.slice('involvedObject.'.length)] ?? '');
      if (label === 'reason' || label === 'reportingComponent' || label === 'type') return String((obj as Record<string, unknown>)[label] ?? '');
      return '';
  }
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(selector: string | null | undefined, supported: readonly string[]): Matcher | undefined {
  if (!selector || !selector.trim()) return undefined;
  const reqs: { label: string; eq: boolean; value: string }[] = [];
  for (const part of selector.split(/(?<!\\),/).map((p) => p.trim()).filter(Boolean)) {
    const m = part.match(/^([^=!]+?)\s*(==|!=|=)\s*(.*)$/);
    if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const label = m[1]!;
    if (!supported.includes(label)) throw errors.badRequest(`field label not supported: ${label}`);
    reqs.push({ label, eq: m[2] !== '!=', value: unescapeFieldValue(m[3]!) });
  }
  return (obj) => reqs.every((r) => (fieldValue(obj, r.label) === r.value) === r.eq);
}

/** Both selectors ANDed; undefined when nothing is selected against. */
export function combine(...ms: (Matcher | undefined)[]): Matcher | undefined {
  const present = ms.filter((m): m is Matcher => m !== undefined);
  if (present.length === 0) return undefined;
  return (obj) => present.every((m) => m(obj));
}

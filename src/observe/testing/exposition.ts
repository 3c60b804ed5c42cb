// A strict reader of the Prometheus text exposition format (0.0.4) for tests:
// it throws on anything a Prometheus server would refuse — a bad name, an
// unquoted label, a sample outside its family, a family declared twice, a
// histogram whose buckets go down or whose +Inf bucket is not its count.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly samples: Sample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

// As Prometheus reads values (Go's strconv.ParseFloat): inf and nan in any
// case — prom-client writes an empty event-loop histogram's mean as "Nan".
function number(text: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${JSON.stringify(text)} in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const n = text[++j];
        value += n === 'n' ? '\n' : n === '\\' ? '\\' : n === '"' ? '"' : (() => { throw new Error(`bad escape in: ${line}`); })();
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected , between labels in: ${line}`);
  }
  return labels;
}

function familyOf(sampleName: string, families: Map<string, Family>, current: Family | undefined): Family | undefined {
  if (!current) return families.get(sampleName);
  if (sampleName === current.name) return current;
  if (current.type === 'histogram' && /_(bucket|sum|count)$/.test(sampleName) && sampleName.replace(/_(bucket|sum|count)$/, '') === current.name) return current;
  if (current.type === 'summary' && /_(sum|count)$/.test(sampleName) && sampleName.replace(/_(sum|count)$/, '') === current.name) return current;
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC.test(name)) throw new Error(`bad metric name in: ${line}`);
      let f = families.get(name);
      if (f && f !== current) throw new Error(`family ${name} declared in two places`);
      if (!f) {
        f = { name, help: '', type: 'untyped', samples: [] };
        families.set(name, f);
      }
      current = f;
      if (kind === 'HELP') f.help = rest;
      else {
        if (!TYPES.has(rest)) throw new Error(`bad type in: ${line}`);
        if (f.samples.length) throw new Error(`TYPE after samples in: ${line}`);
        f.type = rest as Family['type'];
      }
      continue;
    }
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, value] = m as unknown as [string, string, string | undefined, string];
    if (!METRIC.test(name)) throw new Error(`bad metric name in: ${line}`);
    const f = familyOf(name, families, current);
    if (!f) throw new Error(`sample ${name} outside its family (after ${current?.name})`);
    f.samples.push({ name, labels: labelText ? parseLabels(labelText, line) : {}, value: number(value, line) });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>();
  const counts = new Map<string, number>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    } else if (s.name.endsWith('_count')) counts.set(key, s.value);
  }
  for (const [key, buckets] of groups) {
    let last = -Infinity;
    let lastLe = -Infinity;
    for (const b of buckets) {
      const le = number(b.labels.le!, b.name);
      if (le <= lastLe) throw new Error(`${f.name}: buckets out of order`);
      if (b.value < last) throw new Error(`${f.name}: cumulative buckets go down`);
      last = b.value;
      lastLe = le;
    }
    if (lastLe !== Infinity) throw new Error(`${f.name}: no +Inf bucket`);
    if (counts.get(key) !== last) throw new Error(`${f.name}: +Inf bucket ${last} is not _count ${counts.get(key)}`);
  }
}

/** The value of the one sample named `name` whose labels include `labels`; throws when none or several. */
export function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const hits: Sample[] = [];
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) hits.push(s);
    }
  }
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${name} ${JSON.stringify(labels)}`);
  return hits[0]!.value;
}

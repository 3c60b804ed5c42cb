// Kubernetes label selectors as written in `node.selector` ("role=edge,
// zone in (a,b), !maintenance"), parsed once at load time into requirements
// that the planner matches against a Node's labels without parsing again.

export type SelectorRequirement =
  | { readonly key: string; readonly operator: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly operator: 'exists' | 'doesnotexist' };

export interface LabelSelector {
  /** As written; '' selects every node. */
  readonly text: string;
  readonly requirements: readonly SelectorRequirement[];
}

export type SelectorResult = { readonly ok: true; readonly selector: LabelSelector } | { readonly ok: false; readonly message: string };

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key prefix ${JSON.stringify(prefix)} must be a DNS subdomain such as example.com`;
  }
  if (name.length > 63 || !NAME.test(name)) {
    return `label key ${JSON.stringify(key)} must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  if (value === '' || (value.length <= 63 && NAME.test(value))) return undefined;
  return `label value ${JSON.stringify(value)} must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
}

/** Splits on commas that are not inside `( … )`. */
function splitTop(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth < 0 || depth > 1) return undefined;
    if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts;
}

export function parseSelector(text: string): SelectorResult {
  const fail = (why: string): SelectorResult => ({
    ok: false,
    message: `${why} — write requirements separated by commas: key=value, key!=value, key in (a,b), key notin (a,b), key, !key`,
  });
  if (text.trim() === '') return { ok: true, selector: { text, requirements: [] } };
  const parts = splitTop(text);
  if (!parts) return fail(`unbalanced parentheses in ${JSON.stringify(text)}`);
  const requirements: SelectorRequirement[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    let m: RegExpMatchArray | null;
    let requirement: SelectorRequirement;
    let values: string[] = [];
    if ((m = part.match(/^!\s*([^\s=!(),]+)$/))) {
      requirement = { key: m[1]!, operator: 'doesnotexist' };
    } else if ((m = part.match(/^([^\s=!(),]+)$/))) {
      requirement = { key: m[1]!, operator: 'exists' };
    } else if ((m = part.match(/^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/))) {
      values = [m[3]!];
      requirement = { key: m[1]!, operator: m[2] === '!=' ? 'notin' : 'in', values };
    } else if ((m = part.match(/^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      values = m[3]!.split(',').map((v) => v.trim());
      requirement = { key: m[1]!, operator: m[2] as 'in' | 'notin', values };
    } else {
      return fail(`cannot read requirement ${JSON.stringify(part)}`);
    }
    const problem = labelKeyProblem(requirement.key) ?? values.map(labelValueProblem).find((p) => p !== undefined);
    if (problem) return { ok: false, message: problem };
    requirements.push(requirement);
  }
  return { ok: true, selector: { text, requirements } };
}

/** Kubernetes semantics: `notin` and `!=` also match when the label is absent. */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.operator) {
      case 'exists':
        return has;
      case 'doesnotexist':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key]!);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]!);
    }
  });
}

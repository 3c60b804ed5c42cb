// The three patch formats kubectl and client libraries send: JSON merge patch
// (RFC 7386), Kubernetes strategic merge patch (merge keys per field, the
// `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList`
// directives), and JSON patch (RFC 6902).

import { ApiError, errors } from './status.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v) as Json;
  }
  return out;
}

/**
 * Strategic merge patch. `mergeKeys` maps a field path (`spec.ports`) to the
 * list's merge key (`port`), or to '' for a primitive list merged as a set;
 * lists without an entry are replaced whole, as `atomic` lists are.
 */
export function strategicMergePatch(target: unknown, patch: unknown, mergeKeys: Readonly<Record<string, string>>): unknown {
  return smpValue(target, patch, '', mergeKeys);
}

function smpValue(target: unknown, patch: unknown, path: string, mk: Readonly<Record<string, string>>): unknown {
  if (!isObject(patch)) return patch;
  const directive = patch['$patch'];
  if (directive === 'replace') {
    const { $patch: _, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (directive === 'delete') return undefined;
  if (directive !== undefined) throw errors.badRequest(`Unknown patch type: ${JSON.stringify(directive)} in map`);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => JSON.stringify(d) === JSON.stringify(x)));
      continue;
    }
    const childPath = path ? `${path}.${k}` : k;
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v) && Object.hasOwn(mk, childPath)) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, mk[childPath]!, childPath, mk);
      continue;
    }
    if (isObject(v)) {
      const merged = smpValue(out[k], v, childPath, mk);
      if (merged === undefined) delete out[k];
      else out[k] = merged as Json;
      continue;
    }
    out[k] = Array.isArray(v) ? (stripDirectives(v) as Json) : v;
  }
  return out;
}

function mergeList(target: Json[], patch: Json[], key: string, path: string, mk: Readonly<Record<string, string>>): Json[] {
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace')).map((p) => stripDirectives(p) as Json);
  }
  if (key === '') {
    const out = [...target];
    for (const p of patch) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(p))) out.push(p);
    return out;
  }
  const out = [...target];
  for (const p of patch) {
    if (!isObject(p)) throw errors.badRequest(`${path}: expected a map in a list merged on ${key}`);
    const idx = out.findIndex((x) => isObject(x) && x[key] === p[key]);
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = smpValue(out[idx], p, path, mk) as Json;
    else out.push(stripDirectives(p) as Json);
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(x) as Json;
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function unprocessable(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw unprocessable(`JSON pointer ${JSON.stringify(p)} does not start with /`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = Object.hasOwn(cur, t) ? cur[t] : undefined;
    else return undefined;
  }
  return cur;
}

function parentOf(doc: unknown, tokens: string[], op: string, path: string): { parent: Json[] | JsonObject; last: string } {
  const parent = getAt(doc, tokens.slice(0, -1));
  if (!Array.isArray(parent) && !isObject(parent)) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return { parent: parent as Json[] | JsonObject, last: tokens[tokens.length - 1]! };
}

export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let root = structuredClone(doc);
  for (const raw of ops as JsonPatchOp[]) {
    const tokens = parsePointer(raw.path);
    const value = structuredClone(raw.value) as Json;
    const put = (v: Json) => {
      if (tokens.length === 0) {
        root = v;
        return;
      }
      const { parent, last } = parentOf(root, tokens, raw.op, raw.path);
      if (Array.isArray(parent)) {
        const i = last === '-' ? parent.length : Number(last);
        if (!Number.isInteger(i) || i < 0 || i > parent.length) throw unprocessable(`add operation does not apply: doc is missing path: "${raw.path}": missing value`);
        parent.splice(i, 0, v);
      } else parent[last] = v;
    };
    const remove = (): Json => {
      const { parent, last } = parentOf(root, tokens, raw.op, raw.path);
      if (Array.isArray(parent)) {
        const i = Number(last);
        if (!(i >= 0 && i < parent.length)) throw unprocessable(`remove operation does not apply: doc is missing path: "${raw.path}": missing value`);
        return parent.splice(i, 1)[0]!;
      }
      if (!Object.hasOwn(parent, last)) throw unprocessable(`remove operation does not apply: doc is missing path: "${raw.path}": missing value`);
      const old = parent[last]!;
      delete parent[last];
      return old;
    };
    switch (raw.op) {
      case 'add':
        put(value);
        break;
      case 'remove':
        remove();
        break;
      case 'replace':
        if (getAt(root, tokens) === undefined) throw unprocessable(`replace operation does not apply: doc is missing key: ${raw.path}: missing value`);
        remove();
        put(value);
        break;
      case 'move': {
        const v = getAt(root, parsePointer(raw.from ?? ''));
        if (v === undefined) throw unprocessable(`move operation does not apply: doc is missing from path: ${raw.from}: missing value`);
        jsonPatchRemoveFrom(root, raw.from ?? '');
        put(v as Json);
        break;
      }
      case 'copy': {
        const v = getAt(root, parsePointer(raw.from ?? ''));
        if (v === undefined) throw unprocessable(`copy operation does not apply: doc is missing from path: ${raw.from}: missing value`);
        put(structuredClone(v) as Json);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(root, tokens)) !== JSON.stringify(raw.value)) throw unprocessable(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw unprocessable(`Unexpected kind: ${raw.op}`);
    }
  }
  return root;
}

function jsonPatchRemoveFrom(root: unknown, from: string): void {
  const tokens = parsePointer(from);
  const parent = getAt(root, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
}

// The generic registry in front of the store: get, list (with the
// resourceVersion / resourceVersionMatch / limit / continue semantics of
// the real apiserver), create, update, patch and delete with preconditions,
// optimistic concurrency, finalizers and the per-resource strategies.

import { randomBytes, randomUUID } from 'node:crypto';
import { allResources, initialNamespaces, namespaces, type ResourceDef } from './resources.ts';
import type { Matcher } from './selectors.ts';
import { canonical, clone, objectKey, type KubeObject, type Store } from './store.ts';
import { ApiError, errors, qualifiedName, statusSuccess } from './status.ts';
import { Allocator, applyDefaults, prepareForCreate, prepareForUpdate, timestamp, validate } from './strategy.ts';

export interface ListOptions {
  namespace?: string;
  match?: Matcher;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  /** Control-API write: status kept as given on create/update, no validation, finalizers ignored on delete. */
  raw?: boolean;
  subresource?: string;
  dryRun?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  /** What the HTTP answer carries: the object, or a Success Status. */
  body: Record<string, unknown>;
  /** 200 when gone, 202 when finalizers keep it. */
  code: number;
}

const tooOldList = 'The resourceVersion for the provided list is too old.';
const tooOldContinue =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** How long a read for a future resourceVersion waits before 504, as the watch cache does. */
export const tooLargeWaitMs = 3000;

export function parseResourceVersion(rv: string, what = 'resourceVersion'): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`${what}: Invalid value: ${JSON.stringify(rv)}: must be a non-negative integer`);
  return Number(rv);
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${start}\u0000` })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return { rv: t.rv, start: t.start };
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  return [...randomBytes(5)].map((b) => nameAlphabet[b % nameAlphabet.length]).join('');
}

export class Registry {
  readonly store: Store;
  readonly allocator = new Allocator();
  now: () => Date = () => new Date();

  constructor(store: Store) {
    this.store = store;
    for (const name of initialNamespaces) this.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { raw: true });
  }

  get(r: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(r, objectKey(r, namespace, name));
    if (!o) throw errors.notFound(r, name);
    return o;
  }

  async list(r: ResourceDef, o: ListOptions): Promise<ListResult> {
    const limit = o.limit && o.limit > 0 ? o.limit : 0;
    let at: number | undefined; // undefined: latest
    let start = '';
    let honourLimit = limit > 0;
    if (o.continue) {
      if (o.resourceVersion) throw errors.badRequest('specifying resource version is not allowed when using continue');
      const t = decodeContinue(o.continue);
      at = t.rv;
      start = t.start;
      if (at < this.store.compactedRevision) throw errors.expired(tooOldContinue);
    } else {
      const rv = o.resourceVersion ?? '';
      const match = o.resourceVersionMatch ?? '';
      if (match && !['Exact', 'NotOlderThan'].includes(match)) throw errors.badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`);
      if (match && !rv) throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (match === 'Exact' && rv === '0') throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
      if (rv) {
        const n = parseResourceVersion(rv);
        if (n > this.store.revision && !(await this.store.waitForRevision(n, tooLargeWaitMs))) throw errors.tooLargeResourceVersion(n, this.store.revision);
        const exact = match === 'Exact' || (match === '' && rv !== '0' && limit > 0);
        if (exact) at = n;
        // resourceVersion=0 is served from the watch cache, which ignores limit.
        if (rv === '0') honourLimit = false;
      }
    }
    const rev = at ?? this.store.revision;
    const all = at === undefined ? this.store.items(r) : this.store.itemsAt(r, at, tooOldList);
    const prefix = r.namespaced && o.namespace ? `${o.namespace}/` : '';
    const selected = all.filter(({ key, object }) => key.startsWith(prefix) && (!start || key >= start) && (!o.match || o.match(object)));
    const page = honourLimit ? selected.slice(0, limit) : selected;
    const result: ListResult = { items: page.map((x) => x.object), resourceVersion: String(rev) };
    if (honourLimit && selected.length > limit) {
      result.continue = encodeContinue(rev, page[page.length - 1]!.key);
      if (!o.match) result.remainingItemCount = selected.length - limit;
    }
    return result;
  }

  create(r: ResourceDef, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): KubeObject {
    const o = this.decoded(r, body);
    const meta = o.metadata;
    if (r.namespaced) {
      if (namespace && meta.namespace && meta.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace || meta.namespace;
    } else delete meta.namespace;
    if (meta.resourceVersion) throw errors.badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    prepareForCreate(r, o, { raw: opts.raw ?? false });
    applyDefaults(r, o, this.allocator);
    if (!opts.raw) validate(r, o);
    const key = objectKey(r, meta.namespace, meta.name ?? '');
    if (this.store.get(r, key)) throw errors.alreadyExists(r, meta.name ?? '');
    if (r.namespaced && !this.store.get(namespaces, meta.namespace!)) {
      // NamespaceLifecycle admission; control-API writes make the namespace instead.
      if (!opts.raw) throw errors.notFound(namespaces, meta.namespace!);
      if (!opts.dryRun) this.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: meta.namespace } }, { raw: true });
    }
    if (opts.dryRun) return { ...o, metadata: { ...o.metadata, resourceVersion: '' } };
    const stored = this.store.write(r, key, ordered(o)).object;
    if (r.kind === 'Service') this.allocator.reserve(stored);
    return stored;
  }

  /** PUT. Returns the stored object and whether the PUT created it. */
  update(r: ResourceDef, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): { object: KubeObject; created: boolean } {
    const o = this.decoded(r, body);
    const meta = o.metadata;
    if (meta.name !== name) throw errors.badRequest(`the name of the object (${meta.name ?? ''}) does not match the name on the URL (${name})`);
    if (r.namespaced) {
      if (namespace && meta.namespace && meta.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace || meta.namespace;
    } else delete meta.namespace;
    const key = objectKey(r, meta.namespace, name);
    const old = this.store.get(r, key);
    if (!old) {
      if (!r.allowCreateOnUpdate || opts.subresource) throw errors.notFound(r, name);
      delete meta.resourceVersion;
      return { object: this.create(r, namespace, o, opts), created: true };
    }
    if (meta.resourceVersion && meta.resourceVersion !== old.metadata.resourceVersion) throw errors.staleUpdate(r, name);
    if (meta.uid && meta.uid !== old.metadata.uid) throw errors.conflict(r, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`);
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete meta.deletionTimestamp;
    delete meta.selfLink;
    let next = prepareForUpdate(r, o, old, { raw: opts.raw ?? false, subresource: opts.subresource });
    applyDefaults(r, next, this.allocator, old);
    if (!opts.raw) validate(r, next);
    next = ordered(next);
    if (canonical(next) === canonical(old)) return { object: old, created: false }; // no-op: no new revision
    if (opts.dryRun) return { object: next, created: false };
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).length) {
      // The last finalizer is gone: the pending deletion completes (one DELETED event, as etcd has it).
      this.remove(r, key);
      return { object: old, created: false };
    }
    if (r.kind === 'Service') this.allocator.release(old);
    const stored = this.store.write(r, key, next).object;
    if (r.kind === 'Service') this.allocator.reserve(stored);
    return { object: stored, created: false };
  }

  /** PATCH: `apply` turns the current object into the patched one, then it is an update. */
  patch(r: ResourceDef, namespace: string | undefined, name: string, apply: (current: KubeObject) => unknown, opts: WriteOptions = {}): KubeObject {
    const current = this.get(r, namespace, name);
    const patched = apply(clone(current));
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw errors.badRequest('the patch produced something that is not an object');
    const p = patched as KubeObject;
    p.metadata ??= {};
    if (p.metadata.name !== name) throw errors.badRequest(`the name of the object (${p.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    return this.update(r, namespace, name, p, opts).object;
  }

  delete(r: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    const key = objectKey(r, namespace, name);
    const old = this.store.get(r, key);
    if (!old) throw errors.notFound(r, name);
    if (r === namespaces && !opts.raw && ['default', 'kube-system', 'kube-public'].includes(name))
      throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, namespaces, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== old.metadata.uid) throw errors.conflict(r, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)
      throw errors.conflict(r, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    if (!opts.raw && (old.metadata.finalizers ?? []).length) {
      if (old.metadata.deletionTimestamp || opts.dryRun) return { body: old, code: 202 };
      const marked = clone(old);
      marked.metadata.deletionTimestamp = timestamp(this.now());
      marked.metadata.deletionGracePeriodSeconds = 0;
      return { body: this.store.write(r, key, marked).object, code: 202 };
    }
    if (opts.dryRun) return { body: r.returnDeletedObject ? old : this.deletedStatus(r, old), code: 200 };
    this.remove(r, key);
    return { body: r.returnDeletedObject ? old : this.deletedStatus(r, old), code: 200 };
  }

  private remove(r: ResourceDef, key: string): void {
    if (r === namespaces) {
      // What the namespace controller would do, at once: the namespace's content goes first.
      for (const other of allResources)
        if (other.namespaced) for (const { key: k } of this.store.items(other)) if (k.startsWith(`${key}/`)) this.remove(other, k);
    }
    const e = this.store.write(r, key, undefined);
    if (r.kind === 'Service') this.allocator.release(e.object);
  }

  private deletedStatus(r: ResourceDef, o: KubeObject): Record<string, unknown> {
    const details: Record<string, unknown> = { name: o.metadata.name };
    if (r.group) details.group = r.group;
    details.kind = r.plural;
    details.uid = o.metadata.uid;
    return statusSuccess(details);
  }

  /** The object as the decoder would hand it over: kind and apiVersion checked or filled in. */
  private decoded(r: ResourceDef, body: KubeObject): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('Object \'Kind\' is missing in the request body');
    const o = clone(body);
    if (o.apiVersion !== undefined && o.apiVersion !== r.apiVersion)
      throw errors.badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${r.apiVersion})`);
    if (o.kind !== undefined && o.kind !== r.kind) throw errors.badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${r.kind})`);
    o.apiVersion = r.apiVersion;
    o.kind = r.kind;
    if (typeof o.metadata !== 'object' || o.metadata === null) o.metadata = {};
    return o;
  }
}

/** Field order as Go's structs write it: kind, apiVersion, metadata, then the rest. */
function ordered(o: KubeObject): KubeObject {
  const { kind, apiVersion, metadata, ...rest } = o;
  return { kind, apiVersion, metadata, ...rest };
}

export { ApiError, qualifiedName };

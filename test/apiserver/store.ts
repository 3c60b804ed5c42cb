// The storage layer: one global, monotonic revision counter as etcd keeps it,
// the objects of every resource keyed as etcd keys them (`ns/name`, or `name`
// for cluster-scoped ones), and a retained window of change events. Watches
// replay from that window; anything older than the window is compacted and
// answers 410 Gone, as a real apiserver does once etcd or its watch cache has
// moved on. Objects are stored deep-frozen; callers clone before changing.

import type { ResourceDef } from './resources.ts';
import { errors } from './status.ts';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly rv: number;
  readonly type: EventType;
  readonly resource: ResourceDef;
  readonly key: string;
  /** The object after the change; for DELETED, its last state carrying the deletion's revision. */
  readonly object: KubeObject;
  /** The object before the change (undefined for ADDED). */
  readonly prev: KubeObject | undefined;
}

export interface StoreOptions {
  /** The revision the counter starts at (the first write gets the next one). Default 1. */
  initialRevision?: number;
  /** How many events the window keeps before the oldest are compacted. Default 10000. */
  retainEvents?: number;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

export function clone<T>(v: T): T {
  return structuredClone(v) as T;
}

/** JSON with object keys sorted: equal for equal content, whatever order a client wrote. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

/** What survives the wire: JSON values only (undefined fields dropped). */
function jsonPure<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function objectKey(r: ResourceDef, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${namespace ?? ''}/${name}` : name;
}

export class Store {
  private rev: number;
  private compacted: number;
  private readonly events: StoreEvent[] = [];
  private readonly data = new Map<ResourceDef, Map<string, KubeObject>>();
  private readonly subscribers = new Set<(e: StoreEvent) => void>();
  private readonly revisionWaiters = new Set<() => void>();
  private retain: number;

  constructor(opts: StoreOptions = {}) {
    this.rev = opts.initialRevision ?? 1;
    this.compacted = this.rev;
    this.retain = opts.retainEvents ?? 10_000;
  }

  /** The current (latest) revision. */
  get revision(): number {
    return this.rev;
  }

  /** Events at or below this revision are gone; a watch or exact list must start at or above it. */
  get compactedRevision(): number {
    return this.compacted;
  }

  set retainEvents(n: number) {
    this.retain = n;
    this.trim();
  }

  private bucket(r: ResourceDef): Map<string, KubeObject> {
    let m = this.data.get(r);
    if (!m) this.data.set(r, (m = new Map()));
    return m;
  }

  get(r: ResourceDef, key: string): KubeObject | undefined {
    return this.data.get(r)?.get(key);
  }

  /** Current objects of a resource, sorted by key (etcd's order). */
  items(r: ResourceDef): { key: string; object: KubeObject }[] {
    return [...this.bucket(r).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, object]) => ({ key, object }));
  }

  /** The objects of a resource as they were at revision `at`; 410 if that revision is compacted. */
  itemsAt(r: ResourceDef, at: number, expiredMessage: string): { key: string; object: KubeObject }[] {
    if (at >= this.rev) return this.items(r);
    if (at < this.compacted) throw errors.expired(expiredMessage);
    const state = new Map(this.bucket(r));
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.rv <= at) break;
      if (e.resource !== r) continue;
      if (e.prev === undefined) state.delete(e.key);
      else state.set(e.key, e.prev);
    }
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, object]) => ({ key, object }));
  }

  /**
   * Writes (or, with `object` undefined, deletes) one object at the next
   * revision, records the event and tells every subscriber synchronously.
   */
  write(r: ResourceDef, key: string, object: KubeObject | undefined): StoreEvent {
    const bucket = this.bucket(r);
    const prev = bucket.get(key);
    if (object === undefined && prev === undefined) throw new Error(`store: delete of missing ${r.plural} ${key}`);
    const rv = ++this.rev;
    let stored: KubeObject;
    let type: EventType;
    if (object === undefined) {
      type = 'DELETED';
      stored = deepFreeze(jsonPure({ ...prev!, metadata: { ...prev!.metadata, resourceVersion: String(rv) } }));
      bucket.delete(key);
    } else {
      type = prev ? 'MODIFIED' : 'ADDED';
      stored = deepFreeze(jsonPure({ ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } }));
      bucket.set(key, stored);
    }
    const event: StoreEvent = Object.freeze({ rv, type, resource: r, key, object: stored, prev });
    this.events.push(event);
    this.trim();
    for (const s of [...this.subscribers]) s(event);
    this.notifyRevision();
    return event;
  }

  /** Moves the revision on without a change to any served resource (other cluster activity). */
  advance(n = 1): number {
    this.rev += n;
    this.notifyRevision();
    return this.rev;
  }

  /** Events of a resource after revision `after`; undefined when some of them are compacted. */
  since(r: ResourceDef, after: number): StoreEvent[] | undefined {
    if (after < this.compacted) return undefined;
    const out: StoreEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && this.events[i]!.rv > after; i--) {
      const e = this.events[i]!;
      if (e.resource === r) out.push(e);
    }
    return out.reverse();
  }

  /** Forgets history: revisions below `rev` (clamped to the current one) become too old. */
  compact(rev: number = this.rev): void {
    const to = Math.min(rev, this.rev);
    if (to <= this.compacted) return;
    this.compacted = to;
    let drop = 0;
    while (drop < this.events.length && this.events[drop]!.rv <= to) drop++;
    this.events.splice(0, drop);
  }

  private trim(): void {
    if (this.events.length <= this.retain) return;
    const dropped = this.events.splice(0, this.events.length - this.retain);
    this.compacted = Math.max(this.compacted, dropped[dropped.length - 1]!.rv);
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Resolves true once the revision reaches `rev`, false after `timeoutMs`. */
  waitForRevision(rev: number, timeoutMs: number): Promise<boolean> {
    if (this.rev >= rev) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (this.rev >= rev) {
          clearTimeout(timer);
          this.revisionWaiters.delete(check);
          resolve(true);
        }
      };
      const timer = setTimeout(() => {
        this.revisionWaiters.delete(check);
        resolve(false);
      }, timeoutMs);
      this.revisionWaiters.add(check);
    });
  }

  private notifyRevision(): void {
    for (const w of [...this.revisionWaiters]) w();
  }
}

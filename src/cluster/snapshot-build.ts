// Assembling a Snapshot from the views held by the informers (or read from a
// file by `plan`). Each part is built separately so the cluster view rebuilds
// only the parts whose objects changed.

import { exactCopy } from '../collections/exact-copy.ts';
import type { AgentLeaseView, EndpointSliceView, NodeView, ServiceKey, ServiceView, Snapshot } from './snapshot.ts';

export function servicesPart(views: Iterable<ServiceView>): ReadonlyMap<ServiceKey, ServiceView> {
  const m = new Map<ServiceKey, ServiceView>();
  for (const v of views) m.set(v.key, v);
  return m;
}

/** Slices grouped by their Service, each group in a stable order (by slice name). */
export function endpointSlicesPart(views: Iterable<EndpointSliceView>): ReadonlyMap<ServiceKey, readonly EndpointSliceView[]> {
  const m = new Map<ServiceKey, EndpointSliceView[]>();
  for (const v of views) {
    const group = m.get(v.service);
    if (group) group.push(v);
    else m.set(v.service, [v]);
  }
  const out = new Map<ServiceKey, readonly EndpointSliceView[]>();
  for (const [key, group] of m) {
    if (group.length > 1) group.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    out.set(key, Object.freeze(exactCopy(group)));
  }
  return out;
}

export function nodesPart(views: Iterable<NodeView>): ReadonlyMap<string, NodeView> {
  const m = new Map<string, NodeView>();
  for (const v of views) m.set(v.name, v);
  return m;
}

export function agentLeasesPart(views: Iterable<AgentLeaseView>): ReadonlyMap<string, AgentLeaseView> {
  const m = new Map<string, AgentLeaseView>();
  for (const v of views) m.set(v.node, v);
  return m;
}

export interface SnapshotParts {
  readonly synced: boolean;
  readonly services: ReadonlyMap<ServiceKey, ServiceView>;
  readonly endpointSlices: ReadonlyMap<ServiceKey, readonly EndpointSliceView[]>;
  readonly nodes: ReadonlyMap<string, NodeView>;
  readonly agentLeases: ReadonlyMap<string, AgentLeaseView>;
}

export function freezeSnapshot(parts: SnapshotParts): Snapshot {
  return Object.freeze({ ...parts });
}

/** An empty, unsynced Snapshot: what the agent sees before the first list. */
export const EMPTY_SNAPSHOT: Snapshot = freezeSnapshot({
  synced: false,
  services: new Map(),
  endpointSlices: new Map(),
  nodes: new Map(),
  agentLeases: new Map(),
});

/** Deep equality of plain frozen views (objects, arrays, primitives). */
export function sameView(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameView(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameView((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

// The cluster view: four informers (Services in all namespaces,
// EndpointSlices, Nodes, the agents' Leases) behind one frozen Snapshot and
// one "changed" signal. The agent coalesces the signals and reads one
// Snapshot per cycle.
//
// synced = every informer has completed a list. Relists and lost watches keep
// the last complete view (and synced) until the new list is whole.
//
// Lease renewals arrive every few seconds per node but matter only when they
// change which agents are alive, so a Lease change is signalled only when the
// live set changes — at the event, or when a Lease runs out, by timer.
//
// Signals name objects, not only kinds: which Services changed (a changed
// EndpointSlice names its Service by the kubernetes.io/service-name label,
// before and after the change) and which Nodes, so the agent re-plans only
// what a change touches. A list that changed something names nothing (null:
// anything may have changed). The Snapshot's parts are derived from the last
// ones with the changed objects only (LayeredMap), not rebuilt, so an event
// costs O(its objects), not O(cluster).

import { exactCopy } from '../collections/exact-copy.ts';
import type { KubernetesConfig } from '../config/index.ts';
import type { Logger } from '../system/logger.ts';
import { DEFAULT_BACKOFF_BASE_MS } from './backoff.ts';
import type { ApiConnection, ApiStatus } from './connection.ts';
import { Informer, type InformerStatus, type StoreChange } from './informer.ts';
import { liveAgents, nextExpiry } from './live-agents.ts';
import { parseAgentLease, parseEndpointSlice, parseNode, parseService } from './parse.ts';
import {
  agentLeasesPart,
  endpointSlicesPart,
  freezeSnapshot,
  nodesPart,
  servicesPart,
} from './snapshot-build.ts';
import { LayeredMap } from '../collections/layered-map.ts';
import type { AgentLeaseView, EndpointSliceView, NodeView, ServiceKey, ServiceView, Snapshot } from './snapshot.ts';

export type ClusterKind = 'services' | 'endpointSlices' | 'nodes' | 'agentLeases';

export interface ClusterChange {
  /** What changed since the last signal; all four when the view has just become synced. */
  readonly kinds: ReadonlySet<ClusterKind>;
  readonly synced: boolean;
  /**
   * The Services whose object or EndpointSlices changed since the last
   * signal (added, updated, deleted); null = any may have (the view has just
   * become synced, or a list replaced a store with different content).
   */
  readonly services: ReadonlySet<ServiceKey> | null;
  /** The Nodes whose view changed since the last signal; null = any may have. */
  readonly nodes: ReadonlySet<string> | null;
}

export interface ClusterViewStatus {
  readonly synced: boolean;
  readonly api: ApiStatus;
  readonly informers: readonly InformerStatus[];
}

/** Timings with defaults suited to production; tests shorten them. */
export interface InformerTuning {
  /** Full relist as a safety net against a missed event (a bug anywhere between etcd and us). */
  readonly relistIntervalMs: number;
  readonly watchTimeoutSeconds: readonly [number, number];
  readonly watchIdleMs: number;
  readonly pageSize: number;
  readonly backoffBaseMs: number;
}

export const DEFAULT_TUNING: InformerTuning = {
  relistIntervalMs: 10 * 60_000,
  watchTimeoutSeconds: [300, 600],
  watchIdleMs: 150_000,
  // 250 objects a page: fewer, larger pages left more RSS behind (footprint.ts).
  pageSize: 250,
  backoffBaseMs: DEFAULT_BACKOFF_BASE_MS,
};

export interface ClusterViewOptions {
  readonly api: ApiConnection;
  readonly kubernetes: KubernetesConfig;
  readonly log: Logger;
  readonly tuning?: Partial<InformerTuning>;
  readonly now?: () => number;
}

export interface ClusterView {
  start(): void;
  /**
   * The current Snapshot, the same object until something changes. Delivers
   * any change signal still pending first, so a listener has heard of every
   * change the returned Snapshot holds.
   */
  snapshot(): Snapshot;
  onChange(listener: (change: ClusterChange) => void): () => void;
  status(): ClusterViewStatus;
  /** Stops every watch; idempotent. */
  close(): Promise<void>;
}

export function createClusterView(opts: ClusterViewOptions): ClusterView {
  const tuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const now = opts.now ?? Date.now;
  const listeners = new Set<(c: ClusterChange) => void>();
  const pending = new Set<ClusterKind>();
  // Objects named by the next signal; null = any may have changed.
  let pendingServices: Set<ServiceKey> | null = new Set();
  let pendingNodes: Set<string> | null = new Set();
  let flushQueued = false;
  let wasSynced = false;
  let live = new Set<string>();
  let expiryTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | null = null;

  const signal = (kind: ClusterKind) => {
    pending.add(kind);
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(flush);
  };

  const flush = () => {
    // snapshot() may have flushed already.
    if (!flushQueued) return;
    flushQueued = false;
    if (closing) return;
    const synced = isSynced();
    let kinds: ReadonlySet<ClusterKind> = new Set(pending);
    let services: ReadonlySet<ServiceKey> | null = pendingServices;
    let nodeNames: ReadonlySet<string> | null = pendingNodes;
    pending.clear();
    pendingServices = new Set();
    pendingNodes = new Set();
    if (synced && !wasSynced) {
      kinds = new Set<ClusterKind>(['services', 'endpointSlices', 'nodes', 'agentLeases']);
      services = null;
      nodeNames = null;
      opts.log.info({ op: 'sync', ...counts() }, 'cluster view synced');
    }
    wasSynced = synced;
    const change: ClusterChange = { kinds, synced, services, nodes: nodeNames };
    for (const l of listeners) l(change);
  };

  const informer = <V>(resource: ClusterKind, path: string, parse: (o: unknown) => V | null | { problem: string }, onChange: (c: StoreChange<V> | null) => void) =>
    new Informer<V>({
      resource,
      path,
      parse,
      api: opts.api,
      log: opts.log,
      requestTimeoutMs: opts.kubernetes.requestTimeoutMs,
      backoff: { baseMs: tuning.backoffBaseMs, maxMs: opts.kubernetes.backoffMaxMs },
      relistIntervalMs: tuning.relistIntervalMs,
      watchTimeoutSeconds: tuning.watchTimeoutSeconds,
      watchIdleMs: tuning.watchIdleMs,
      pageSize: tuning.pageSize,
      onChange,
    });

  // The Snapshot's Service and EndpointSlice parts, and the changes not yet in them.
  let servicesMap = LayeredMap.empty<ServiceKey, ServiceView>();
  let slicesMap = LayeredMap.empty<ServiceKey, readonly EndpointSliceView[]>();
  let servicesAll = false;
  let slicesAll = false;
  const serviceEdits = new Map<ServiceKey, ServiceView | undefined>();
  /** Slice groups being edited: copies of the part's groups, unsorted. */
  const groupEdits = new Map<ServiceKey, EndpointSliceView[]>();

  const noteService = (key: ServiceKey) => {
    if (pendingServices) pendingServices.add(key);
  };

  const onService = (c: StoreChange<ServiceView> | null) => {
    if (c === null) {
      servicesAll = true;
      serviceEdits.clear();
      pendingServices = null;
    } else if (!servicesAll) {
      const key = (c.next ?? c.old)!.key;
      serviceEdits.set(key, c.next);
      noteService(key);
    } else {
      noteService((c.next ?? c.old)!.key);
    }
    signal('services');
  };

  const groupOf = (key: ServiceKey): EndpointSliceView[] => {
    let g = groupEdits.get(key);
    if (!g) {
      g = [...(slicesMap.get(key) ?? [])];
      groupEdits.set(key, g);
    }
    return g;
  };

  const onSlice = (c: StoreChange<EndpointSliceView> | null) => {
    if (c === null) {
      slicesAll = true;
      groupEdits.clear();
      pendingServices = null;
    } else {
      for (const v of [c.old, c.next]) if (v) noteService(v.service);
      if (!slicesAll) {
        if (c.old) {
          const g = groupOf(c.old.service);
          const i = g.findIndex((x) => x.namespace === c.old!.namespace && x.name === c.old!.name);
          if (i >= 0) g.splice(i, 1);
        }
        if (c.next) groupOf(c.next.service).push(c.next);
      }
    }
    signal('endpointSlices');
  };

  const services = informer<ServiceView>('services', '/api/v1/services', parseService, onService);
  const slices = informer<EndpointSliceView>('endpointSlices', '/apis/discovery.k8s.io/v1/endpointslices', parseEndpointSlice, onSlice);
  const nodes = informer<NodeView>('nodes', '/api/v1/nodes', parseNode, (c) => {
    if (c === null) pendingNodes = null;
    else pendingNodes?.add(c.key);
    signal('nodes');
  });
  const leases = informer<AgentLeaseView>(
    'agentLeases',
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.kubernetes.leaseNamespace)}/leases`,
    parseAgentLease,
    () => checkLiveness(),
  );
  const all = [services, slices, nodes, leases] as const;
  const isSynced = () => all.every((i) => i.listed);

  // Signals a Lease change only when the live set differs; re-arms the expiry timer.
  function checkLiveness() {
    if (closing) return;
    const t = now();
    const next = liveAgents(leases.store.values(), t);
    // Before sync every change is signalled, so that the flush sees the view become synced.
    if (!sameSet(next, live) || !wasSynced) signal('agentLeases');
    live = next;
    clearTimeout(expiryTimer);
    const at = nextExpiry(leases.store.values(), t);
    if (at !== null) {
      expiryTimer = setTimeout(checkLiveness, Math.max(1, at - now() + 1));
      expiryTimer.unref();
    }
  }

  /** Brings the Service and EndpointSlice parts up to date: the changed objects only, or whole after a list. */
  function applyEdits(): void {
    if (servicesAll) {
      servicesMap = LayeredMap.adopt(servicesPart(services.store.values()));
      servicesAll = false;
    } else if (serviceEdits.size > 0) {
      servicesMap = servicesMap.with(serviceEdits);
    }
    serviceEdits.clear();
    if (slicesAll) {
      slicesMap = LayeredMap.adopt(endpointSlicesPart(slices.store.values()));
      slicesAll = false;
    } else if (groupEdits.size > 0) {
      const changes: [ServiceKey, readonly EndpointSliceView[] | undefined][] = [];
      for (const [key, g] of groupEdits) {
        if (g.length > 1) g.sort(byName);
        changes.push([key, g.length === 0 ? undefined : Object.freeze(exactCopy(g))]);
      }
      slicesMap = slicesMap.with(changes);
    }
    groupEdits.clear();
  }

  // The Snapshot is rebuilt only when an informer's content changed, and then
  // only the parts that did.
  const cache = {
    nodes: part(nodes, nodesPart),
    leases: part(leases, agentLeasesPart),
  };
  let snap: Snapshot | null = null;
  let snapKey = '';

  function counts() {
    return { services: services.store.size, endpointSlices: slices.store.size, nodes: nodes.store.size, agentLeases: leases.store.size };
  }

  return {
    start() {
      for (const i of all) i.start();
    },
    snapshot() {
      flush();
      const synced = isSynced();
      const key = `${synced}:${all.map((i) => i.version).join(':')}`;
      if (snap && key === snapKey) return snap;
      applyEdits();
      snap = freezeSnapshot({
        synced,
        services: servicesMap,
        endpointSlices: slicesMap,
        nodes: cache.nodes(),
        agentLeases: cache.leases(),
      });
      snapKey = key;
      return snap;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status() {
      return { synced: isSynced(), api: opts.api.status(), informers: all.map((i) => i.status()) };
    },
    close() {
      closing ??= (async () => {
        clearTimeout(expiryTimer);
        listeners.clear();
        await Promise.all(all.map((i) => i.close()));
      })();
      return closing;
    },
  };
}

function byName(a: EndpointSliceView, b: EndpointSliceView): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function part<V, P>(informer: Informer<V>, build: (views: Iterable<V>) => P): () => P {
  let version = -1;
  let value: P;
  return () => {
    if (informer.version !== version) {
      value = build(informer.store.values());
      version = informer.version;
    }
    return value;
  };
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

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

import type { KubernetesConfig } from '../config/index.ts';
import type { Logger } from '../system/logger.ts';
import { DEFAULT_BACKOFF_BASE_MS } from './backoff.ts';
import type { ApiConnection, ApiStatus } from './connection.ts';
import { Informer, type InformerStatus } from './informer.ts';
import { liveAgents, nextExpiry } from './live-agents.ts';
import { parseAgentLease, parseEndpointSlice, parseNode, parseService } from './parse.ts';
import {
  agentLeasesPart,
  endpointSlicesPart,
  freezeSnapshot,
  nodesPart,
  servicesPart,
} from './snapshot-build.ts';
import type { AgentLeaseView, EndpointSliceView, NodeView, ServiceView, Snapshot } from './snapshot.ts';

export type ClusterKind = 'services' | 'endpointSlices' | 'nodes' | 'agentLeases';

export interface ClusterChange {
  /** What changed since the last signal; all four when the view has just become synced. */
  readonly kinds: ReadonlySet<ClusterKind>;
  readonly synced: boolean;
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
  /** The current Snapshot, the same object until something changes. */
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
    flushQueued = false;
    if (closing) return;
    const synced = isSynced();
    let kinds: ReadonlySet<ClusterKind> = new Set(pending);
    pending.clear();
    if (synced && !wasSynced) {
      kinds = new Set<ClusterKind>(['services', 'endpointSlices', 'nodes', 'agentLeases']);
      opts.log.info({ op: 'sync', ...counts() }, 'cluster view synced');
    }
    wasSynced = synced;
    const change: ClusterChange = { kinds, synced };
    for (const l of listeners) l(change);
  };

  const informer = <V>(resource: ClusterKind, path: string, parse: (o: unknown) => V | null | { problem: string }, onChange: () => void) =>
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

  const services = informer<ServiceView>('services', '/api/v1/services', parseService, () => signal('services'));
  const slices = informer<EndpointSliceView>('endpointSlices', '/apis/discovery.k8s.io/v1/endpointslices', parseEndpointSlice, () =>
    signal('endpointSlices'),
  );
  const nodes = informer<NodeView>('nodes', '/api/v1/nodes', parseNode, () => signal('nodes'));
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

  // The Snapshot is rebuilt only when an informer's content changed, and then
  // only the parts that did.
  const cache = {
    services: part(services, servicesPart),
    slices: part(slices, endpointSlicesPart),
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
      const synced = isSynced();
      const key = `${synced}:${all.map((i) => i.version).join(':')}`;
      if (snap && key === snapKey) return snap;
      snap = freezeSnapshot({
        synced,
        services: cache.services(),
        endpointSlices: cache.slices(),
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

// Kubernetes objects (as decoded JSON) → the frozen views of snapshot.ts.
// The informers and `kube-lb-agent plan` share these functions, so a file
// given to `plan` is read exactly as the agent reads the API.
//
// Each function keeps only what the planner needs and copies it out, so the
// decoded object can be dropped at once (memory at 10,000 Services). Fields
// the API server always defaults are defaulted the same way here; anything a
// real server would have rejected is a ParseProblem for that object alone.

import { exactCopy } from '../collections/exact-copy.ts';
import type {
  AgentLeaseView,
  ConditionStatus,
  EndpointSliceView,
  EndpointView,
  LoadBalancerIngress,
  NodeView,
  ServiceType,
  ServiceView,
} from './snapshot.ts';

/** Name prefix of the agents' Leases: `kube-lb-agent-<node>`. */
export const AGENT_LEASE_PREFIX = 'kube-lb-agent-';

/** What is wrong with one object; the object is skipped, nothing else is affected. */
export interface ParseProblem {
  readonly problem: string;
}

/** A view, `null` for an object that is fine but not ours to read, or a problem. */
export type Parsed<V> = V | null | ParseProblem;

export function isProblem<V>(p: Parsed<V>): p is ParseProblem {
  return p !== null && typeof p === 'object' && 'problem' in p && Object.keys(p).length === 1;
}

// One shared instance of each empty value: most Services have no external
// IPs and none of our annotations; 10,000 copies of [] and {} add up.
const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_RECORD: Readonly<Record<string, string>> = Object.freeze({});
const frozenList = <T>(a: T[]): readonly T[] => (a.length === 0 ? EMPTY_LIST : Object.freeze(exactCopy(a)));

const SERVICE_TYPES: ReadonlySet<string> = new Set(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
const ADDRESS_TYPES: ReadonlySet<string> = new Set(['IPv4', 'IPv6', 'FQDN']);
const ANNOTATION_PREFIXES = ['kube-lb-agent.io/', 'kube-router.io/'];
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function parseService(obj: unknown): Parsed<ServiceView> {
  const meta = metadataOf(obj);
  if (typeof meta === 'string') return { problem: meta };
  if (meta.namespace === '') return { problem: 'Service without metadata.namespace' };
  const o = obj as Record<string, unknown>;
  const spec = record(o.spec);
  const status = record(record(o.status).loadBalancer);

  const type = spec.type === undefined || spec.type === null ? 'ClusterIP' : spec.type;
  if (typeof type !== 'string' || !SERVICE_TYPES.has(type)) return { problem: `spec.type ${JSON.stringify(type)} is not a Service type` };
  const etp = spec.externalTrafficPolicy;
  // The API defaults it to Cluster; "Local" is the only other value.
  const externalTrafficPolicy = etp === 'Local' ? 'Local' : 'Cluster';
  const internalTrafficPolicy = spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
  const lbClass = typeof spec.loadBalancerClass === 'string' && spec.loadBalancerClass !== '' ? spec.loadBalancerClass : null;

  const ingress: LoadBalancerIngress[] = [];
  for (const item of array(status.ingress)) {
    const ing = record(item);
    // Hostname-only entries (cloud load balancers) have nothing to route.
    if (typeof ing.ip !== 'string' || ing.ip === '') continue;
    ingress.push(Object.freeze({ ip: ing.ip, ipMode: ipMode(ing.ipMode) }));
  }

  const clusterIPs = strings(spec.clusterIPs);
  if (clusterIPs.length === 0 && typeof spec.clusterIP === 'string') clusterIPs.push(spec.clusterIP);

  return Object.freeze({
    key: `${meta.namespace}/${meta.name}`,
    namespace: meta.namespace,
    name: meta.name,
    type: type as ServiceType,
    loadBalancerClass: lbClass,
    externalTrafficPolicy,
    internalTrafficPolicy,
    ingress: frozenList(ingress),
    externalIPs: frozenList(strings(spec.externalIPs)),
    clusterIPs: frozenList(clusterIPs.filter((ip) => ip !== 'None' && ip !== '')),
    annotations: ourAnnotations(record(record(o.metadata).annotations)),
  });
}

// "VIP" is the default; "Proxy" means the load balancer delivers to the nodes
// itself. A mode this code does not know is read as Proxy: announcing an IP
// whose meaning we cannot tell would draw traffic the operator did not plan.
function ipMode(v: unknown): LoadBalancerIngress['ipMode'] {
  if (v === undefined || v === null) return null;
  return v === 'VIP' ? 'VIP' : 'Proxy';
}

export function parseEndpointSlice(obj: unknown): Parsed<EndpointSliceView> {
  const meta = metadataOf(obj);
  if (typeof meta === 'string') return { problem: meta };
  if (meta.namespace === '') return { problem: 'EndpointSlice without metadata.namespace' };
  const o = obj as Record<string, unknown>;
  const owner = record(record(o.metadata).labels)[SERVICE_NAME_LABEL];
  // Slices not managed for a Service (no label) belong to nothing we announce.
  if (typeof owner !== 'string' || owner === '') return null;
  const addressType = o.addressType;
  if (typeof addressType !== 'string' || !ADDRESS_TYPES.has(addressType)) {
    return { problem: `addressType ${JSON.stringify(addressType)} is not IPv4, IPv6 or FQDN` };
  }
  const endpoints: EndpointView[] = [];
  for (const item of array(o.endpoints)) {
    const ep = record(item);
    const cond = record(ep.conditions);
    endpoints.push(
      Object.freeze({
        nodeName: typeof ep.nodeName === 'string' && ep.nodeName !== '' ? intern(ep.nodeName) : null,
        ready: bool(cond.ready),
        serving: bool(cond.serving),
        terminating: bool(cond.terminating),
      }),
    );
  }
  return Object.freeze({
    namespace: meta.namespace,
    name: meta.name,
    service: intern(`${meta.namespace}/${owner}`),
    addressType: addressType as EndpointSliceView['addressType'],
    endpoints: frozenList(endpoints),
  });
}

export function parseNode(obj: unknown): Parsed<NodeView> {
  const meta = metadataOf(obj);
  if (typeof meta === 'string') return { problem: meta };
  const o = obj as Record<string, unknown>;
  let ready: ConditionStatus = 'Unknown';
  let networkUnavailable: ConditionStatus = 'Unknown';
  for (const item of array(record(o.status).conditions)) {
    const c = record(item);
    if (c.type === 'Ready') ready = conditionStatus(c.status);
    else if (c.type === 'NetworkUnavailable') networkUnavailable = conditionStatus(c.status);
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(record(o.metadata).labels))) {
    if (typeof v === 'string') labels[k] = v;
  }
  return Object.freeze({ name: intern(meta.name), labels: Object.freeze(labels), ready, networkUnavailable });
}

/** Only Leases named `kube-lb-agent-<node>` are agents' Leases; others give null. */
export function parseAgentLease(obj: unknown): Parsed<AgentLeaseView> {
  const meta = metadataOf(obj);
  if (typeof meta === 'string') return { problem: meta };
  if (!meta.name.startsWith(AGENT_LEASE_PREFIX) || meta.name.length === AGENT_LEASE_PREFIX.length) return null;
  const spec = record((obj as Record<string, unknown>).spec);
  const holder = typeof spec.holderIdentity === 'string' && spec.holderIdentity !== '' ? spec.holderIdentity : null;
  const renew = typeof spec.renewTime === 'string' ? Date.parse(spec.renewTime) : NaN;
  const duration = spec.leaseDurationSeconds;
  return Object.freeze({
    node: intern(meta.name.slice(AGENT_LEASE_PREFIX.length)),
    holder,
    renewTimeMs: Number.isFinite(renew) ? renew : null,
    durationSeconds: typeof duration === 'number' && Number.isFinite(duration) ? duration : null,
  });
}

/** `namespace/name` (or `name` for cluster-scoped objects) of any object, for stores and messages. */
export function objectKey(obj: unknown): string | null {
  const meta = metadataOf(obj);
  if (typeof meta === 'string') return null;
  return meta.namespace === '' ? meta.name : `${meta.namespace}/${meta.name}`;
}

interface Meta {
  readonly name: string;
  readonly namespace: string;
}

function metadataOf(obj: unknown): Meta | string {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return 'not an object';
  const meta = record((obj as Record<string, unknown>).metadata);
  if (typeof meta.name !== 'string' || meta.name === '') return 'metadata.name is missing';
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  return { name: meta.name, namespace: ns === '' ? '' : intern(ns) };
}

function ourAnnotations(all: Record<string, unknown>): Readonly<Record<string, string>> {
  let out: Record<string, string> | null = null;
  for (const [k, v] of Object.entries(all)) {
    if (typeof v === 'string' && ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) (out ??= {})[k] = v;
  }
  return out ? Object.freeze(out) : EMPTY_RECORD;
}

function conditionStatus(v: unknown): ConditionStatus {
  return v === 'True' || v === 'False' ? v : 'Unknown';
}

function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function array(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

function strings(v: unknown): string[] {
  return array(v).filter((s): s is string => typeof s === 'string' && s !== '');
}

// Node names and namespaces repeat across thousands of slices and endpoints;
// one copy of each is enough. The pool only grows with the number of distinct
// names (nodes, namespaces, Services), which the cluster bounds.
const pool = new Map<string, string>();
const POOL_LIMIT = 200_000;
function intern(s: string): string {
  const have = pool.get(s);
  if (have !== undefined) return have;
  if (pool.size >= POOL_LIMIT) pool.clear();
  pool.set(s, s);
  return s;
}

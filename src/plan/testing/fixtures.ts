// Builders of planner inputs for the tests and the benchmark: small,
// readable Services, EndpointSlices, Nodes and Snapshots with the defaults a
// test would otherwise repeat. Not used by the agent.

import type {
  EndpointSliceView,
  EndpointView,
  LoadBalancerIngress,
  NodeView,
  ServiceType,
  ServiceView,
  Snapshot,
} from '../../cluster/snapshot.ts';
import { parseConfig, type Config } from '../../config/index.ts';

export const POOLS = `
[pools.main]
cidrs = ["192.0.2.0/24", "2001:db8:1::/64"]

[pools.edge]
cidrs = ["198.51.100.0/24", "2001:db8:2::/64"]
`;

/** A Config from TOML lines (top-level tables such as `[announce]`), with POOLS unless `pools` replaces them. */
export function config(toml = '', pools = POOLS): Config {
  return parseConfig(`${toml}\n${pools}`, 'test.toml');
}

export interface ServiceSpec {
  type?: ServiceType;
  /** status.loadBalancer.ingress IPs; an object to set ipMode. */
  lb?: readonly (string | LoadBalancerIngress)[];
  external?: readonly string[];
  cluster?: readonly string[];
  class?: string | null;
  policy?: 'Cluster' | 'Local';
  /** internalTrafficPolicy; left unset when absent. */
  internal?: 'Cluster' | 'Local';
  annotations?: Record<string, string>;
}

/** A Service `ns/name`; type LoadBalancer by default. */
export function svc(key: string, spec: ServiceSpec = {}): ServiceView {
  const [namespace, name] = key.split('/') as [string, string];
  return {
    key,
    namespace,
    name,
    type: spec.type ?? 'LoadBalancer',
    loadBalancerClass: spec.class ?? null,
    externalTrafficPolicy: spec.policy ?? 'Cluster',
    ingress: (spec.lb ?? []).map((i) => (typeof i === 'string' ? { ip: i, ipMode: 'VIP' as const } : i)),
    externalIPs: spec.external ?? [],
    clusterIPs: spec.cluster ?? [],
    annotations: spec.annotations ?? {},
    ...(spec.internal ? { internalTrafficPolicy: spec.internal } : {}),
  };
}

/** An endpoint on `node` (null = no node), ready unless the conditions say otherwise. */
export function ep(node: string | null, conditions: Partial<Pick<EndpointView, 'ready' | 'serving' | 'terminating'>> = {}): EndpointView {
  return { nodeName: node, ready: true, serving: true, terminating: false, ...conditions };
}

/** Shorthand: ready endpoints on these nodes. */
export function on(...nodes: string[]): EndpointView[] {
  return nodes.map((n) => ep(n));
}

let sliceCount = 0;

/** An EndpointSlice of Service `key` holding `endpoints`. */
export function slice(key: string, endpoints: readonly EndpointView[], addressType: EndpointSliceView['addressType'] = 'IPv4'): EndpointSliceView {
  const [namespace, name] = key.split('/') as [string, string];
  return { namespace, name: `${name}-${addressType.toLowerCase()}-${sliceCount++}`, service: key, addressType, endpoints };
}

export interface NodeSpec {
  ready?: NodeView['ready'];
  networkUnavailable?: NodeView['networkUnavailable'];
  labels?: Record<string, string>;
}

export function node(name: string, spec: NodeSpec = {}): NodeView {
  return { name, labels: spec.labels ?? {}, ready: spec.ready ?? 'True', networkUnavailable: spec.networkUnavailable ?? 'False' };
}

export interface SnapshotSpec {
  services?: readonly ServiceView[];
  slices?: readonly EndpointSliceView[];
  nodes?: readonly NodeView[];
  synced?: boolean;
}

/** Three Ready nodes, node-a (this node in most tests), node-b, node-c. */
export const NODES: readonly NodeView[] = [node('node-a'), node('node-b'), node('node-c')];

export function snapshot(spec: SnapshotSpec = {}): Snapshot {
  const endpointSlices = new Map<string, EndpointSliceView[]>();
  for (const s of spec.slices ?? []) {
    const list = endpointSlices.get(s.service);
    if (list) list.push(s);
    else endpointSlices.set(s.service, [s]);
  }
  return {
    synced: spec.synced ?? true,
    services: new Map((spec.services ?? []).map((s) => [s.key, s])),
    endpointSlices,
    nodes: new Map((spec.nodes ?? NODES).map((n) => [n.name, n])),
    agentLeases: new Map(),
  };
}

// Builders for the objects tests put into the test API server. Plain
// objects, shaped like what a real cluster holds; every field can be
// overridden by passing more.

import type { KubeObject } from './store.ts';

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> };

export function service(
  namespace: string,
  name: string,
  o: Meta & { type?: string; ports?: number[]; lbIPs?: string[]; externalIPs?: string[]; clusterIP?: string; loadBalancerClass?: string; externalTrafficPolicy?: 'Cluster' | 'Local'; spec?: Record<string, unknown> } = {},
): KubeObject {
  const spec: Record<string, unknown> = { type: o.type ?? (o.lbIPs ? 'LoadBalancer' : 'ClusterIP'), ports: (o.ports ?? [80]).map((port) => ({ name: `p${port}`, port, protocol: 'TCP' })), selector: { app: name } };
  if (o.clusterIP) spec.clusterIP = o.clusterIP;
  if (o.externalIPs) spec.externalIPs = o.externalIPs;
  if (o.loadBalancerClass) spec.loadBalancerClass = o.loadBalancerClass;
  if (o.externalTrafficPolicy) spec.externalTrafficPolicy = o.externalTrafficPolicy;
  const obj: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels: o.labels, annotations: o.annotations }, spec: { ...spec, ...o.spec } };
  if (o.lbIPs) obj.status = { loadBalancer: { ingress: o.lbIPs.map((ip) => ({ ip, ipMode: 'VIP' })) } };
  return obj;
}

export function node(name: string, o: Meta & { ready?: boolean; internalIP?: string; unschedulable?: boolean; conditions?: { type: string; status: string }[] } = {}): KubeObject {
  const conditions = o.conditions ?? [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', reason: o.ready === false ? 'KubeletNotReady' : 'KubeletReady', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...o.labels }, annotations: o.annotations },
    spec: o.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions,
      addresses: [...(o.internalIP ? [{ type: 'InternalIP', address: o.internalIP }] : []), { type: 'Hostname', address: name }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.0', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function endpointSlice(namespace: string, service: string, endpoints: EndpointSpec[], o: { name?: string; addressType?: 'IPv4' | 'IPv6'; ports?: number[] } = {}): KubeObject {
  const addressType = o.addressType ?? (endpoints[0]?.ip.includes(':') ? 'IPv6' : 'IPv4');
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: o.name ?? `${service}-${addressType.toLowerCase()}`, namespace, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
    })),
    ports: (o.ports ?? [80]).map((port) => ({ name: `p${port}`, port, protocol: 'TCP' })),
  };
}

export function lease(namespace: string, name: string, o: { holder?: string; durationSeconds?: number; renewTime?: string } = {}): KubeObject {
  const spec: Record<string, unknown> = {};
  if (o.holder !== undefined) spec.holderIdentity = o.holder;
  spec.leaseDurationSeconds = o.durationSeconds ?? 15;
  if (o.renewTime) spec.renewTime = o.renewTime;
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec };
}

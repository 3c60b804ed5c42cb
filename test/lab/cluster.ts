// The lab's Kubernetes: the project's test API server (it speaks the real
// list/watch wire protocol; no kube-apiserver can be installed here) as its
// own process inside the router's namespace, listening on the router's LAN
// address, where every node reaches it — as a control plane behind the
// top-of-rack router would be. It holds the Nodes (Ready) and the sample
// Services below, with their EndpointSlices.

import { spawnApiServer, type ApiServerProcess } from '../apiserver/process.ts';
import { endpointSlice, node, service } from '../apiserver/fixtures.ts';
import type { KubeObject } from '../apiserver/store.ts';
import { ROUTER_V4, type LabNode } from './net.ts';

/** The lab's address pool (the agents' [pools.lab]). */
export const POOL_V4 = '198.51.100.0/24';
export const POOL_V6 = '2001:db8:100::/64';

export interface SampleService {
  readonly name: string;
  readonly ips: readonly string[];
  readonly policy: 'Cluster' | 'Local';
  /** Nodes with a serving endpoint (a pod) of the Service. */
  readonly endpointsOn: readonly string[];
  readonly note: string;
}

/** The sample Services; `endpointsOn` of `all` means every node. */
export function sampleServices(nodes: readonly LabNode[]): SampleService[] {
  const all = nodes.map((n) => n.name);
  const second = all[1] ?? all[0]!;
  return [
    { name: 'web', ips: ['198.51.100.10'], policy: 'Cluster', endpointsOn: all, note: 'IPv4, from the pool' },
    { name: 'dual', ips: ['198.51.100.11', '2001:db8:100::11'], policy: 'Cluster', endpointsOn: all, note: 'dual-stack, from the pool' },
    { name: 'local', ips: ['198.51.100.12', '2001:db8:100::12'], policy: 'Local', endpointsOn: [second], note: `externalTrafficPolicy: Local, its pod on ${second}` },
    { name: 'outside', ips: ['203.0.113.50', '2001:db8:ffff::50'], policy: 'Cluster', endpointsOn: all, note: 'outside every pool: never announced' },
  ];
}

/** The in-pool VIPs of the sample Services. */
export function poolVips(services: readonly SampleService[]): string[] {
  return services.filter((s) => s.name !== 'outside').flatMap((s) => s.ips);
}

export async function startCluster(nodes: readonly LabNode[], routerNs: string): Promise<ApiServerProcess> {
  const api = await spawnApiServer({ args: ['--host', ROUTER_V4, '--bookmark-ms', '1000'], prefix: ['ip', 'netns', 'exec', routerNs] });
  try {
    for (const n of nodes) await api.put(node(n.name, { internalIP: n.v4 }));
    for (const s of sampleServices(nodes)) await putService(api, s);
  } catch (e) {
    await api.close().catch(() => {});
    throw e;
  }
  return api;
}

export async function putService(api: ApiServerProcess, s: SampleService): Promise<void> {
  const dual = s.ips.some((ip) => ip.includes(':')) && s.ips.some((ip) => !ip.includes(':'));
  const spec: Record<string, unknown> = dual ? { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' } : {};
  await api.put(service('default', s.name, { lbIPs: [...s.ips], externalTrafficPolicy: s.policy, ports: [8080], spec }));
  await putEndpoints(api, s.name, s.endpointsOn);
}

/** The Service's EndpointSlices (IPv4, IPv6): one serving pod on each of `nodes`. */
export async function putEndpoints(api: ApiServerProcess, name: string, nodes: readonly string[]): Promise<void> {
  const idx = (nd: string) => Number(/(\d+)$/.exec(nd)?.[1] ?? 0);
  await api.put(endpointSlice('default', name, nodes.map((nd) => ({ ip: `10.244.${idx(nd)}.10`, node: nd })), { addressType: 'IPv4', ports: [8080] }));
  await api.put(endpointSlice('default', name, nodes.map((nd) => ({ ip: `fd00:244:${idx(nd)}::10`, node: nd })), { addressType: 'IPv6', ports: [8080] }));
}

/** Moves the Service's pods by patching its EndpointSlices, as the endpoint controller would. */
export async function moveEndpoints(api: ApiServerProcess, name: string, nodes: readonly string[]): Promise<void> {
  const idx = (nd: string) => Number(/(\d+)$/.exec(nd)?.[1] ?? 0);
  for (const [family, ip] of [['ipv4', (nd: string) => `10.244.${idx(nd)}.10`], ['ipv6', (nd: string) => `fd00:244:${idx(nd)}::10`]] as const) {
    const endpoints = nodes.map((nd) => ({ addresses: [ip(nd)], conditions: { ready: true, serving: true, terminating: false }, nodeName: nd }));
    await api.patch({ kind: 'EndpointSlice', namespace: 'default', name: `${name}-${family}` }, { endpoints });
  }
}

export type { ApiServerProcess, KubeObject };

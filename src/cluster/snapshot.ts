// The cluster as the planner sees it: plain, frozen objects holding only the
// fields decisions need (memory matters at 10,000 Services). After changes
// the cluster view makes a new Snapshot, its parts derived from the last ones
// with the changed objects only (collections/layered-map.ts); a Snapshot never changes
// once made, and a cycle of the loop reads one.
// Knows Kubernetes, knows nothing of the kernel.

/** `namespace/name`, the key of a Service everywhere in the agent. */
export type ServiceKey = string;

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface LoadBalancerIngress {
  /** As written in status; validated by the planner, never here. */
  readonly ip: string;
  /** `Proxy` means the load balancer delivers to the nodes itself: never announced. */
  readonly ipMode: 'VIP' | 'Proxy' | null;
}

export interface ServiceView {
  readonly key: ServiceKey;
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /** spec.loadBalancerClass; null when unset. */
  readonly loadBalancerClass: string | null;
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  /**
   * spec.internalTrafficPolicy: governs cluster IPs, as externalTrafficPolicy
   * governs LoadBalancer and external IPs (Local: announcing a cluster IP from
   * a node without a local endpoint draws traffic kube-proxy drops). Absent = Cluster.
   */
  readonly internalTrafficPolicy?: 'Cluster' | 'Local';
  readonly ingress: readonly LoadBalancerIngress[];
  readonly externalIPs: readonly string[];
  /** spec.clusterIPs (spec.clusterIP when clusterIPs is absent); "None" dropped. */
  readonly clusterIPs: readonly string[];
  /** Only annotations under kube-lb-agent.io/ and kube-router.io/. */
  readonly annotations: Readonly<Record<string, string>>;
}

export interface EndpointView {
  /** null when the endpoint has no nodeName (e.g. outside the cluster). */
  readonly nodeName: string | null;
  /** EndpointConditions; null = unknown, which the API says to read as ready/serving. */
  readonly ready: boolean | null;
  readonly serving: boolean | null;
  readonly terminating: boolean | null;
}

export interface EndpointSliceView {
  readonly namespace: string;
  readonly name: string;
  /** The kubernetes.io/service-name label: the Service this slice belongs to. */
  readonly service: ServiceKey;
  readonly addressType: 'IPv4' | 'IPv6' | 'FQDN';
  readonly endpoints: readonly EndpointView[];
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface NodeView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The Ready condition; 'Unknown' also when the condition is missing. */
  readonly ready: ConditionStatus;
  /** The NetworkUnavailable condition; 'Unknown' when missing. */
  readonly networkUnavailable: ConditionStatus;
}

/** An agent's Lease `kube-lb-agent-<node>`, as data; freshness is judged by the caller. */
export interface AgentLeaseView {
  readonly node: string;
  readonly holder: string | null;
  /** Epoch milliseconds of spec.renewTime; null when never renewed. */
  readonly renewTimeMs: number | null;
  readonly durationSeconds: number | null;
}

export interface Snapshot {
  /** True only when every informer has listed; withdrawals never come from an unsynced snapshot. */
  readonly synced: boolean;
  readonly services: ReadonlyMap<ServiceKey, ServiceView>;
  /** Slices grouped by the Service they belong to. */
  readonly endpointSlices: ReadonlyMap<ServiceKey, readonly EndpointSliceView[]>;
  readonly nodes: ReadonlyMap<string, NodeView>;
  readonly agentLeases: ReadonlyMap<string, AgentLeaseView>;
}

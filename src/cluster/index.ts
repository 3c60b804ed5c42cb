// The cluster view: what the agent knows of Kubernetes — the kubeconfig, the
// list+watch informers for Services, EndpointSlices, Nodes and the agents'
// Leases behind one frozen Snapshot, and this node's own Lease. Knows
// Kubernetes, knows nothing of the kernel.
//
// Typical use by the agent:
//   const api = createApiConnection({ kubeconfig: config.kubernetes.kubeconfig, log });
//   const view = createClusterView({ api, kubernetes: config.kubernetes, log });
//   const lease = createAgentLease({ api, kubernetes: config.kubernetes, nodeName, log });
//   view.onChange(() => markDirty()); view.start(); lease.start();
//   … const snap = view.snapshot(); const live = liveAgents(snap.agentLeases, Date.now()); …
//   await lease.close(); await view.close(); api.close();

export type * from './snapshot.ts';
export { createApiConnection, type ApiConnection, type ApiConnectionOptions, type ApiState, type ApiStatus } from './connection.ts';
export {
  createClusterView,
  DEFAULT_TUNING,
  type ClusterChange,
  type ClusterKind,
  type ClusterView,
  type ClusterViewOptions,
  type ClusterViewStatus,
  type InformerTuning,
} from './view.ts';
export type { InformerPhase, InformerStatus } from './informer.ts';
export { createAgentLease, leaseName, type AgentLease, type AgentLeaseOptions, type AgentLeaseStatus } from './agent-lease.ts';
export { isFresh, liveAgents, nextExpiry } from './live-agents.ts';
export { readObjectsFile, parseObjectsText, type ObjectsFile, type ObjectsFileOptions } from './objects-file.ts';
export { parseAgentLease, parseEndpointSlice, parseNode, parseService, isProblem, AGENT_LEASE_PREFIX, type Parsed, type ParseProblem } from './parse.ts';
export { EMPTY_SNAPSHOT } from './snapshot-build.ts';
export { ApiError } from './api-client.ts';

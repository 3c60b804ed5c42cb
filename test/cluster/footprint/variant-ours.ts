// Footprint variant: the agent's own cluster view (KubeConfig + our list/watch).
import { createApiConnection, createClusterView } from '../../../src/cluster/index.ts';
import { report, silentLog, kubernetesConfig } from './variant-common.ts';

const api = createApiConnection({ kubeconfig: process.argv[2]!, log: silentLog });
const pageSize = Number(process.env.KLA_FOOTPRINT_PAGE ?? 0) || undefined;
const view = createClusterView({ api, kubernetes: kubernetesConfig, log: silentLog, tuning: pageSize ? { pageSize } : {} });
const t0 = Date.now();
view.onChange((c) => {
  if (!c.synced) return;
  const s = view.snapshot();
  void report('ours', t0, { services: s.services.size, slices: s.endpointSlices.size, nodes: s.nodes.size, leases: s.agentLeases.size }, [s]).then(() => process.exit(0));
});
view.start();

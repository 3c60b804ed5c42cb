// Footprint variant: @kubernetes/client-node's generated API + makeInformer,
// holding whole objects in its caches, as an agent built on it would.
import { CoordinationV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, makeInformer } from '@kubernetes/client-node';
import { report } from './variant-common.ts';

const kc = new KubeConfig();
kc.loadFromFile(process.argv[2]!);
const core = kc.makeApiClient(CoreV1Api);
const disco = kc.makeApiClient(DiscoveryV1Api);
const coord = kc.makeApiClient(CoordinationV1Api);
const t0 = Date.now();
const informers = [
  makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces()),
  makeInformer(kc, '/apis/discovery.k8s.io/v1/endpointslices', () => disco.listEndpointSliceForAllNamespaces()),
  makeInformer(kc, '/api/v1/nodes', () => core.listNode()),
  makeInformer(kc, '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', () => coord.listNamespacedLease({ namespace: 'kube-system' })),
];
let pending = informers.length;
for (const inf of informers) {
  inf.on('connect', () => {
    // 'connect' fires before the list; wait until the list landed in the cache.
    const poll = setInterval(() => {
      if (inf.list().length === 0) return;
      clearInterval(poll);
      if (--pending === 0) {
        const sizes = informers.map((i) => i.list().length);
        void report('library', t0, { services: sizes[0]!, slices: sizes[1]!, nodes: sizes[2]!, leases: sizes[3]! }, informers).then(() => process.exit(0));
      }
    }, 20);
  });
  inf.on('error', (e: unknown) => console.error('informer error', e));
  void inf.start();
}

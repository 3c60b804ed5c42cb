// Realistic Kubernetes objects in bulk, shaped like what a real API server
// returns (managedFields, last-applied annotations, ports, selectors, pod
// targetRefs, a node's image list), so that memory figures are honest.

const ts = '2026-11-22T10:00:00Z';
const managed = (manager: string) => [
  { manager, operation: 'Update', apiVersion: 'v1', time: ts, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} } }, 'f:selector': {}, 'f:type': {} } } },
  { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: ts, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } } },
];

export function service(i: number, rv: number): object {
  const ns = `ns-${i % 200}`;
  const name = `svc-${i}`;
  const v4 = `10.${100 + ((i >> 16) & 0xff)}.${(i >> 8) & 0xff}.${i & 0xff}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: ns,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(rv),
      creationTimestamp: ts,
      labels: { app: name, 'app.kubernetes.io/part-of': 'shop', team: `team-${i % 30}` },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels: { app: name } }, spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 8080 }], selector: { app: name } } }),
      },
      managedFields: managed('kubectl-client-side-apply'),
    },
    spec: {
      type: 'LoadBalancer',
      externalTrafficPolicy: i % 2 ? 'Local' : 'Cluster',
      internalTrafficPolicy: 'Cluster',
      clusterIP: `172.20.${(i >> 8) & 0xff}.${i & 0xff}`,
      clusterIPs: [`172.20.${(i >> 8) & 0xff}.${i & 0xff}`, `fd00:20::${i.toString(16)}`],
      ipFamilies: ['IPv4', 'IPv6'],
      ipFamilyPolicy: 'PreferDualStack',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30000 + (i % 2000) }],
      selector: { app: name },
      sessionAffinity: 'None',
      allocateLoadBalancerNodePorts: true,
      healthCheckNodePort: i % 2 ? 31000 + (i % 1000) : undefined,
    },
    status: { loadBalancer: { ingress: [{ ip: v4, ipMode: 'VIP' }, { ip: `2001:db8:1::${i.toString(16)}`, ipMode: 'VIP' }] } },
  };
}

export function endpointSlice(i: number, rv: number, nodes: number): object {
  const ns = `ns-${i % 200}`;
  const svc = `svc-${i}`;
  const endpoints = [0, 1, 2].map((k) => ({
    addresses: [`10.244.${(i * 3 + k) >> 8 & 0xff}.${(i * 3 + k) & 0xff}`],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: `node-${(i + k) % nodes}`,
    zone: `zone-${(i + k) % 3}`,
    targetRef: { kind: 'Pod', namespace: ns, name: `${svc}-7d9f8c6b5-${k}x${i}`, uid: `10000000-0000-4000-8000-${String(i * 3 + k).padStart(12, '0')}` },
  }));
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc}-abcde`,
      generateName: `${svc}-`,
      namespace: ns,
      uid: `20000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(rv),
      creationTimestamp: ts,
      labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': svc, app: svc },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': ts },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'discovery.k8s.io/v1', time: ts, fieldsType: 'FieldsV1', fieldsV1: { 'f:addressType': {}, 'f:endpoints': {}, 'f:metadata': { 'f:labels': {} }, 'f:ports': {} } }],
    },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

export function node(i: number, rv: number): object {
  const name = `node-${i}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `30000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(rv),
      creationTimestamp: ts,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/zone': `zone-${i % 3}`, 'node-role.kubernetes.io/worker': '' },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock' },
    },
    spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
    status: {
      capacity: { cpu: '64', memory: '263921540Ki', pods: '110', 'ephemeral-storage': '959786032Ki' },
      allocatable: { cpu: '63', memory: '263819140Ki', pods: '110', 'ephemeral-storage': '884538805201' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable', 'Ready'].map((type) => ({
        type,
        status: type === 'Ready' ? 'True' : 'False',
        lastHeartbeatTime: ts,
        lastTransitionTime: ts,
        reason: `Kubelet${type}`,
        message: `kubelet reports ${type}`,
      })),
      addresses: [{ type: 'InternalIP', address: `192.168.0.${i}` }, { type: 'Hostname', address: name }],
      nodeInfo: { machineID: 'f'.repeat(32), systemUUID: 'e'.repeat(36), bootID: 'd'.repeat(36), kernelVersion: '6.1.0-27-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.24', kubeletVersion: 'v1.32.0', kubeProxyVersion: 'v1.32.0', operatingSystem: 'linux', architecture: 'amd64' },
      images: Array.from({ length: 40 }, (_, k) => ({ names: [`registry.example.com/team-${k}/app@sha256:${'a'.repeat(64)}`, `registry.example.com/team-${k}/app:v1.${k}`], sizeBytes: 100_000_000 + k })),
    },
  };
}

export function lease(i: number, rv: number, now: number): object {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: `kube-lb-agent-node-${i}`, namespace: 'kube-system', uid: `40000000-0000-4000-8000-${String(i).padStart(12, '0')}`, resourceVersion: String(rv), creationTimestamp: ts },
    spec: { holderIdentity: `node-${i}`, leaseDurationSeconds: 15, acquireTime: new Date(now).toISOString().replace('Z', '000Z'), renewTime: new Date(now).toISOString().replace('Z', '000Z'), leaseTransitions: 0 },
  };
}

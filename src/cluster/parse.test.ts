import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isProblem, parseAgentLease, parseEndpointSlice, parseNode, parseService, type Parsed } from './parse.ts';

function ok<V>(p: Parsed<V>): V {
  assert.ok(p !== null && !isProblem(p), `expected a view, got ${JSON.stringify(p)}`);
  return p as V;
}

const svc = (spec: object, extra: object = {}) => ({ metadata: { name: 'web', namespace: 'shop' }, spec, ...extra });

test('Service: keeps only what the planner needs, frozen', () => {
  const v = parseService({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'x',
      managedFields: [{ manager: 'kubectl' }],
      annotations: {
        'kube-lb-agent.io/advertise-loadbalancer-ip': 'false',
        'kube-router.io/service.local': 'true',
        'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}',
      },
    },
    spec: {
      type: 'LoadBalancer',
      loadBalancerClass: 'kube-lb-agent.io/bgp',
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Local',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10', 'fd00::10'],
      externalIPs: ['192.0.2.7'],
      ports: [{ port: 80 }],
      selector: { app: 'web' },
    },
    status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }, { ip: '2001:db8::1', ipMode: 'VIP' }, { hostname: 'lb.example' }] } },
  });
  assert.deepEqual(v, {
    key: 'shop/web',
    namespace: 'shop',
    name: 'web',
    type: 'LoadBalancer',
    loadBalancerClass: 'kube-lb-agent.io/bgp',
    externalTrafficPolicy: 'Local',
    internalTrafficPolicy: 'Local',
    ingress: [
      { ip: '198.51.100.1', ipMode: null },
      { ip: '2001:db8::1', ipMode: 'VIP' },
    ],
    externalIPs: ['192.0.2.7'],
    clusterIPs: ['10.96.0.10', 'fd00::10'],
    annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'false', 'kube-router.io/service.local': 'true' },
  });
  assert.ok(Object.isFrozen(v));
  assert.ok(Object.isFrozen((v as { ingress: object[] }).ingress[0]));
  assert.ok(Object.isFrozen((v as { annotations: object }).annotations));
});

test('Service: API defaults for missing fields', () => {
  const v = parseService(svc({}));
  assert.deepEqual(v, {
    key: 'shop/web',
    namespace: 'shop',
    name: 'web',
    type: 'ClusterIP',
    loadBalancerClass: null,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ingress: [],
    externalIPs: [],
    clusterIPs: [],
    annotations: {},
  });
  // No spec, no status at all.
  assert.equal(ok(parseService({ metadata: { name: 'a', namespace: 'b' } })).type, 'ClusterIP');
});

test('Service: headless (clusterIP None) has no cluster IPs', () => {
  assert.deepEqual(ok(parseService(svc({ clusterIP: 'None', clusterIPs: ['None'] }))).clusterIPs, []);
  assert.deepEqual(ok(parseService(svc({ clusterIP: 'None' }))).clusterIPs, []);
  // clusterIP alone (old objects without clusterIPs) still counts.
  assert.deepEqual(ok(parseService(svc({ clusterIP: '10.0.0.1' }))).clusterIPs, ['10.0.0.1']);
});

test('Service: ipMode Proxy is kept as Proxy; an unknown mode reads as Proxy (never announced)', () => {
  const v = ok(
    parseService(
      svc({ type: 'LoadBalancer' }, { status: { loadBalancer: { ingress: [{ ip: '1.1.1.1', ipMode: 'Proxy' }, { ip: '1.1.1.2', ipMode: 'Tunnel' }, { ip: '1.1.1.3', ipMode: null }] } } }),
    ),
  );
  assert.deepEqual(v.ingress, [
    { ip: '1.1.1.1', ipMode: 'Proxy' },
    { ip: '1.1.1.2', ipMode: 'Proxy' },
    { ip: '1.1.1.3', ipMode: null },
  ]);
});

test('Service: garbage is a problem of that object only, never a throw', () => {
  for (const bad of [null, 42, 'x', [], {}, { metadata: {} }, { metadata: { name: 'a' } }, svc({ type: 'Balancer' }), svc({ type: 7 })]) {
    const p = parseService(bad);
    assert.ok(isProblem(p), `expected a problem for ${JSON.stringify(bad)}`);
  }
  // Odd but tolerable field shapes are read leniently.
  const v = parseService(svc({ type: 'LoadBalancer', externalIPs: 'nope', clusterIPs: [1, '10.0.0.2', null] }, { status: { loadBalancer: { ingress: 'x' } } }));
  assert.ok(!isProblem(v) && v !== null);
  assert.deepEqual(v.externalIPs, []);
  assert.deepEqual(v.clusterIPs, ['10.0.0.2']);
  assert.deepEqual(v.ingress, []);
  // The IP text is passed as written: the planner validates it, for that Service alone.
  const g = parseService(svc({ type: 'LoadBalancer' }, { status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }] } } }));
  assert.deepEqual(ok(g).ingress, [{ ip: 'not-an-ip', ipMode: null }]);
});

const slice = (over: object) => ({
  metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'x' } },
  addressType: 'IPv4',
  ...over,
});

test('EndpointSlice: node and conditions per endpoint; null conditions stay unknown', () => {
  const v = parseEndpointSlice(
    slice({
      endpoints: [
        { addresses: ['10.1.0.5'], nodeName: 'n1', conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod' } },
        { addresses: ['10.1.0.6'], nodeName: 'n2', conditions: null },
        { addresses: ['10.1.0.7'], conditions: { ready: null, serving: false, terminating: true } },
        { addresses: ['10.1.0.8'], nodeName: '' },
      ],
      ports: [{ port: 80 }],
    }),
  );
  assert.deepEqual(v, {
    namespace: 'shop',
    name: 'web-abc',
    service: 'shop/web',
    addressType: 'IPv4',
    endpoints: [
      { nodeName: 'n1', ready: true, serving: true, terminating: false },
      { nodeName: 'n2', ready: null, serving: null, terminating: null },
      { nodeName: null, ready: null, serving: false, terminating: true },
      { nodeName: null, ready: null, serving: null, terminating: null },
    ],
  });
  assert.ok(Object.isFrozen(v) && Object.isFrozen((v as { endpoints: object[] }).endpoints[0]));
});

test('EndpointSlice: null endpoints, FQDN slices, IPv6', () => {
  assert.deepEqual(ok(parseEndpointSlice(slice({ endpoints: null }))).endpoints, []);
  assert.deepEqual(ok(parseEndpointSlice(slice({}))).endpoints, []);
  const f = parseEndpointSlice(slice({ addressType: 'FQDN', endpoints: [{ addresses: ['db.example.com'] }] }));
  assert.equal((f as { addressType: string }).addressType, 'FQDN');
  assert.equal(ok(parseEndpointSlice(slice({ addressType: 'IPv6' }))).addressType, 'IPv6');
});

test('EndpointSlice: without the service-name label it belongs to no Service (null); bad addressType is a problem', () => {
  assert.equal(parseEndpointSlice({ metadata: { name: 's', namespace: 'n', labels: {} }, addressType: 'IPv4' }), null);
  assert.equal(parseEndpointSlice({ metadata: { name: 's', namespace: 'n' }, addressType: 'IPv4' }), null);
  assert.ok(isProblem(parseEndpointSlice(slice({ addressType: 'IPv5' }))));
  assert.ok(isProblem(parseEndpointSlice(slice({ addressType: undefined }))));
  assert.ok(isProblem(parseEndpointSlice({ metadata: { name: 's', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4' })));
});

test('Node: Ready and NetworkUnavailable; missing or odd conditions are Unknown', () => {
  const n = parseNode({
    metadata: { name: 'n1', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '', zone: 'a' } },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:00:00Z' },
        { type: 'NetworkUnavailable', status: 'False' },
      ],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
    },
  });
  assert.deepEqual(n, { name: 'n1', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '', zone: 'a' }, ready: 'True', networkUnavailable: 'False' });
  assert.deepEqual(parseNode({ metadata: { name: 'n2' } }), { name: 'n2', labels: {}, ready: 'Unknown', networkUnavailable: 'Unknown' });
  assert.equal(ok(parseNode({ metadata: { name: 'n3' }, status: { conditions: [{ type: 'Ready', status: 'maybe' }, null] } })).ready, 'Unknown');
  assert.ok(isProblem(parseNode({ metadata: {} })));
});

test('Lease: only kube-lb-agent-<node>; MicroTime renewTime to epoch ms', () => {
  const l = parseAgentLease({
    metadata: { name: 'kube-lb-agent-n1', namespace: 'kube-system' },
    spec: { holderIdentity: 'n1', leaseDurationSeconds: 15, renewTime: '2026-11-22T10:00:00.123456Z', acquireTime: '2026-11-22T09:00:00.000000Z' },
  });
  assert.deepEqual(l, { node: 'n1', holder: 'n1', renewTimeMs: Date.parse('2026-11-22T10:00:00.123Z'), durationSeconds: 15 });
  assert.equal(parseAgentLease({ metadata: { name: 'kube-controller-manager', namespace: 'kube-system' }, spec: {} }), null);
  assert.equal(parseAgentLease({ metadata: { name: 'kube-lb-agent-', namespace: 'kube-system' } }), null);
  assert.deepEqual(parseAgentLease({ metadata: { name: 'kube-lb-agent-n2' } }), { node: 'n2', holder: null, renewTimeMs: null, durationSeconds: null });
  assert.deepEqual(parseAgentLease({ metadata: { name: 'kube-lb-agent-n3' }, spec: { holderIdentity: '', renewTime: 'yesterday', leaseDurationSeconds: '15' } }), {
    node: 'n3',
    holder: null,
    renewTimeMs: null,
    durationSeconds: null,
  });
});

// Traffic policy and endpoints: Local needs a serving endpoint on this node;
// Cluster needs one anywhere (announce.require_endpoints); per address family.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canServe } from './endpoints.ts';
import { announcementLines, decisionLines, planCases, runCase } from './testing/cases.ts';
import { ep, on, slice, svc } from './testing/fixtures.ts';

const WEB = 'default/web';
const lb = (policy: 'Cluster' | 'Local', extra: Parameters<typeof svc>[1] = {}) => [svc(WEB, { lb: ['192.0.2.10'], policy, ...extra })];

describe('externalTrafficPolicy: Cluster', () => {
  planCases([
    { name: 'endpoints only on other nodes: announced (kube-proxy forwards)', services: lb('Cluster'), slices: [slice(WEB, on('node-b'))], decisions: [`${WEB} 192.0.2.10 loadbalancer announced`] },
    { name: 'no EndpointSlice at all: no-serving-endpoint', services: lb('Cluster'), decisions: [`${WEB} 192.0.2.10 loadbalancer no-serving-endpoint`], announced: [] },
    {
      name: 'only unready endpoints: no-serving-endpoint',
      services: lb('Cluster'),
      slices: [slice(WEB, [ep('node-a', { ready: false, serving: false }), ep('node-b', { ready: false, serving: true })])],
      decisions: [`${WEB} 192.0.2.10 loadbalancer no-serving-endpoint`],
    },
    {
      name: 'require_endpoints = false announces a Service with no endpoints',
      config: '[announce]\nrequire_endpoints = false',
      services: lb('Cluster'),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
    {
      name: 'an endpoint outside the cluster (no nodeName) serves',
      services: lb('Cluster'),
      slices: [slice(WEB, [ep(null)])],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
    {
      name: 'FQDN slices are ignored, as kube-proxy ignores them',
      services: lb('Cluster'),
      slices: [slice(WEB, on('node-a'), 'FQDN')],
      decisions: [`${WEB} 192.0.2.10 loadbalancer no-serving-endpoint`],
    },
  ]);
});

describe('externalTrafficPolicy: Local', () => {
  planCases([
    { name: 'a ready endpoint here: announced', services: lb('Local'), slices: [slice(WEB, on('node-a', 'node-b'))], decisions: [`${WEB} 192.0.2.10 loadbalancer announced`] },
    { name: 'endpoints only elsewhere: no-local-endpoint', services: lb('Local'), slices: [slice(WEB, on('node-b', 'node-c'))], decisions: [`${WEB} 192.0.2.10 loadbalancer no-local-endpoint`], announced: [] },
    {
      name: 'no endpoints anywhere: no-serving-endpoint, even with require_endpoints = false',
      config: '[announce]\nrequire_endpoints = false',
      services: lb('Local'),
      decisions: [`${WEB} 192.0.2.10 loadbalancer no-serving-endpoint`],
    },
    {
      name: 'a local endpoint terminating but still serving keeps the IP',
      services: lb('Local'),
      slices: [slice(WEB, [ep('node-a', { ready: false, serving: true, terminating: true }), ep('node-b')])],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
    {
      name: 'a local endpoint terminating and no longer serving does not',
      services: lb('Local'),
      slices: [slice(WEB, [ep('node-a', { ready: false, serving: false, terminating: true }), ep('node-b')])],
      decisions: [`${WEB} 192.0.2.10 loadbalancer no-local-endpoint`],
    },
    {
      name: 'conditions left unset read as ready (the API says so)',
      services: lb('Local'),
      slices: [slice(WEB, [ep('node-a', { ready: null, serving: null, terminating: null })])],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
    {
      name: 'a local endpoint in a second slice counts',
      services: lb('Local'),
      slices: [slice(WEB, on('node-b')), slice(WEB, on('node-a'))],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
    {
      name: 'an endpoint without nodeName is nowhere local',
      services: lb('Local'),
      slices: [slice(WEB, [ep(null)])],
      decisions: [`${WEB} 192.0.2.10 loadbalancer no-local-endpoint`],
    },
    {
      name: 'kube-router.io/service.local: "true" makes a Cluster Service local, cluster IPs too',
      config: '[announce]\ncluster_ip = true',
      services: [svc(WEB, { lb: ['192.0.2.10'], cluster: ['198.51.100.1'], annotations: { 'kube-router.io/service.local': 'true' } })],
      slices: [slice(WEB, on('node-b'))],
      decisions: [`${WEB} 192.0.2.10 loadbalancer no-local-endpoint`, `${WEB} 198.51.100.1 cluster no-local-endpoint`],
    },
    {
      name: 'externalTrafficPolicy: Local does not bind cluster IPs (internalTrafficPolicy governs them)',
      config: '[announce]\ncluster_ip = true\nexternal_ip = true',
      services: [svc(WEB, { lb: ['192.0.2.10'], external: ['192.0.2.20'], cluster: ['198.51.100.1'], policy: 'Local' })],
      slices: [slice(WEB, on('node-b'))],
      decisions: [
        `${WEB} 192.0.2.10 loadbalancer no-local-endpoint`,
        `${WEB} 192.0.2.20 external no-local-endpoint`,
        `${WEB} 198.51.100.1 cluster announced`,
      ],
    },
    {
      name: 'internalTrafficPolicy: Local binds cluster IPs, and only them',
      config: '[announce]\ncluster_ip = true',
      services: [svc(WEB, { lb: ['192.0.2.10'], cluster: ['198.51.100.1', '2001:db8:2::1'], internal: 'Local' })],
      slices: [slice(WEB, on('node-b')), slice(WEB, on('node-a'), 'IPv6')],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, `${WEB} 198.51.100.1 cluster no-local-endpoint`, `${WEB} 2001:db8:2::1 cluster announced`],
    },
    {
      name: 'an unreadable kube-router.io/service.local is ignored, with a warning',
      services: [svc(WEB, { lb: ['192.0.2.10'], annotations: { 'kube-router.io/service.local': 'maybe' } })],
      slices: [slice(WEB, on('node-b'))],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
      warnings: ['invalid-annotation'],
    },
  ]);
});

describe('dual-stack: each family is served by its own endpoints', () => {
  planCases([
    {
      name: 'Local: IPv4 endpoint here, IPv6 endpoints elsewhere',
      services: [svc(WEB, { lb: ['192.0.2.10', '2001:db8:1::10'], policy: 'Local' })],
      slices: [slice(WEB, on('node-a')), slice(WEB, on('node-b'), 'IPv6')],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, `${WEB} 2001:db8:1::10 loadbalancer no-local-endpoint`],
      announced: [`192.0.2.10/32 main ${WEB}`],
    },
    {
      name: 'Cluster: the IPv6 slice is empty, so the IPv6 IP would be a black hole',
      services: [svc(WEB, { lb: ['2001:db8:1::10', '192.0.2.10'] })],
      slices: [slice(WEB, on('node-c')), slice(WEB, [], 'IPv6')],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, `${WEB} 2001:db8:1::10 loadbalancer no-serving-endpoint`],
    },
    {
      name: 'IPv6-only Local Service with a local IPv6 endpoint',
      services: [svc(WEB, { lb: ['2001:db8:2::1'], policy: 'Local' })],
      slices: [slice(WEB, on('node-a'), 'IPv6')],
      announced: [`2001:db8:2::1/128 edge ${WEB}`],
    },
  ]);
});

test('kube-vip #627: a pod moving away under Local withdraws the IP', () => {
  const before = runCase({ name: '', services: lb('Local'), slices: [slice(WEB, on('node-a'))] });
  assert.deepEqual(announcementLines(before), [`192.0.2.10/32 main ${WEB}`]);
  // The pod is rescheduled: a new endpoint on node-b, the old one terminating, then gone.
  const moving = runCase({
    name: '',
    services: lb('Local'),
    slices: [slice(WEB, [ep('node-a', { ready: false, serving: false, terminating: true }), ep('node-b')])],
  });
  assert.deepEqual(decisionLines(moving), [`${WEB} 192.0.2.10 loadbalancer no-local-endpoint`]);
  assert.deepEqual(moving.announcements, []);
  const after = runCase({ name: '', services: lb('Local'), slices: [slice(WEB, on('node-b'))] });
  assert.deepEqual(after.announcements, []);
  // …and node-b, computing its own plan, takes the IP.
  const onB = runCase({ name: '', node: 'node-b', services: lb('Local'), slices: [slice(WEB, on('node-b'))] });
  assert.deepEqual(announcementLines(onB), [`192.0.2.10/32 main ${WEB}`]);
});

test('canServe reads the EndpointConditions as the API documents them', () => {
  const table: [Parameters<typeof ep>[1], boolean][] = [
    [{}, true],
    [{ ready: null }, true],
    [{ ready: false }, false],
    [{ ready: false, serving: true, terminating: true }, true],
    [{ ready: false, serving: null, terminating: true }, false],
    [{ ready: false, serving: true, terminating: false }, false],
  ];
  for (const [conditions, expected] of table) assert.equal(canServe(ep('n', conditions)), expected, JSON.stringify(conditions));
});

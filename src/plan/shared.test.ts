// Shared IPs: several Services, one IP. Announced here only where every
// sharing Service that can serve anywhere can be served from here; a Service
// with no serving endpoint anywhere does not veto (kube-vip #823).

import { describe } from 'node:test';
import { planCases } from './testing/cases.ts';
import { ep, on, slice, svc } from './testing/fixtures.ts';

const A = 'shop/a';
const B = 'shop/b';
const C = 'shop/c';
const IP = '192.0.2.50';

describe('shared IPs', () => {
  planCases([
    {
      name: 'two Cluster Services with endpoints share the IP: one announcement for both',
      services: [svc(A, { lb: [IP] }), svc(B, { lb: [IP] })],
      slices: [slice(A, on('node-b')), slice(B, on('node-c'))],
      decisions: [`${A} ${IP} loadbalancer announced`, `${B} ${IP} loadbalancer announced`],
      announced: [`${IP}/32 main ${A},${B}`],
    },
    {
      name: 'a Local sharer served only elsewhere vetoes: shared-ip-conflict',
      services: [svc(A, { lb: [IP], policy: 'Local' }), svc(B, { lb: [IP], policy: 'Local' })],
      slices: [slice(A, on('node-a')), slice(B, on('node-b'))],
      decisions: [`${A} ${IP} loadbalancer shared-ip-conflict conflicts=${B}`, `${B} ${IP} loadbalancer no-local-endpoint`],
      announced: [],
    },
    {
      name: 'the same cluster seen from node-b: the conflict is the other way round',
      node: 'node-b',
      services: [svc(A, { lb: [IP], policy: 'Local' }), svc(B, { lb: [IP], policy: 'Local' })],
      slices: [slice(A, on('node-a')), slice(B, on('node-b'))],
      decisions: [`${A} ${IP} loadbalancer no-local-endpoint`, `${B} ${IP} loadbalancer shared-ip-conflict conflicts=${A}`],
      announced: [],
    },
    {
      name: 'kube-vip #823: a second Local Service with no endpoints does not withdraw the IP',
      services: [svc(A, { lb: [IP], policy: 'Local' }), svc(B, { lb: [IP], policy: 'Local' })],
      slices: [slice(A, on('node-a'))],
      decisions: [`${A} ${IP} loadbalancer announced`, `${B} ${IP} loadbalancer no-serving-endpoint`],
      announced: [`${IP}/32 main ${A}`],
    },
    {
      name: 'kube-vip #823: a second Cluster Service whose endpoints are all unready does not either',
      services: [svc(A, { lb: [IP], policy: 'Local' }), svc(B, { lb: [IP] })],
      slices: [slice(A, on('node-a')), slice(B, [ep('node-b', { ready: false, serving: false })])],
      decisions: [`${A} ${IP} loadbalancer announced`, `${B} ${IP} loadbalancer no-serving-endpoint`],
      announced: [`${IP}/32 main ${A}`],
    },
    {
      name: 'a Cluster sharer serving elsewhere is served from here: no veto',
      services: [svc(A, { lb: [IP], policy: 'Local' }), svc(B, { lb: [IP] })],
      slices: [slice(A, on('node-a')), slice(B, on('node-c'))],
      announced: [`${IP}/32 main ${A},${B}`],
    },
    {
      name: 'no sharer can serve anywhere: nothing, no conflict',
      services: [svc(A, { lb: [IP], policy: 'Local' }), svc(B, { lb: [IP] })],
      decisions: [`${A} ${IP} loadbalancer no-serving-endpoint`, `${B} ${IP} loadbalancer no-serving-endpoint`],
      announced: [],
    },
    {
      name: 'several vetoers are all named, sorted',
      services: [svc(C, { lb: [IP], policy: 'Local' }), svc(B, { lb: [IP], policy: 'Local' }), svc(A, { lb: [IP] })],
      slices: [slice(A, on('node-a')), slice(B, on('node-b')), slice(C, on('node-c'))],
      decisions: [
        `${A} ${IP} loadbalancer shared-ip-conflict conflicts=${B},${C}`,
        `${B} ${IP} loadbalancer no-local-endpoint`,
        `${C} ${IP} loadbalancer no-local-endpoint`,
      ],
    },
    {
      name: 'sharing across kinds: one Service’s LoadBalancer IP is another’s external IP',
      config: '[announce]\nexternal_ip = true',
      services: [svc(A, { lb: [IP] }), svc(B, { type: 'ClusterIP', external: [IP] })],
      slices: [slice(A, on('node-b')), slice(B, on('node-b'))],
      decisions: [`${A} ${IP} loadbalancer announced`, `${B} ${IP} external announced`],
      announced: [`${IP}/32 main ${A},${B}`],
    },
    {
      name: 'a sharer that opted out takes no part: it cannot veto',
      services: [svc(A, { lb: [IP] }), svc(B, { lb: [IP], policy: 'Local', annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'false' } })],
      slices: [slice(A, on('node-b')), slice(B, on('node-b'))],
      decisions: [`${A} ${IP} loadbalancer announced`, `${B} ${IP} loadbalancer advertise-disabled`],
      announced: [`${IP}/32 main ${A}`],
    },
    {
      name: "a sharer of another class is another implementation's business",
      services: [svc(A, { lb: [IP] }), svc(B, { lb: [IP], policy: 'Local', class: 'other' })],
      slices: [slice(A, on('node-b')), slice(B, on('node-b'))],
      announced: [`${IP}/32 main ${A}`],
    },
    {
      name: 'one IPv6 written two ways is one shared IP',
      services: [svc(A, { lb: ['2001:db8:1::50'], policy: 'Local' }), svc(B, { lb: ['2001:DB8:1:0:0:0:0:50'], policy: 'Local' })],
      slices: [slice(A, on('node-a'), 'IPv6'), slice(B, on('node-b'), 'IPv6')],
      decisions: [`${A} 2001:db8:1::50 loadbalancer shared-ip-conflict conflicts=${B}`, `${B} 2001:db8:1::50 loadbalancer no-local-endpoint`],
    },
  ]);
});

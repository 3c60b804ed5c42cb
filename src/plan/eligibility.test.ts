// This node announces nothing unless it can serve: Ready (configurable), not
// excluded by label (configurable), network available, matching node.selector.

import { describe } from 'node:test';
import { planCases } from './testing/cases.ts';
import { node, on, slice, svc } from './testing/fixtures.ts';

const WEB = 'default/web';
const services = [svc(WEB, { lb: ['192.0.2.10', '2001:db8:1::10'] })];
const slices = [slice(WEB, on('node-a', 'node-b')), slice(WEB, on('node-a', 'node-b'), 'IPv6')];
const both = (reason: string) => [`${WEB} 192.0.2.10 loadbalancer ${reason}`, `${WEB} 2001:db8:1::10 loadbalancer ${reason}`];
const withA = (a: ReturnType<typeof node>) => [a, node('node-b'), node('node-c')];
const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';

describe('node eligibility', () => {
  planCases([
    {
      name: 'a Ready node announces (both families)',
      services,
      slices,
      decisions: both('announced'),
      announced: [`192.0.2.10/32 main ${WEB}`, `2001:db8:1::10/128 main ${WEB}`],
    },
    { name: 'Ready False: nothing', services, slices, nodes: withA(node('node-a', { ready: 'False' })), decisions: both('node-not-ready'), announced: [] },
    { name: 'Ready Unknown (or missing) counts as not ready', services, slices, nodes: withA(node('node-a', { ready: 'Unknown' })), decisions: both('node-not-ready') },
    {
      name: 'require_node_ready = false announces from a node that is not Ready',
      config: '[announce]\nrequire_node_ready = false',
      services,
      slices,
      nodes: withA(node('node-a', { ready: 'False' })),
      decisions: both('announced'),
    },
    {
      name: 'the exclude-from-external-load-balancers label excludes, whatever its value',
      services,
      slices,
      nodes: withA(node('node-a', { labels: { [EXCLUDE]: 'false' } })),
      decisions: both('node-excluded'),
      announced: [],
    },
    {
      name: 'honor_exclude_label = false ignores the label',
      config: '[announce]\nhonor_exclude_label = false',
      services,
      slices,
      nodes: withA(node('node-a', { labels: { [EXCLUDE]: '' } })),
      decisions: both('announced'),
    },
    {
      name: 'NetworkUnavailable True: nothing',
      services,
      slices,
      nodes: withA(node('node-a', { networkUnavailable: 'True' })),
      decisions: both('node-network-unavailable'),
    },
    {
      name: 'NetworkUnavailable Unknown (no CNI reports it) does not block',
      services,
      slices,
      nodes: withA(node('node-a', { networkUnavailable: 'Unknown' })),
      decisions: both('announced'),
    },
    {
      name: 'node.selector matches',
      config: '[node]\nselector = "role=edge, zone in (z1,z2), !maintenance"',
      services,
      slices,
      nodes: withA(node('node-a', { labels: { role: 'edge', zone: 'z2' } })),
      decisions: both('announced'),
    },
    {
      name: 'node.selector does not match',
      config: '[node]\nselector = "role=edge, !maintenance"',
      services,
      slices,
      nodes: withA(node('node-a', { labels: { role: 'edge', maintenance: 'yes' } })),
      decisions: both('node-selector-mismatch'),
    },
    {
      name: 'this node unknown to the cluster: nothing, with a warning',
      node: 'node-z',
      services,
      slices,
      decisions: both('node-unknown'),
      warnings: ['node-unknown'],
    },
    {
      name: "the administrator's exclusion is reported before the node's state",
      services,
      slices,
      nodes: withA(node('node-a', { ready: 'False', networkUnavailable: 'True', labels: { [EXCLUDE]: 'true' } })),
      decisions: both('node-excluded'),
    },
    {
      name: "a Service's own problem is reported even on an ineligible node",
      services: [svc(WEB, { lb: ['203.0.113.1', '192.0.2.10'] })],
      slices,
      nodes: withA(node('node-a', { ready: 'False' })),
      decisions: [`${WEB} 192.0.2.10 loadbalancer node-not-ready`, `${WEB} 203.0.113.1 loadbalancer ip-not-in-pool`],
      warnings: ['ip-not-in-pool'],
    },
  ]);
});

// Which IPs of a Service are considered, and the rules that depend on the
// Service alone: kinds of IP, annotations, loadBalancerClass, ipMode, pools,
// malformed addresses.

import { describe } from 'node:test';
import { planCases } from './testing/cases.ts';
import { ep, slice, svc } from './testing/fixtures.ts';

const WEB = 'default/web';
const up = (key: string) => [slice(key, [ep('node-b')]), slice(key, [ep('node-b')], 'IPv6')];

describe('which IPs', () => {
  planCases([
    {
      name: 'a LoadBalancer ingress IP inside a pool, with a serving endpoint, is announced',
      services: [svc(WEB, { lb: ['192.0.2.10'] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
      announced: [`192.0.2.10/32 main ${WEB}`],
      warnings: [],
    },
    {
      name: 'ingress of a Service that is not type LoadBalancer is not considered',
      services: [svc(WEB, { type: 'NodePort', lb: ['192.0.2.10'] })],
      slices: up(WEB),
      decisions: [],
      announced: [],
    },
    {
      name: 'ipMode Proxy is never announced; the VIP ingress beside it is',
      services: [svc(WEB, { lb: [{ ip: '192.0.2.11', ipMode: 'Proxy' }, { ip: '192.0.2.10', ipMode: null }] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, `${WEB} 192.0.2.11 loadbalancer proxy-ip-mode`],
      announced: [`192.0.2.10/32 main ${WEB}`],
    },
    {
      name: 'an ingress with a hostname and no IP has nothing to route',
      services: [svc(WEB, { lb: [''] })],
      decisions: [],
    },
    {
      name: 'external IPs are off by default: not considered at all',
      services: [svc(WEB, { type: 'ClusterIP', external: ['192.0.2.20'], cluster: ['10.96.0.1'] })],
      slices: up(WEB),
      decisions: [],
      announced: [],
    },
    {
      name: 'announce.external_ip = true announces spec.externalIPs of any Service type',
      config: '[announce]\nexternal_ip = true',
      services: [svc(WEB, { type: 'ClusterIP', external: ['192.0.2.20', '2001:db8:1::20'] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.20 external announced`, `${WEB} 2001:db8:1::20 external announced`],
      announced: [`192.0.2.20/32 main ${WEB}`, `2001:db8:1::20/128 main ${WEB}`],
    },
    {
      name: 'announce.cluster_ip = true announces spec.clusterIPs, both families',
      config: '[announce]\ncluster_ip = true',
      services: [svc(WEB, { type: 'ClusterIP', cluster: ['2001:db8:2::5', '198.51.100.5'] })],
      slices: up(WEB),
      decisions: [`${WEB} 198.51.100.5 cluster announced`, `${WEB} 2001:db8:2::5 cluster announced`],
      announced: [`198.51.100.5/32 edge ${WEB}`, `2001:db8:2::5/128 edge ${WEB}`],
    },
    {
      name: 'the same IP as LoadBalancer and external IP: one decision each, one announcement',
      config: '[announce]\nexternal_ip = true',
      services: [svc(WEB, { lb: ['192.0.2.10'], external: ['192.0.2.10'] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, `${WEB} 192.0.2.10 external announced`],
      announced: [`192.0.2.10/32 main ${WEB}`],
    },
    {
      name: 'an IP listed twice is decided once',
      services: [svc(WEB, { lb: ['192.0.2.10', '192.0.2.10'] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
    {
      name: 'an ExternalName Service has no IPs',
      config: '[announce]\ncluster_ip = true\nexternal_ip = true',
      services: [svc(WEB, { type: 'ExternalName' })],
      decisions: [],
    },
  ]);
});

describe('annotations: opting out always works', () => {
  planCases([
    {
      name: 'kube-lb-agent.io/advertise-loadbalancer-ip: "false"',
      services: [svc(WEB, { lb: ['192.0.2.10'], annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'false' } })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer advertise-disabled`],
      announced: [],
    },
    {
      name: 'kube-router.io/service.advertise.loadbalancerip: "false"',
      services: [svc(WEB, { lb: ['192.0.2.10'], annotations: { 'kube-router.io/service.advertise.loadbalancerip': 'false' } })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer advertise-disabled`],
    },
    {
      name: "kube-router's older kube-router.io/service.skiplbips, whatever its value",
      services: [svc(WEB, { lb: ['192.0.2.10'], annotations: { 'kube-router.io/service.skiplbips': 'true' } })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer advertise-disabled`],
    },
    {
      name: 'opting out of external IPs leaves the LoadBalancer IP announced',
      config: '[announce]\nexternal_ip = true',
      services: [svc(WEB, { lb: ['192.0.2.10'], external: ['192.0.2.20'], annotations: { 'kube-router.io/service.advertise.externalip': 'F' } })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, `${WEB} 192.0.2.20 external advertise-disabled`],
    },
    {
      name: 'ours says true and kube-router says false: opting out wins',
      services: [
        svc(WEB, {
          lb: ['192.0.2.10'],
          annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'true', 'kube-router.io/service.advertise.loadbalancerip': '0' },
        }),
      ],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer advertise-disabled`],
    },
    {
      name: 'an unreadable value counts as false, with a warning',
      services: [svc(WEB, { lb: ['192.0.2.10'], annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'yes' } })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer advertise-disabled`],
      warnings: ['invalid-annotation'],
    },
    {
      name: 'an explicit "true" for a kind the config turns on changes nothing',
      services: [svc(WEB, { lb: ['192.0.2.10'], annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'True' } })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
  ]);
});

describe('annotations: opting in only where announce.allow_opt_in allows', () => {
  const optIn = { 'kube-lb-agent.io/advertise-external-ip': 'true' };
  planCases([
    {
      name: 'opt-in to external IPs without allow_opt_in is refused',
      services: [svc(WEB, { external: ['192.0.2.20'], annotations: optIn })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.20 external opt-in-not-allowed`],
      announced: [],
    },
    {
      name: 'opt-in to external IPs with allow_opt_in is announced',
      config: '[announce]\nallow_opt_in = true',
      services: [svc(WEB, { external: ['192.0.2.20'], annotations: optIn })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.20 external announced`],
    },
    {
      name: "kube-router's opt-in to cluster IPs (\"1\") with allow_opt_in",
      config: '[announce]\nallow_opt_in = true',
      services: [svc(WEB, { type: 'ClusterIP', cluster: ['198.51.100.7'], annotations: { 'kube-router.io/service.advertise.clusterip': '1' } })],
      slices: up(WEB),
      decisions: [`${WEB} 198.51.100.7 cluster announced`],
    },
    {
      name: 'opt-in to LoadBalancer IPs the config turned off, refused without allow_opt_in',
      config: '[announce]\nloadbalancer_ip = false',
      services: [
        svc(WEB, { lb: ['192.0.2.10'], annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'true' } }),
        svc('default/other', { lb: ['192.0.2.11'] }),
      ],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer opt-in-not-allowed`],
    },
    {
      name: 'allow_opt_in alone announces nothing that no annotation asks for',
      config: '[announce]\nallow_opt_in = true',
      services: [svc(WEB, { external: ['192.0.2.20'], cluster: ['10.96.0.10'] })],
      slices: up(WEB),
      decisions: [],
    },
  ]);
});

describe('loadBalancerClass', () => {
  planCases([
    {
      name: 'our class (announce.class default "kube-lb-agent") is handled',
      services: [svc(WEB, { lb: ['192.0.2.10'], class: 'kube-lb-agent' })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`],
    },
    {
      name: "another implementation's class is left to it; its external IPs are not class-bound",
      config: '[announce]\nexternal_ip = true',
      services: [svc(WEB, { lb: ['192.0.2.10'], external: ['192.0.2.20'], class: 'metallb.io/metallb' })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer class-mismatch`, `${WEB} 192.0.2.20 external announced`],
    },
    {
      name: 'class-less Services are ignored when default_class is off',
      config: '[announce]\ndefault_class = false',
      services: [svc(WEB, { lb: ['192.0.2.10'] }), svc('default/ours', { lb: ['192.0.2.12'], class: 'kube-lb-agent' })],
      slices: [...up(WEB), ...up('default/ours')],
      decisions: ['default/ours 192.0.2.12 loadbalancer announced', `${WEB} 192.0.2.10 loadbalancer class-mismatch`],
    },
    {
      name: 'a configured class name matches exactly',
      config: '[announce]\nclass = "example.com/edge"',
      services: [svc(WEB, { lb: ['192.0.2.10'], class: 'example.com/edge' }), svc('default/x', { lb: ['192.0.2.11'], class: 'kube-lb-agent' })],
      slices: [...up(WEB), ...up('default/x')],
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, 'default/x 192.0.2.11 loadbalancer class-mismatch'],
    },
  ]);
});

describe('pools are an allowlist; malformed IPs affect only their Service', () => {
  planCases([
    {
      name: 'an IPv4 outside every pool is refused with a warning; the in-pool IP beside it is announced',
      services: [svc(WEB, { lb: ['203.0.113.5', '192.0.2.10'] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer announced`, `${WEB} 203.0.113.5 loadbalancer ip-not-in-pool`],
      announced: [`192.0.2.10/32 main ${WEB}`],
      warnings: ['ip-not-in-pool'],
    },
    {
      name: 'an IPv6 outside every pool is refused',
      services: [svc(WEB, { lb: ['2001:db8:9::1', '2001:db8:1::1'] })],
      slices: up(WEB),
      decisions: [`${WEB} 2001:db8:1::1 loadbalancer announced`, `${WEB} 2001:db8:9::1 loadbalancer ip-not-in-pool`],
      warnings: ['ip-not-in-pool'],
    },
    {
      name: 'the pool holding the IP is named on the announcement',
      services: [svc(WEB, { lb: ['198.51.100.9', '2001:db8:2::9'] })],
      slices: up(WEB),
      announced: [`198.51.100.9/32 edge ${WEB}`, `2001:db8:2::9/128 edge ${WEB}`],
    },
    {
      name: 'a garbage IP is refused for its Service only',
      services: [svc('default/bad', { lb: ['10.0.0.300', 'not-an-ip'] }), svc(WEB, { lb: ['192.0.2.10'] })],
      slices: [...up(WEB), ...up('default/bad')],
      decisions: [
        'default/bad 10.0.0.300 loadbalancer invalid-ip',
        'default/bad not-an-ip loadbalancer invalid-ip',
        `${WEB} 192.0.2.10 loadbalancer announced`,
      ],
      announced: [`192.0.2.10/32 main ${WEB}`],
      warnings: ['invalid-ip', 'invalid-ip'],
    },
    {
      name: 'an IPv4 with a leading zero is refused (some tools read it as octal)',
      services: [svc(WEB, { lb: ['192.0.2.010'] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.010 loadbalancer invalid-ip`],
    },
    {
      name: 'an IPv6 with a zone is refused',
      services: [svc(WEB, { lb: ['fe80::1%eth0'] })],
      slices: up(WEB),
      decisions: [`${WEB} fe80::1%eth0 loadbalancer invalid-ip`],
    },
    {
      name: 'IPv6 is written canonically (RFC 5952) in decisions and announcements',
      services: [svc(WEB, { lb: ['2001:DB8:1:0:0::0010'] })],
      slices: up(WEB),
      decisions: [`${WEB} 2001:db8:1::10 loadbalancer announced`],
      announced: [`2001:db8:1::10/128 main ${WEB}`],
    },
    {
      name: 'an IPv4-mapped IPv6 address is IPv6, and no IPv6 pool holds it',
      services: [svc(WEB, { lb: ['::ffff:192.0.2.10'] })],
      slices: up(WEB),
      decisions: [`${WEB} ::ffff:c000:20a loadbalancer ip-not-in-pool`],
    },
    {
      name: 'with no pools configured nothing is announced',
      pools: '',
      services: [svc(WEB, { lb: ['192.0.2.10'] })],
      slices: up(WEB),
      decisions: [`${WEB} 192.0.2.10 loadbalancer ip-not-in-pool`],
      announced: [],
    },
  ]);
});

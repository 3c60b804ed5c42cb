// Elections: `all` (ECMP), `per-service` (one node per IP, MetalLB's
// sha256(node + "#" + ip) order), `leader` (one node for all). Candidates are
// the eligible, live nodes that could serve the IP.
//
// Golden orders for nodes a, b, c (sha256(node#ip) ascending), checked below
// against an independent MetalLB-style sort:
//   192.0.2.10 → c b a · 192.0.2.11 → a c b · 2001:db8:1::10 → a b c
//   192.0.2.50 → b c a · leader by sha256(name) → c a b

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { plan } from './plan.ts';
import { perServiceWinner, leaderOf, winsPerService } from './election.ts';
import { planCases } from './testing/cases.ts';
import { config, node, on, slice, snapshot, svc } from './testing/fixtures.ts';

const WEB = 'default/web';
const PER = '[announce]\nelection = "per-service"';
const LEADER = '[announce]\nelection = "leader"';
const web = (ip: string, policy: 'Cluster' | 'Local' = 'Cluster') => [svc(WEB, { lb: [ip], policy })];
const anywhere = [slice(WEB, on('node-b')), slice(WEB, on('node-b'), 'IPv6')];

describe('election = all', () => {
  planCases([
    { name: 'node-a announces (ECMP: every eligible node does)', services: web('192.0.2.10'), slices: anywhere, announced: [`192.0.2.10/32 main ${WEB}`] },
    { name: 'node-c announces the same IP', node: 'node-c', services: web('192.0.2.10'), slices: anywhere, announced: [`192.0.2.10/32 main ${WEB}`] },
    { name: 'liveAgents do not matter', services: web('192.0.2.10'), slices: anywhere, live: [], announced: [`192.0.2.10/32 main ${WEB}`] },
  ]);
});

describe('election = per-service', () => {
  planCases([
    { name: 'the first by sha256(node#ip) announces', config: PER, node: 'node-c', services: web('192.0.2.10'), slices: anywhere, announced: [`192.0.2.10/32 main ${WEB}`] },
    { name: 'the others do not', config: PER, services: web('192.0.2.10'), slices: anywhere, decisions: [`${WEB} 192.0.2.10 loadbalancer not-elected`], announced: [] },
    {
      name: 'nameWinners names the elected node',
      config: PER,
      nameWinners: true,
      services: web('192.0.2.10'),
      slices: anywhere,
      decisions: [`${WEB} 192.0.2.10 loadbalancer not-elected winner=node-c`],
    },
    { name: 'another IP, another winner: node-a', config: PER, services: web('192.0.2.11'), slices: anywhere, announced: [`192.0.2.11/32 main ${WEB}`] },
    {
      name: 'dual-stack: each family elected on its own',
      config: PER,
      services: [svc(WEB, { lb: ['192.0.2.10', '2001:db8:1::10'] })],
      slices: anywhere,
      decisions: [`${WEB} 192.0.2.10 loadbalancer not-elected`, `${WEB} 2001:db8:1::10 loadbalancer announced`],
    },
    {
      name: 'a node whose agent is not live does not compete: node-b takes over from node-c',
      config: PER,
      node: 'node-b',
      live: ['node-a', 'node-b'],
      services: web('192.0.2.10'),
      slices: anywhere,
      announced: [`192.0.2.10/32 main ${WEB}`],
    },
    {
      name: 'with no Lease known (liveAgents null), Ready decides: a NotReady node-c does not compete',
      config: `${PER}\nrequire_node_ready = false`,
      node: 'node-b',
      nodes: [node('node-a'), node('node-b'), node('node-c', { ready: 'False' })],
      services: web('192.0.2.10'),
      slices: anywhere,
      announced: [`192.0.2.10/32 main ${WEB}`],
    },
    {
      name: 'an excluded node does not compete',
      config: PER,
      node: 'node-b',
      nodes: [node('node-a'), node('node-b'), node('node-c', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } })],
      services: web('192.0.2.10'),
      slices: anywhere,
      announced: [`192.0.2.10/32 main ${WEB}`],
    },
    {
      name: 'Local: only nodes with a serving endpoint compete',
      config: PER,
      nameWinners: true,
      services: web('192.0.2.10', 'Local'),
      slices: [slice(WEB, on('node-a', 'node-b'))],
      decisions: [`${WEB} 192.0.2.10 loadbalancer not-elected winner=node-b`],
    },
    {
      name: 'this node not live (its own Lease unseen): it does not announce',
      config: PER,
      nameWinners: true,
      live: ['node-b', 'node-c'],
      services: web('192.0.2.11'),
      slices: anywhere,
      decisions: [`${WEB} 192.0.2.11 loadbalancer not-elected winner=node-c`],
    },
    {
      name: 'no live candidate at all: nobody is named',
      config: PER,
      nameWinners: true,
      live: [],
      services: web('192.0.2.11'),
      slices: anywhere,
      decisions: [`${WEB} 192.0.2.11 loadbalancer not-elected winner=null`],
    },
    {
      name: 'a shared IP goes where every Local sharer can be served (node-a), whatever the hash order',
      config: PER,
      services: [svc('shop/a', { lb: ['192.0.2.50'], policy: 'Local' }), svc('shop/b', { lb: ['192.0.2.50'], policy: 'Local' })],
      slices: [slice('shop/a', on('node-a', 'node-b')), slice('shop/b', on('node-a', 'node-c'))],
      announced: ['192.0.2.50/32 main shop/a,shop/b'],
    },
  ]);
});

describe('election = leader', () => {
  planCases([
    { name: 'the leader (smallest sha256 of its name) announces everything', config: LEADER, node: 'node-c', services: [svc(WEB, { lb: ['192.0.2.10', '192.0.2.11'] })], slices: anywhere, announced: [`192.0.2.10/32 main ${WEB}`, `192.0.2.11/32 main ${WEB}`] },
    {
      name: 'the others name the leader',
      config: LEADER,
      services: web('192.0.2.11'),
      slices: anywhere,
      decisions: [`${WEB} 192.0.2.11 loadbalancer not-elected winner=node-c`],
    },
    { name: 'the leader gone, the next in order leads', config: LEADER, live: ['node-a', 'node-b'], services: web('192.0.2.11'), slices: anywhere, announced: [`192.0.2.11/32 main ${WEB}`] },
    {
      name: 'Local on a leader without a local endpoint: nobody announces (the leader does not delegate)',
      config: LEADER,
      node: 'node-c',
      services: web('192.0.2.10', 'Local'),
      slices: [slice(WEB, on('node-a'))],
      decisions: [`${WEB} 192.0.2.10 loadbalancer no-local-endpoint`],
    },
    {
      name: '…while node-a, which has one, is not the leader',
      config: LEADER,
      services: web('192.0.2.10', 'Local'),
      slices: [slice(WEB, on('node-a'))],
      decisions: [`${WEB} 192.0.2.10 loadbalancer not-elected winner=node-c`],
    },
  ]);
});

/** MetalLB's sort, written independently: sha256 digests compared as bytes. */
function metallbOrder(nodes: readonly string[], ip: string): string[] {
  const d = (s: string) => createHash('sha256').update(s).digest();
  return [...nodes].sort((a, b) => Buffer.compare(d(`${a}#${ip}`), d(`${b}#${ip}`)));
}

const NAMES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
const IPS = Array.from({ length: 120 }, (_, i) => (i % 2 ? `2001:db8:1::${(i + 1).toString(16)}` : `192.0.2.${i + 1}`));

function announcersPerIp(live: readonly string[]): Map<string, string[]> {
  const services = IPS.map((ip, i) => svc(`ns/s${i}`, { lb: [ip] }));
  const slices = IPS.flatMap((_, i) => [slice(`ns/s${i}`, on('node-a')), slice(`ns/s${i}`, on('node-a'), 'IPv6')]);
  const snap = snapshot({ services, slices, nodes: NAMES.map((n) => node(n)) });
  const cfg = config(PER);
  const out = new Map<string, string[]>();
  for (const self of NAMES) {
    for (const a of plan({ config: cfg, snapshot: snap, nodeName: self, liveAgents: new Set(live) }).announcements) {
      out.set(a.ip, [...(out.get(a.ip) ?? []), self]);
    }
  }
  return out;
}

test('per-service: every IP is announced by exactly one node, the one MetalLB would pick', () => {
  const byIp = announcersPerIp(NAMES);
  assert.equal(byIp.size, IPS.length);
  for (const ip of IPS) assert.deepEqual(byIp.get(ip), [metallbOrder(NAMES, ip)[0]], ip);
  const counts = NAMES.map((n) => [...byIp.values()].filter((w) => w[0] === n).length);
  assert.ok(Math.min(...counts) >= 10, `IPs spread over the nodes: ${counts.join(' ')}`);
});

test('per-service: when a node leaves, only the IPs it held move (rendezvous hashing)', () => {
  const before = announcersPerIp(NAMES);
  const after = announcersPerIp(NAMES.filter((n) => n !== 'node-c'));
  for (const ip of IPS) {
    const was = before.get(ip)![0]!;
    if (was !== 'node-c') assert.equal(after.get(ip)![0], was, ip);
    else assert.equal(after.get(ip)![0], metallbOrder(NAMES, ip)[1], ip);
  }
});

test('golden orders match the independent sort; winsPerService agrees with perServiceWinner', () => {
  const abc = ['node-a', 'node-b', 'node-c'];
  assert.deepEqual(metallbOrder(abc, '192.0.2.10'), ['node-c', 'node-b', 'node-a']);
  assert.deepEqual(metallbOrder(abc, '192.0.2.11'), ['node-a', 'node-c', 'node-b']);
  assert.deepEqual(metallbOrder(abc, '2001:db8:1::10'), ['node-a', 'node-b', 'node-c']);
  assert.deepEqual(metallbOrder(abc, '192.0.2.50'), ['node-b', 'node-c', 'node-a']);
  assert.equal(leaderOf(abc), 'node-c');
  assert.equal(leaderOf([]), null);
  assert.equal(perServiceWinner([], '192.0.2.10'), null);
  for (const ip of IPS) {
    const winner = perServiceWinner(NAMES, ip);
    for (const n of NAMES) assert.equal(winsPerService(n, NAMES, ip), n === winner, `${n} ${ip}`);
  }
});

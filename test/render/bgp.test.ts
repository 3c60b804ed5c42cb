// The rendered BGP part against a real peer: a node namespace runs the
// rendered BIRD (kernel source) and then the rendered FRR (connected source),
// a router namespace runs a plain BIRD that offers the node a default route.
// eBGP with an IPv4 and an IPv6 session. The router must receive exactly the
// agent's routes inside the pools (never another protocol's, never the
// default) and the node must take nothing from it. The full lab (three
// nodes, ECMP, traffic) is test/lab; this is the unit-level proof that the
// files' explicit policies let the right routes out. Needs root, bird2, frr.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, type Netns } from '../kernel/helpers/netns.ts';
import { loadFixture, fixturePath } from './cases.ts';
import { renderBird, renderFrr, resolveRenderOptions, type Daemon } from '../../src/render/index.ts';
import { requireDaemons, startBird, startFrr, waitFor, type Bird } from './daemons.ts';

let node: Netns;
let router: Netns;
let routerBird: Bird;
const stops: (() => Promise<void>)[] = [];

const ROUTER_CONF = `
router id 10.0.0.254;
protocol device {}
protocol static default4 { ipv4; route 0.0.0.0/0 blackhole; route 10.250.0.0/16 blackhole; }
protocol static default6 { ipv6; route ::/0 blackhole; }
protocol bgp node4 {
  local 10.0.0.254 as 65000;
  neighbor 10.0.0.1 as 65001;
  ipv4 { import all; export all; };
}
protocol bgp node6 {
  local fd00::fe as 65000;
  neighbor fd00::1 as 65001;
  ipv6 { import all; export all; };
}
`;

before(async () => {
  requireDaemons();
  node = await createNetns('render-node');
  router = await createNetns('render-rtr');
  for (const ns of [node, router]) await ns.ip('link', 'set', 'lo', 'up');
  const veth = `klrv${process.pid % 100000}`;
  await node.ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'up0', 'netns', router.name);
  await node.ip('link', 'set', veth, 'name', 'up0');
  for (const [ns, v4, v6] of [[node, '10.0.0.1/24', 'fd00::1/64'], [router, '10.0.0.254/24', 'fd00::fe/64']] as const) {
    await ns.ip('addr', 'add', v4, 'dev', 'up0');
    await ns.ip('addr', 'add', v6, 'dev', 'up0', 'nodad');
    await ns.ip('link', 'set', 'up0', 'up');
  }
  await node.ip('link', 'add', 'kube-lb0', 'type', 'bridge');
  await node.ip('link', 'set', 'kube-lb0', 'up');
  routerBird = await startBird(router.name, ROUTER_CONF);
  stops.push(() => routerBird.stop());
});

after(async () => {
  for (const s of stops.reverse()) await s();
  await node?.remove();
  await router?.remove();
});

function render(daemon: Daemon, fixture: string): string {
  const config = loadFixture(fixture);
  const options = resolveRenderOptions(
    daemon,
    { routerId: '10.0.0.1', localAs: '65001', peerAs: '65000', neighbor: ['10.0.0.254', 'fd00::fe'] },
    { config, configPath: fixturePath(fixture), version: 'test' },
  );
  return (daemon === 'bird' ? renderBird(config, options) : renderFrr(config, options)).text;
}

/** The prefixes the router learned from the node over one session. */
async function received(protocol: 'node4' | 'node6'): Promise<string[]> {
  const out = await routerBird.birdc('show', 'route', 'protocol', protocol);
  return out
    .split('\n')
    .map((l) => /^(\S+\/\d+)\s/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined)
    .sort();
}

async function receivedOnce(protocol: 'node4' | 'node6', sentinel: string): Promise<string[]> {
  return waitFor(`the router to receive ${sentinel} over ${protocol}`, async () => {
    const r = await received(protocol);
    return r.includes(sentinel) ? r : undefined;
  }, 90_000);
}

test('BIRD node (kernel source): the router receives exactly the agent\'s pool routes; the node takes nothing', async () => {
  const add = (dst: string, proto: string) => node.ip('route', 'add', dst, 'dev', 'kube-lb0', 'table', '198', 'proto', proto);
  await add('192.0.2.10/32', '201');
  await add('198.51.100.7/32', '201');
  await add('2001:db8:1::10/128', '201');
  await add('192.0.2.11/32', 'boot');
  await add('192.0.2.0/24', '201');
  await add('203.0.113.1/32', '201');
  await add('2001:db8:1::11/128', '248');
  const bird = await startBird(node.name, render('bird', 'routes.toml'));
  stops.push(() => bird.stop());

  await receivedOnce('node4', '192.0.2.10/32');
  await add('192.0.2.99/32', '201');
  assert.deepEqual(await receivedOnce('node4', '192.0.2.99/32'), ['192.0.2.10/32', '192.0.2.99/32', '198.51.100.7/32']);
  assert.deepEqual(await receivedOnce('node6', '2001:db8:1::10/128'), ['2001:db8:1::10/128']);
  // The router offers a default route and 10.250.0.0/16 on both sessions: import none.
  const nodeRoutes = await bird.birdc('show', 'route', 'protocol', 'kube_lb_bgp1');
  assert.doesNotMatch(nodeRoutes, /0\.0\.0\.0\/0|10\.250\.0\.0/, nodeRoutes);
  assert.doesNotMatch(await bird.birdc('show', 'route', 'protocol', 'kube_lb_bgp2'), /::\/0/);
  await bird.stop();
  await node.ip('route', 'flush', 'table', '198');
});

test('FRR node (connected source): the router receives exactly the addresses on kube-lb0 in the pools; bgpd takes nothing', async () => {
  // Wait for the router to notice the BIRD node is gone, so what it holds next comes from FRR.
  await waitFor('the router to drop the BIRD node', async () => ((await received('node4')).length === 0 ? true : undefined), 120_000);
  const addr = (a: string, dev: string, ...flags: string[]) => node.ip('addr', 'add', a, 'dev', dev, ...flags);
  await addr('192.0.2.10/32', 'kube-lb0', 'noprefixroute');
  await addr('2001:db8:1::10/128', 'kube-lb0', 'nodad', 'noprefixroute');
  await addr('203.0.113.1/32', 'kube-lb0', 'noprefixroute');
  await addr('192.0.2.30/32', 'up0');
  const frr = await startFrr(node.name, render('frr', 'addresses.toml'));
  stops.push(() => frr.stop());

  await receivedOnce('node4', '192.0.2.10/32');
  await addr('192.0.2.99/32', 'kube-lb0', 'noprefixroute');
  assert.deepEqual(await receivedOnce('node4', '192.0.2.99/32'), ['192.0.2.10/32', '192.0.2.99/32']);
  assert.deepEqual(await receivedOnce('node6', '2001:db8:1::10/128'), ['2001:db8:1::10/128']);
  const v4 = JSON.parse(await frr.vtysh('show ip bgp json')) as { routes: Record<string, unknown> };
  assert.deepEqual(Object.keys(v4.routes).filter((p) => p === '0.0.0.0/0' || p.startsWith('10.250.')), [], 'nothing from the router');
  await frr.stop();
});

// Drift: someone else changes what the agent owns; the monitor notices and a
// pass repairs it — without a full dump where notifications tell enough. Each
// case prints its repair time two ways: from just before the `ip` command was
// spawned to the end of the repairing pass (an upper bound: it includes
// starting `ip`), and the reconciler's own latency from the first
// notification to the end of the pass.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { addresses, now, routes, withAgent, type AgentDriver, type PassEvent } from './helpers/agent.ts';
import type { Netns } from './helpers/netns.ts';
import { requireRoot } from './helpers/netns.ts';

const CONFIG = '[routing]\nmethod = "both"\n[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\n';
const ANNOUNCED = [
  { ip: '192.0.2.10', family: 4, prefix: 32, pool: 'a' },
  { ip: '192.0.2.11', family: 4, prefix: 32, pool: 'a' },
  { ip: '2001:db8:1::10', family: 6, prefix: 128, pool: 'a' },
];
const ROUTES4 = ['192.0.2.10 dev kube-lb0 proto 201 scope 253', '192.0.2.11 dev kube-lb0 proto 201 scope 253'];
const ROUTES6 = ['2001:db8:1::10 dev kube-lb0 proto 201 metric 1024 pref medium'];
const ADDRS = ['192.0.2.10/32', '192.0.2.11/32', '2001:db8:1::10/128'];

async function inSync(ns: Netns): Promise<void> {
  assert.deepEqual(await routes(ns, 4), ROUTES4);
  assert.deepEqual(await routes(ns, 6), ROUTES6);
  assert.deepEqual(await addresses(ns), ADDRS);
}

/** Runs the drift, waits for the pass that repairs it, prints the repair time. */
async function drift(t: TestContext, ns: Netns, agent: AgentDriver, what: string, ipArgs: string[], repaired: (p: PassEvent) => boolean): Promise<PassEvent> {
  const from = agent.passes.length;
  const t0 = now();
  await ns.ip(...ipArgs);
  const pass = await agent.waitForPass(repaired, from);
  t.diagnostic(
    `repair ${what}: ${(pass.at - t0).toFixed(2)} ms from spawning \`ip\`; ${pass.report.latencyMs.toFixed(2)} ms from the notification ` +
      `(pass ${pass.report.ms.toFixed(2)} ms, trigger ${pass.report.trigger}, full dump: ${pass.report.resynced})`,
  );
  return pass;
}

function scenario(name: string, body: (t: TestContext, ns: Netns, agent: AgentDriver) => Promise<void>) {
  test(name, { timeout: 60_000 }, async (t) => {
    requireRoot();
    await withAgent('drift', async () => {}, async (ns, agent) => {
      await agent.call('start');
      await agent.call('reconcile', { announced: ANNOUNCED, config: CONFIG });
      await agent.call('idle');
      await inSync(ns);
      await body(t, ns, agent);
      await agent.call('idle');
      await inSync(ns);
    });
  });
}

scenario('ip route del of our IPv4 route: added back, no dump', async (t, ns, agent) => {
  const p = await drift(t, ns, agent, 'ip route del (IPv4)', ['route', 'del', '192.0.2.10/32', 'table', '198'], (p) => p.report.routesAdded === 1);
  assert.equal(p.report.resynced, false);
  assert.equal(p.report.trigger, 'drift');
});

scenario('ip -6 route del of our IPv6 route: added back, no dump', async (t, ns, agent) => {
  const p = await drift(t, ns, agent, 'ip -6 route del', ['-6', 'route', 'del', '2001:db8:1::10/128', 'table', '198'], (p) => p.report.routesAdded === 1);
  assert.equal(p.report.resynced, false);
});

scenario('ip addr del of our address: added back, no dump', async (t, ns, agent) => {
  const p = await drift(t, ns, agent, 'ip addr del', ['addr', 'del', '192.0.2.11/32', 'dev', 'kube-lb0'], (p) => p.report.addressesAdded === 1);
  assert.equal(p.report.resynced, false);
});

scenario('ip route add of a foreign /32 with our protocol in our table: deleted', async (t, ns, agent) => {
  const p = await drift(
    t,
    ns,
    agent,
    'ip route add (stray /32, proto 201)',
    ['route', 'add', '198.51.100.7/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '201'],
    (p) => p.report.routesDeleted === 1,
  );
  assert.equal(p.report.resynced, false);
});

scenario('ip link del kube-lb0: recreated, its routes and addresses back (after a dump)', async (t, ns, agent) => {
  const p = await drift(t, ns, agent, 'ip link del kube-lb0', ['link', 'del', 'kube-lb0'], (p) => p.report.routesAdded === 3 && p.report.addressesAdded === 3);
  assert.equal(p.report.resynced, true, 'the kernel drops IPv4 routes of a deleted link without telling: dump');
  assert.equal(p.report.trigger, 'link');
  assert.ok(agent.logs.some((l) => l.msg === 'created interface'));
});

scenario('ip link set kube-lb0 down: up again, the routes the kernel dropped back', async (t, ns, agent) => {
  const p = await drift(t, ns, agent, 'ip link set down', ['link', 'set', 'kube-lb0', 'down'], (p) => p.report.resynced && p.report.routesAdded >= 2);
  assert.equal(p.report.trigger, 'link');
  assert.match(await ns.ip('-o', 'link', 'show', 'kube-lb0'), /<[^>]*\bUP\b/);
});

scenario('a route of ours changed to a blackhole: replaced in place', async (t, ns, agent) => {
  const p = await drift(
    t,
    ns,
    agent,
    'ip route replace (blackhole)',
    ['route', 'replace', 'blackhole', '192.0.2.11/32', 'table', '198', 'proto', '201'],
    (p) => p.report.routesReplaced === 1,
  );
  assert.equal(p.report.resynced, false);
});

scenario('ip addr flush dev kube-lb0: addresses back, and the IPv4 routes the kernel dropped silently with the last address', async (t, ns, agent) => {
  const p = await drift(t, ns, agent, 'ip addr flush (kernel drops IPv4 routes)', ['addr', 'flush', 'dev', 'kube-lb0'], (p) => p.report.resynced && p.report.routesAdded === 2);
  assert.equal(p.report.trigger, 'drift');
});

test('method "routes": an address someone put on kube-lb0 is removed, and our IPv4 routes survive the kernel dropping them with it', { timeout: 60_000 }, async (t) => {
  requireRoot();
  await withAgent('drift', async () => {}, async (ns, agent) => {
    await agent.call('start');
    await agent.call('reconcile', { announced: ANNOUNCED, config: CONFIG.replace('"both"', '"routes"') });
    await agent.call('idle');
    const p = await drift(t, ns, agent, 'ip addr add (stray address)', ['addr', 'add', '198.51.100.1/32', 'dev', 'kube-lb0'], (p) => p.report.trigger === 'flush' && p.report.routesAdded === 2);
    assert.equal(p.report.resynced, true);
    await agent.call('idle');
    assert.deepEqual(await routes(ns, 4), ROUTES4);
    assert.deepEqual(await routes(ns, 6), ROUTES6);
    assert.deepEqual(await addresses(ns), []);
  });
});

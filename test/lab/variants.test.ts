// Every routing-daemon variant we ship a config for converges in the lab:
// each node's daemon configured by `kube-lb-agent render` from its agent
// config, the router holding exactly the expected paths, real flows spread
// over the nodes. One fresh lab per variant.
//   bird-kernel       BIRD protocol kernel on table 198        (routing.method routes)
//   bird-direct       BIRD protocol direct on kube-lb0         (routing.method addresses)
//   frr-import-table  FRR ip import-table 198                  (routing.method routes)
//   frr-connected     FRR redistribute connected on kube-lb0   (routing.method addresses)
// FRR 8.4 has no `ipv6 import-table`: with frr-import-table the IPv6 VIPs are
// not announced (the rendered file says so), and the test asserts exactly that.
// Needs root, bird2, frr, iproute2, dbus, curl and dist/kube-lb-agent.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { VARIANTS, variantFamilies, type Variant } from './daemons.ts';
import { Lab } from './lab.ts';
import { moveEndpoints, putService } from './cluster.ts';
import { ipn } from './net.ts';
import { describePaths } from './router.ts';
import { runFlows } from './traffic.ts';

const t0 = Date.now();
const progress = (l: string) => process.env.KLA_LAB_LOG && process.stderr.write(`  lab [${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}\n`);
const OUTSIDE = ['203.0.113.50', '2001:db8:ffff::50'];

async function check(variant: Variant, t: TestContext): Promise<void> {
  const started = Date.now();
  const lab = await Lab.up({ variant, log: progress });
  try {
    const up = Date.now() - started;
    const paths = await lab.paths();
    t.diagnostic(`${variant}: converged ${up} ms after the start of the lab; router: ${describePaths(paths)}`);
    const want = lab.expectedPaths();
    for (const [vip, nodes] of want) assert.deepEqual(paths.get(vip), nodes, `${vip}: ${describePaths(paths)}`);
    // Nothing else: not the out-of-pool IP (on kube-ipvs0 of every node, as kube-proxy binds it), not the
    // Local VIP from nodes without its pod (also on their kube-ipvs0), not IPv6 where the variant cannot.
    assert.equal(paths.size, want.size, `only the expected VIPs: ${describePaths(paths)}`);
    for (const ip of OUTSIDE) assert.equal(paths.get(ip), undefined, ip);
    if (!variantFamilies(variant).includes(6)) {
      assert.equal(paths.get('2001:db8:100::11'), undefined);
      t.diagnostic(`${variant}: IPv6 VIPs not announced — FRR 8.4 has no \`ipv6 import-table\` (the rendered frr.conf says so)`);
    }
    const method = lab.settings.method;
    const n1 = lab.node('node1');
    if (method === 'addresses') {
      const addrs = await ipn(n1.ns, 'addr', 'show', 'dev', 'kube-lb0');
      assert.match(addrs, /198\.51\.100\.10\/32/, 'the agent put the VIP on kube-lb0');
    } else {
      const r = await ipn(n1.ns, 'route', 'show', 'table', '198');
      assert.match(r, /198\.51\.100\.10 dev kube-lb0 proto 201/, 'the agent put the route in table 198');
    }
    const r = await runFlows(lab.reaper, lab.net.client, '198.51.100.10', 150);
    t.diagnostic(`${variant}: 198.51.100.10 ${r.ok}/150 answered; per node ${JSON.stringify(r.perNode)}`);
    assert.equal(r.failed, 0, JSON.stringify(r.errors));
    for (const n of ['node1', 'node2', 'node3']) assert.ok((r.perNode[n] ?? 0) > 0, `${n} got no flow: ${JSON.stringify(r.perNode)}`);
    if (variantFamilies(variant).includes(6)) {
      const r6 = await runFlows(lab.reaper, lab.net.client, '2001:db8:100::11', 150);
      assert.equal(r6.failed, 0, JSON.stringify(r6.errors));
      assert.equal(Object.keys(r6.perNode).length, 3, JSON.stringify(r6.perNode));
    }
    // A change travels: the Local Service's pod moves node2 → node3.
    const moved = Date.now();
    await moveEndpoints(lab.api, 'local', ['node3']);
    await lab.waitPaths('198.51.100.12', ['node3'], 60_000);
    t.diagnostic(`${variant}: pod moved → router follows in ${Date.now() - moved} ms`);
    if (method === 'routes') await foreignRoute(lab, variant, t);
  } finally {
    await lab.down();
  }
}

/**
 * Another program's routes in table 198. BIRD selects the agent's routes by
 * krt_source (the route protocol) and the pools: none is exported. FRR
 * cannot see a kernel route's protocol, and with routing.metric 0 cannot
 * select by metric either: its rendered frr.conf says a foreign route inside
 * a pool IS exported (keep table 198 to the agent) — asserted as documented.
 * Outside the pools nothing is exported by either.
 */
async function foreignRoute(lab: Lab, variant: Variant, t: TestContext): Promise<void> {
  const ns = lab.node('node1').ns;
  const foreign = { inPoolMetric: '198.51.100.98', inPool: '198.51.100.99', outside: '203.0.113.77' };
  await ipn(ns, 'route', 'add', `${foreign.inPoolMetric}/32`, 'dev', 'kube-lb0', 'table', '198', 'proto', 'static', 'metric', '100');
  await ipn(ns, 'route', 'add', `${foreign.inPool}/32`, 'dev', 'kube-lb0', 'table', '198', 'proto', 'static');
  await ipn(ns, 'route', 'add', `${foreign.outside}/32`, 'dev', 'kube-lb0', 'table', '198', 'proto', 'static');
  // The control: a Service created after them reaches the router; whatever was going to be exported has been.
  await putService(lab.api, { name: 'late', ips: ['198.51.100.20'], policy: 'Cluster', endpointsOn: ['node1', 'node2', 'node3'], note: '' });
  await lab.waitPaths('198.51.100.20', ['node1', 'node2', 'node3'], 60_000);
  const paths = await lab.paths();
  assert.equal(paths.get(foreign.outside), undefined, `${foreign.outside} (outside the pools) exported: ${describePaths(paths)}`);
  if (variant === 'bird-kernel') {
    assert.equal(paths.get(foreign.inPool), undefined, `${foreign.inPool} (proto static) exported: ${describePaths(paths)}`);
    assert.equal(paths.get(foreign.inPoolMetric), undefined, `${foreign.inPoolMetric} (proto static) exported: ${describePaths(paths)}`);
    t.diagnostic(`${variant}: foreign routes in table 198 (proto static; in and outside the pool) not exported`);
  } else {
    assert.deepEqual(paths.get(foreign.inPool), ['node1'], 'as the rendered frr.conf documents: a foreign route inside a pool is exported');
    assert.deepEqual(paths.get(foreign.inPoolMetric), ['node1'], 'as documented: routing.metric 0 cannot be matched, so any metric passes');
    t.diagnostic(`${variant}: foreign route outside the pool not exported; foreign routes INSIDE the pool exported (proto static, metric 0 and 100) — FRR cannot match the route protocol, as the rendered frr.conf says`);
  }
}

describe('lab: each routing-daemon variant converges with its rendered config', () => {
  for (const v of VARIANTS) it(v, { timeout: 180_000 }, (t) => check(v, t));
});

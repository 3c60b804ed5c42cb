// The lab end to end with `election = "all"` and BIRD learning table 198
// (the default shipped setup): what the data centre's router holds, where
// real packets go, and what an agent restart or a stop does to the router.
// One lab for the whole file; each test leaves it as it found it.
// Needs root, bird2, iproute2, dbus, curl and dist/kube-lb-agent (npm run build).

import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { moveEndpoints, putService } from './cluster.ts';
import { delay, waitFor } from './daemon.ts';
import { Lab } from './lab.ts';
import { ipn } from './net.ts';
import { describePaths } from './router.ts';
import { Load, runFlows } from './traffic.ts';

const WEB = '198.51.100.10';
const DUAL4 = '198.51.100.11';
const DUAL6 = '2001:db8:100::11';
const LOCAL4 = '198.51.100.12';
const LOCAL6 = '2001:db8:100::12';
const OUTSIDE = ['203.0.113.50', '2001:db8:ffff::50'];
const ALL = ['node1', 'node2', 'node3'];

let lab: Lab;
const t0 = Date.now();
const progress = (l: string) => process.env.KLA_LAB_LOG && process.stderr.write(`  lab [${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}\n`);

async function converged(node: string): Promise<void> {
  await waitFor(`${node}'s agent converged`, async () => (await lab.agent(node).proc!.status()).phase === 'converged', 30_000, 100);
}

// Generous limits: a hang fails the file (and after() tears the lab down) instead of stalling the suite.
describe('lab: election "all", BIRD protocol kernel on table 198', { timeout: 300_000 }, () => {
  before(async () => {
    lab = await Lab.up({ log: progress });
  });
  after(async () => {
    await lab?.down();
  });

  it('every eligible node is a next hop of every VIP at the router, IPv4 and IPv6 (ECMP)', async (t: TestContext) => {
    const paths = await lab.paths();
    t.diagnostic(`router: ${describePaths(paths)}`);
    assert.deepEqual(paths.get(WEB), ALL);
    assert.deepEqual(paths.get(DUAL4), ALL);
    assert.deepEqual(paths.get(DUAL6), ALL);
    assert.deepEqual(paths.get(LOCAL4), ['node2'], 'the Local Service only where its pod is');
    assert.deepEqual(paths.get(LOCAL6), ['node2']);
    assert.equal(paths.size, 5, 'nothing else learned over BGP');
    // The agents say the same thing as the router.
    for (const n of ALL) {
      const s = await lab.agent(n).proc!.status();
      const ips = s.announcements.map((a) => a.ip).sort();
      const want = [WEB, DUAL4, DUAL6, ...(n === 'node2' ? [LOCAL4, LOCAL6] : [])].sort();
      assert.deepEqual(ips, want, `${n} announces`);
    }
  });

  it('externalTrafficPolicy: Local — only the node with the pod; moving the pod moves the path', async (t: TestContext) => {
    assert.deepEqual((await lab.paths()).get(LOCAL4), ['node2']);
    const moved = Date.now();
    await moveEndpoints(lab.api, 'local', ['node3']);
    await lab.waitPaths(LOCAL4, ['node3']);
    await lab.waitPaths(LOCAL6, ['node3']);
    t.diagnostic(`EndpointSlice patched → router sends ${LOCAL4} and ${LOCAL6} to node3 only: ${Date.now() - moved} ms`);
    const s2 = await lab.agent('node2').proc!.status();
    assert.equal(s2.decisions.find((d) => d.ip === LOCAL4)?.reason, 'no-local-endpoint');
    // Two pods: both nodes.
    await moveEndpoints(lab.api, 'local', ['node2', 'node3']);
    await lab.waitPaths(LOCAL4, ['node2', 'node3']);
    await lab.waitPaths(LOCAL6, ['node2', 'node3']);
    // Back as it was.
    await moveEndpoints(lab.api, 'local', ['node2']);
    await lab.waitPaths(LOCAL4, ['node2']);
    await lab.waitPaths(LOCAL6, ['node2']);
  });

  it('never exported: a Service IP outside the pool, a route of another protocol in table 198, kube-proxy\'s addresses', async (t: TestContext) => {
    const n1 = lab.node('node1');
    // Another program's routes in the agent's table (inside the pool, so only the protocol tells them apart).
    await ipn(n1.ns, 'route', 'add', '198.51.100.99/32', 'dev', 'kube-lb0', 'table', '198', 'proto', 'static');
    await ipn(n1.ns, '-6', 'route', 'add', '2001:db8:100::99/128', 'dev', 'kube-lb0', 'table', '198', 'proto', 'static');
    try {
      // A control that does travel: a new Service added after those routes reaches the router, so
      // anything that was going to be exported from before it has been by then.
      await putService(lab.api, { name: 'late', ips: ['198.51.100.20', '2001:db8:100::20'], policy: 'Cluster', endpointsOn: ALL, note: '' });
      await lab.waitPaths('198.51.100.20', ALL);
      await lab.waitPaths('2001:db8:100::20', ALL);
      const paths = await lab.paths();
      for (const ip of [...OUTSIDE, '198.51.100.99', '2001:db8:100::99']) assert.equal(paths.get(ip), undefined, `${ip} reached the router: ${describePaths(paths)}`);
      const table = await lab.routerTable();
      for (const ip of [...OUTSIDE, '198.51.100.99', '2001:db8:100::99']) assert.ok(!table.includes(ip), `${ip} in the router's table:\n${table}`);
      // Why: the agent refused the IP; the node's BIRD did not even learn the foreign routes.
      const s = await lab.agent('node1').proc!.status();
      for (const ip of OUTSIDE) assert.equal(s.decisions.find((d) => d.ip === ip)?.reason, 'ip-not-in-pool', ip);
      assert.deepEqual(await lab.routes198(n1.name, OUTSIDE[0]!), [], 'no route for the out-of-pool IP on the node');
      const learned = await lab.nodeBirdRoutes('node1');
      assert.ok(!learned.includes('198.51.100.99') && !learned.includes('2001:db8:100::99'), `node1's BIRD learned a foreign route:\n${learned}`);
      t.diagnostic(`not at the router: ${[...OUTSIDE, '198.51.100.99 (proto static)', '2001:db8:100::99 (proto static)'].join(', ')}`);
    } finally {
      await lab.api.delete({ kind: 'Service', namespace: 'default', name: 'late' });
      await ipn(n1.ns, 'route', 'del', '198.51.100.99/32', 'table', '198', 'proto', 'static').catch(() => {});
      await ipn(n1.ns, '-6', 'route', 'del', '2001:db8:100::99/128', 'table', '198', 'proto', 'static').catch(() => {});
    }
    await lab.waitPaths('198.51.100.20', []);
    await lab.waitPaths('2001:db8:100::20', []);
  });

  it('real traffic: flows to a VIP all answered, spread over every node (IPv4 and IPv6); a Local VIP only by its node', async (t: TestContext) => {
    for (const vip of [WEB, DUAL6]) {
      const r = await runFlows(lab.reaper, lab.net.client, vip, 300);
      t.diagnostic(`${vip}: ${r.ok}/300 answered in ${r.ms} ms; per node ${JSON.stringify(r.perNode)}`);
      assert.equal(r.failed, 0, JSON.stringify(r.errors));
      assert.equal(r.ok, 300);
      for (const n of ALL) assert.ok((r.perNode[n] ?? 0) > 0, `${n} got no flow of ${vip}: ${JSON.stringify(r.perNode)}`);
    }
    const local = await runFlows(lab.reaper, lab.net.client, LOCAL4, 100);
    t.diagnostic(`${LOCAL4} (Local): per node ${JSON.stringify(local.perNode)}`);
    assert.equal(local.failed, 0, JSON.stringify(local.errors));
    assert.deepEqual(Object.keys(local.perNode), ['node2']);
  });

  it('agent restart (restart job): no change of the node\'s path at the router, no request lost', async (t: TestContext) => {
    const n1 = lab.node('node1');
    const mon = await lab.monitor();
    const load = new Load(lab.reaper, lab.net.client, WEB, 4);
    const load6 = new Load(lab.reaper, lab.net.client, DUAL6, 4);
    await delay(1000);
    const agent = lab.agent('node1');
    const old = agent.proc!;
    const tStop = Date.now();
    const exit = await agent.restartJob();
    const tExit = Date.now();
    assert.equal(exit.code, 0, old.stderr);
    const decision = old.logged((l) => l.op === 'stop' && l.action !== undefined)[0];
    assert.equal(decision?.action, 'keep', JSON.stringify(decision));
    await converged('node1');
    const tConverged = Date.now();
    const s = await agent.proc!.status();
    assert.equal(s.boot.kind, 'same');
    await delay(1000);
    const [r, r6] = await Promise.all([load.stop(), load6.stop()]);
    t.diagnostic(`restart job: SIGTERM → old agent exited ${tExit - tStop} ms, → new agent converged ${tConverged - tStop} ms`);
    t.diagnostic(`load across the restart: ${WEB} ${r.ok} answered, ${r.failed} failed, per node ${JSON.stringify(r.perNode)}; ${DUAL6} ${r6.ok} answered, ${r6.failed} failed`);
    assert.equal(r.failed, 0, JSON.stringify(r.errors));
    assert.equal(r6.failed, 0, JSON.stringify(r6.errors));
    assert.ok((r.perNode.node1 ?? 0) > 0, 'node1 kept serving its share');
    const changes = [...mon.of(WEB), ...mon.of(DUAL4), ...mon.of(DUAL6), ...mon.of(LOCAL4), ...mon.of(LOCAL6)];
    t.diagnostic(`router route changes during the restart: ${changes.length}`);
    assert.deepEqual(changes.map((c) => c.line), [], 'the router saw no route change at all');
    assert.equal(mon.lostAt(WEB, n1.v4), undefined);
    assert.deepEqual((await lab.paths()).get(WEB), ALL);
  });

  it('stop job: the router drops the node\'s path before the agent process exits', async (t: TestContext) => {
    const n3 = lab.node('node3');
    const mon = await lab.monitor();
    const agent = lab.agent('node3');
    const tStop = Date.now();
    const exitP = agent.stopJob();
    await lab.waitPaths(WEB, ['node1', 'node2']);
    await lab.waitPaths(DUAL6, ['node1', 'node2']);
    const stillRunning = agent.running;
    const exit = await exitP;
    const tExit = Date.now();
    assert.equal(exit.code, 0);
    assert.ok(stillRunning, 'the agent was still running when the router had dropped its paths');
    for (const [vip, gw] of [[WEB, n3.v4], [DUAL4, n3.v4], [DUAL6, n3.v6]] as const) {
      const lost = mon.lostAt(vip, gw, tStop - 5);
      assert.ok(lost !== undefined, `${vip}: the router never dropped ${gw}`);
      assert.ok(lost < tExit, `${vip}: dropped at the router ${(lost - tExit).toFixed(0)} ms after the agent exited`);
      t.diagnostic(`${vip}: dropped at the router ${(lost - tStop).toFixed(0)} ms after SIGTERM, ${(tExit - lost).toFixed(0)} ms before the agent exited`);
    }
    agent.start();
    await lab.waitExpected();
  });

  it('system going down (logind PrepareForShutdown): withdrawn at the router while the agent still runs, before any SIGTERM', async (t: TestContext) => {
    const n3 = lab.node('node3');
    const agent = lab.agent('node3');
    await agent.proc!.waitLog('delay inhibitor held', (l) => l.op === 'inhibit' && /held/.test(l.msg), 20_000);
    const mon = await lab.monitor();
    const tSignal = Date.now();
    agent.prepareForShutdown();
    await lab.waitPaths(WEB, ['node1', 'node2']);
    await lab.waitPaths(DUAL6, ['node1', 'node2']);
    const lost = mon.lostAt(WEB, n3.v4, tSignal - 5)!;
    t.diagnostic(`PrepareForShutdown(true) → ${WEB} dropped at the router after ${(lost - tSignal).toFixed(0)} ms; the agent still runs: ${agent.running}`);
    assert.ok(agent.running, 'withdrawn before the agent was told to stop');
    // Then systemd stops the unit as part of the shutdown.
    const exit = await agent.stopJob({ systemStopping: true });
    const tExit = Date.now();
    assert.equal(exit.code, 0);
    assert.ok(lost < tExit);
    // Nothing came back in between.
    assert.deepEqual((await lab.paths()).get(WEB), ['node1', 'node2']);
    agent.start();
    await lab.waitExpected();
  });
});

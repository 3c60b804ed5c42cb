// The real agent against the test API server in a network namespace: what the
// cluster says reaches table 198, and what it stops saying leaves it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentProc } from './helpers/agent-proc.ts';
import { waitFor } from './helpers/procs.ts';
import { NODE_NAME, PEER, withWorld } from './helpers/world.ts';

const svcRef = (name: string) => ({ kind: 'Service', namespace: 'default', name });
const ingress = (...ips: string[]) => ({ status: { loadBalancer: { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) } } });

async function reasonOf(agent: AgentProc, ip: string): Promise<string | undefined> {
  return (await agent.status()).decisions.find((d) => d.ip === ip)?.reason;
}

describe('agent: convergence', () => {
  it('announces a created Service (IPv4 and IPv6); withdraws on an IP change, a class change and a delete', async () => {
    await withWorld('converge', {}, async (w) => {
      const agent = w.startAgent(w.config());
      await agent.waitLog('view synced', (l) => l.op === 'sync');
      await w.putService('web', ['192.0.2.10', '2001:db8::10']);
      await w.putService('api', ['192.0.2.11']);
      await w.waitRoutes(['192.0.2.10', '192.0.2.11', '2001:db8::10']);
      // The kernel holds exactly what the status says.
      const s = await agent.status();
      assert.equal(s.phase, 'converged');
      assert.deepEqual(s.announcements.map((a) => a.ip).sort(), ['192.0.2.10', '192.0.2.11', '2001:db8::10']);
      const routeLine = (await w.ip('-N', '-6', 'route', 'show', 'table', '198')).trim();
      assert.match(routeLine, /^2001:db8::10 dev kube-lb0 proto 201 /);

      const mon = await w.monitor();
      await w.api.patch(svcRef('web'), ingress('192.0.2.20', '2001:db8::20'));
      await w.waitRoutes(['192.0.2.11', '192.0.2.20', '2001:db8::20']);
      await mon.flush();
      assert.deepEqual(mon.deletions().map((e) => e.dst).sort(), ['192.0.2.10', '2001:db8::10'], 'only the old IPs were withdrawn');

      await w.api.patch(svcRef('api'), { spec: { loadBalancerClass: 'other.example/lb' } });
      await w.waitRoutes(['192.0.2.20', '2001:db8::20']);
      assert.equal(await reasonOf(agent, '192.0.2.11'), 'class-mismatch');

      await w.deleteService('web');
      await w.waitRoutes([]);
      assert.equal((await agent.status()).announcements.length, 0);
      await mon.flush();
      assert.deepEqual(mon.deletions().map((e) => e.dst).sort(), ['192.0.2.10', '192.0.2.11', '192.0.2.20', '2001:db8::10', '2001:db8::20']);
      assert.ok(agent.running, 'the agent is still running');
    });
  });

  it('withdraws the IPs of a pool removed from the config at the next start, and only those', async () => {
    await withWorld('pool', {}, async (w) => {
      const pools = { a: { cidrs: ['192.0.2.0/24', '2001:db8::/64'] }, b: { cidrs: ['198.51.100.0/24'] } };
      await w.putService('web', ['192.0.2.10', '2001:db8::10']);
      await w.putService('api', ['192.0.2.11']);
      await w.putService('other', ['198.51.100.5']);
      const first = w.startAgent(w.config({ pools }));
      await w.waitRoutes(['192.0.2.10', '192.0.2.11', '198.51.100.5', '2001:db8::10']);
      // No system bus: the stop kind is unknown, and unknown keeps the routes.
      const exit = await first.stop();
      assert.equal(exit.code, 0);
      assert.deepEqual(await w.routes(), ['192.0.2.10', '192.0.2.11', '198.51.100.5', '2001:db8::10'], 'routes kept over the restart');

      const mon = await w.monitor();
      const second = w.startAgent(w.config({ pools: { a: pools.a } }));
      await w.waitRoutes(['192.0.2.10', '192.0.2.11', '2001:db8::10']);
      assert.equal((await second.status()).boot.kind, 'same');
      assert.equal(await reasonOf(second, '198.51.100.5'), 'ip-not-in-pool');
      const warnings = () => second.logged((l) => l.op === 'plan' && l.reason === 'ip-not-in-pool' && String(l.service) === 'default/other').length;
      assert.equal(warnings(), 1, 'a warning is logged, once');
      await mon.flush();
      assert.deepEqual(mon.deletions().map((e) => e.dst), ['198.51.100.5'], 'nothing else flapped');

      // Other changes: not logged again while it stands. Fixed, then broken again: logged again.
      await w.putService('web', ['192.0.2.12', '2001:db8::10']);
      await w.waitRoutes(['192.0.2.11', '192.0.2.12', '2001:db8::10']);
      assert.equal(warnings(), 1, 'still once');
      await w.putService('other', ['192.0.2.50']);
      await w.waitRoutes(['192.0.2.11', '192.0.2.12', '192.0.2.50', '2001:db8::10']);
      await w.putService('other', ['198.51.100.5']);
      await w.waitRoutes(['192.0.2.11', '192.0.2.12', '2001:db8::10']);
      await waitFor('the warning again', () => warnings() === 2);
    });
  });

  it('follows a Local Service\'s endpoint from node to node', async () => {
    await withWorld('local', {}, async (w) => {
      await w.putService('loc', ['192.0.2.30', '2001:db8::30'], { policy: 'Local', endpointsOn: [NODE_NAME] });
      // Cluster policy: announced from every node while an endpoint serves anywhere.
      await w.putService('clu', ['192.0.2.31'], { endpointsOn: [PEER] });
      const agent = w.startAgent(w.config());
      await w.waitRoutes(['192.0.2.30', '192.0.2.31', '2001:db8::30']);

      await w.putEndpoints('loc', [PEER]);
      await w.waitRoutes(['192.0.2.31']);
      assert.equal(await reasonOf(agent, '192.0.2.30'), 'no-local-endpoint');

      await w.putEndpoints('loc', [PEER, NODE_NAME]);
      await w.waitRoutes(['192.0.2.30', '192.0.2.31', '2001:db8::30']);
      assert.equal(await reasonOf(agent, '192.0.2.30'), 'announced');

      await w.putEndpoints('loc', []);
      await w.waitRoutes(['192.0.2.31']);
    });
  });
});

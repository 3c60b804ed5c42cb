// The API server is down at boot, goes away under a running agent, or comes
// back with an empty Service list: unknown is never absent, and a mass
// withdrawal waits for safety.hold.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delay, waitFor } from './helpers/procs.ts';
import { withWorld, type World } from './helpers/world.ts';

const svcRef = (name: string) => ({ kind: 'Service', namespace: 'default', name });

/** web (dual-stack), a, b, c: five routes. */
async function fourServices(w: World): Promise<string[]> {
  await w.putService('web', ['192.0.2.10', '2001:db8::10']);
  await w.putService('a', ['192.0.2.11']);
  await w.putService('b', ['192.0.2.12']);
  await w.putService('c', ['192.0.2.13']);
  return ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '2001:db8::10'];
}

/** The API comes back with no Services at all (a broken RBAC rule, a wiped namespace): stopped, emptied, started with a fresh watch cache, so the agent relists and sees the empty list at once. */
async function emptyServiceList(w: World): Promise<void> {
  await w.api.stop();
  // (list() over the process needs the namespace: an absent one arrives as null and matches nothing.)
  const all = await w.api.list('Service', 'default');
  assert.ok(all.length > 0);
  for (const s of all) await w.deleteService(s.metadata!.name as string);
  await w.api.start({ freshWatchCache: true });
}

describe('agent: API trouble', () => {
  it('fresh boot with the API down: stale routes swept, nothing announced; API up → converges', async () => {
    await withWorld('freshdown', { apiDown: true }, async (w) => {
      const routes = await fourServices(w);
      await w.ip('link', 'set', 'kube-lb0', 'up');
      // Left from before the reboot: ours (swept), and another protocol's (never touched).
      await w.ip('route', 'add', '192.0.2.99/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
      await w.ip('route', 'add', '192.0.2.98/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '250');
      const mon = await w.monitor();
      const agent = w.startAgent(w.config());
      await agent.waitLog('running', (l) => l.op === 'run');
      await delay(1500);
      assert.deepEqual(await w.routes(), [], 'nothing of ours while the API is down');
      assert.match(await w.ip('-N', 'route', 'show', 'table', '198'), /192\.0\.2\.98 dev kube-lb0 proto 250/, "another protocol's route stays");
      const s = await agent.status();
      assert.equal(s.boot.kind, 'fresh');
      assert.equal(s.phase, 'syncing');
      assert.notEqual(s.api.state, 'up');
      const ready = await agent.http('/readyz');
      assert.equal(ready.status, 503);
      assert.match(ready.body, /waiting for the cluster view/);
      await mon.flush();
      assert.deepEqual(mon.additions().map((e) => e.dst), [], 'nothing announced');
      assert.deepEqual(mon.deletions().map((e) => e.dst), ['192.0.2.99'], 'the stale route of ours swept, nothing else');

      await w.api.start();
      await w.waitRoutes(routes);
      assert.equal((await agent.status()).phase, 'converged');
      assert.equal((await agent.http('/readyz')).status, 200);
    });
  });

  it('restart within the same boot with the API down keeps every route; API up with a changed world → converges', async () => {
    await withWorld('restartdown', {}, async (w) => {
      const routes = await fourServices(w);
      const first = w.startAgent(w.config());
      await w.waitRoutes(routes);
      await first.kill(); // a crash: no stop sequence at all
      await w.api.stop();
      // The world changes while nobody can see it.
      await w.deleteService('c');
      await w.putService('d', ['192.0.2.14']);

      const mon = await w.monitor();
      const second = w.startAgent(w.config());
      await second.waitLog('running', (l) => l.op === 'run');
      await delay(2000);
      assert.deepEqual(await w.routes(), routes, 'every route kept');
      const s = await second.status();
      assert.equal(s.boot.kind, 'same');
      assert.equal(s.phase, 'syncing');
      assert.equal(s.announcements.length, routes.length, 'adopted from the kernel');
      await mon.flush();
      assert.equal(mon.inTable().length, 0, `no route changes while the API is down: ${mon.inTable().map((e) => e.line).join('; ')}`);

      await w.api.start();
      await w.waitRoutes(['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.14', '2001:db8::10']);
      await mon.flush();
      assert.deepEqual(mon.deletions().map((e) => e.dst), ['192.0.2.13'], 'only the deleted Service was withdrawn');
      assert.deepEqual(mon.additions().map((e) => e.dst), ['192.0.2.14']);
    });
  });

  it('API dies while running: nothing withdrawn, /readyz says holding; comes back with changes → converges', async () => {
    await withWorld('apidies', {}, async (w) => {
      const routes = await fourServices(w);
      const agent = w.startAgent(w.config());
      await w.waitRoutes(routes);
      const mon = await w.monitor();

      await w.api.stop();
      await waitFor('phase holding', async () => (await agent.status()).phase === 'holding', 8000);
      const ready = await agent.http('/readyz');
      assert.equal(ready.status, 200, 'still serving what is announced');
      assert.match(ready.body, /serving 5 announcement\(s\) kept from the last synced view; API down/);
      assert.equal(await agent.metric('kube_lb_agent_api_up'), 0);
      assert.ok(agent.logged((l) => l.op === 'cycle' && l.reason === 'holding').length === 1, 'logged once');

      // Changes the agent cannot see yet.
      await w.deleteService('c');
      await w.api.patch(svcRef('b'), { status: { loadBalancer: { ingress: [{ ip: '192.0.2.22', ipMode: 'VIP' }] } } });
      await delay(1500);
      assert.deepEqual(await w.routes(), routes);
      await mon.flush();
      assert.deepEqual(mon.inTable(), [], 'nothing withdrawn while the API is down');

      await w.api.start();
      await w.waitRoutes(['192.0.2.10', '192.0.2.11', '192.0.2.22', '2001:db8::10']);
      await waitFor('phase converged', async () => (await agent.status()).phase === 'converged', 5000);
      await mon.flush();
      assert.deepEqual(mon.deletions().map((e) => e.dst).sort(), ['192.0.2.12', '192.0.2.13']);
    });
  });

  it('an empty Service list is held by the guard, then applied once it persists past safety.hold', async () => {
    await withWorld('guard', {}, async (w) => {
      const routes = await fourServices(w);
      const agent = w.startAgent(w.config({ safety: { hold: '3s' } }));
      await w.waitRoutes(routes);
      const mon = await w.monitor();

      await emptyServiceList(w);
      const held = await agent.waitLog('mass withdrawal held', (l) => l.op === 'guard' && l.reason === 'mass-withdrawal-held', 8000);
      assert.equal(held.withdraw, 5);
      const s = await agent.status();
      assert.equal(s.guard.holding, true);
      assert.equal(s.guard.wouldWithdraw, 5);
      assert.equal(s.guard.releaseAtMs! - s.guard.sinceMs!, 3000);
      assert.equal(await agent.metric('kube_lb_agent_withdrawals_held'), 5);
      assert.equal(await agent.metric('kube_lb_agent_withdrawals_held_total'), 1);
      assert.match((await agent.http('/readyz')).body, /holding a withdrawal of 5 of 5/);
      assert.deepEqual(await w.routes(), routes, 'routes stay while held');

      await w.waitRoutes([], 8000);
      await mon.flush();
      const dels = mon.deletions();
      assert.equal(dels.length, 5);
      for (const d of dels) assert.ok(d.at >= s.guard.releaseAtMs! - 50, `${d.dst} withdrawn ${(s.guard.releaseAtMs! - d.at).toFixed(0)} ms before the hold ended`);
      assert.ok(agent.logged((l) => l.op === 'guard' && l.reason === 'released').length === 1);
      assert.equal((await agent.status()).guard.holding, false);
      assert.equal(await agent.metric('kube_lb_agent_withdrawals_held'), 0);
    });
  });

  it('a recovery within safety.hold withdraws nothing', async () => {
    await withWorld('guardok', {}, async (w) => {
      const routes = await fourServices(w);
      const agent = w.startAgent(w.config({ safety: { hold: '20s' } }));
      await w.waitRoutes(routes);
      const mon = await w.monitor();

      await emptyServiceList(w);
      await agent.waitLog('mass withdrawal held', (l) => l.op === 'guard' && l.reason === 'mass-withdrawal-held', 8000);
      // Fixed: the API lists every Service again.
      await w.api.stop();
      await fourServices(w);
      await w.api.start({ freshWatchCache: true });
      await agent.waitLog('guard cleared', (l) => l.op === 'guard' && l.reason === 'cleared', 8000);
      await waitFor('phase converged', async () => (await agent.status()).phase === 'converged', 5000);
      const s = await agent.status();
      assert.equal(s.guard.holding, false);
      assert.deepEqual(await w.routes(), routes);
      await mon.flush();
      assert.deepEqual(mon.inTable(), [], 'zero route changes');
    });
  });

  // The periodic resync (60 s) is no help here: the loop must see for itself
  // when the API goes and when the view can be trusted again.
  describe('wakes up when the view changes trust', () => {
    it('/readyz says holding within 3 s of the API going down', async () => {
      await withWorld('downwake', {}, async (w) => {
        const routes = await fourServices(w);
        const agent = w.startAgent(w.config());
        await w.waitRoutes(routes);
        await w.api.stop();
        const t0 = Date.now();
        let last = { phase: '', api: '' };
        await waitFor('phase holding', async () => {
          const st = await agent.status();
          last = { phase: st.phase, api: st.api.state };
          return st.phase === 'holding';
        }, 3000).catch((e: Error) => {
          throw new Error(`${e.message}: phase still "${last.phase}" (API "${last.api}") ${Date.now() - t0} ms after the API went down`);
        });
        assert.deepEqual(await w.routes(), routes);
      });
    });

    it('a Service deleted while one watch fails is withdrawn once that watch is back', async () => {
      await withWorld('watchwake', {}, async (w) => {
        const routes = await fourServices(w);
        const agent = w.startAgent(w.config());
        await w.waitRoutes(routes);
        // The Nodes watch breaks and keeps failing (a 500 from an overloaded server); the rest works.
        await w.api.call('failRequests', { code: 500, path: { regex: '^/api/v1/nodes' }, times: null });
        await w.api.dropWatches({ resource: 'nodes' });
        await agent.waitLog('a Nodes attempt failed', (l) => l.op === 'api' && /nodes/.test(String(l.reason)), 5000);
        await w.deleteService('c');
        await delay(500);
        assert.deepEqual(await w.routes(), routes, 'held while the Nodes informer is not watching');
        await w.api.call('clearFaults');
        const t0 = Date.now();
        await w.waitRoutes(routes.filter((ip) => ip !== '192.0.2.13'), 5000).catch((e: Error) => {
          throw new Error(`${e.message}; phase ${agent.logs.filter((l) => l.op === 'phase').at(-1)?.phase}, ${Date.now() - t0} ms after the Nodes watch could work again`);
        });
      });
    });
  });
});

// Faults around the agent: a kubeconfig it cannot read, its interface deleted
// under it, a flood of Service updates.

import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { service } from '../apiserver/fixtures.ts';
import { delay, waitFor } from './helpers/procs.ts';
import { withWorld, type World } from './helpers/world.ts';

const ROUTES = ['192.0.2.10', '192.0.2.11', '2001:db8::10'];

async function twoServices(w: World): Promise<void> {
  await w.putService('web', ['192.0.2.10', '2001:db8::10']);
  await w.putService('a', ['192.0.2.11']);
}

describe('agent: faults', () => {
  it('an unreadable kubeconfig after a restart: keeps running, reports the API down, withdraws nothing; fixed → converges', async () => {
    await withWorld('kubeconfig', {}, async (w) => {
      await twoServices(w);
      const first = w.startAgent(w.config());
      await w.waitRoutes(ROUTES);
      assert.equal((await first.stop()).code, 0); // no system bus: keeps the routes

      const broken = join(w.dir, 'broken.kubeconfig');
      writeFileSync(broken, 'apiVersion: v1\nclusters: [ {{{ not yaml\n');
      await w.deleteService('a');
      const mon = await w.monitor();
      const agent = w.startAgent(w.config({ kubernetes: { kubeconfig: broken } }));
      await agent.waitLog('running', (l) => l.op === 'run');
      await delay(2000);
      assert.ok(agent.running, 'still running');
      const s = await agent.status();
      assert.notEqual(s.api.state, 'up');
      assert.match(String(s.api.lastError), /kubeconfig/i);
      assert.equal(s.phase, 'syncing');
      assert.equal(await agent.metric('kube_lb_agent_api_up'), 0);
      const ready = await agent.http('/readyz');
      assert.equal(ready.status, 503);
      assert.deepEqual(await w.routes(), ROUTES, 'nothing withdrawn');
      await mon.flush();
      assert.deepEqual(mon.inTable(), []);
      assert.ok(agent.logged((l) => l.op === 'api').length <= 2, `logged once per change, not per attempt: ${agent.logged((l) => l.op === 'api').length} lines`);

      // The file is fixed in place (an operator's edit): picked up without a restart.
      copyFileSync(w.api.info.kubeconfig, broken);
      await w.waitRoutes(['192.0.2.10', '2001:db8::10']);
      assert.equal((await agent.status()).api.state, 'up');
    });
  });

  it('kube-lb0 deleted while running: recreated, routes back', async () => {
    await withWorld('linkdel', {}, async (w) => {
      await twoServices(w);
      const agent = w.startAgent(w.config());
      await w.waitRoutes(ROUTES);
      const before = /^(\d+):/.exec(await w.ip('-o', 'link', 'show', 'kube-lb0'))![1];

      await w.ip('link', 'del', 'kube-lb0');
      await w.waitRoutes(ROUTES, 5000);
      const link = await w.ip('-o', '-d', 'link', 'show', 'kube-lb0');
      assert.notEqual(/^(\d+):/.exec(link)![1], before, 'a new interface');
      assert.match(link, /[<,]UP[,>]/, 'and up');
      assert.match(link, /\bbridge\b/, 'of the configured kind');
      await waitFor('no kernel error', async () => (await agent.status()).kernel.lastError === null, 3000);
    });
  });

  it('a flood of 1,000 Service updates within a second converges to the final state in a handful of reconciles', async () => {
    await withWorld('flood', {}, async (w) => {
      const N = 100;
      const ROUNDS = 10;
      const ip = (round: number, i: number) => `10.200.${round}.${i + 1}`;
      for (let i = 0; i < N; i++) await w.putService(`s${i}`, [ip(200, i)]);
      // Every Service changes its IP ten times; the guard would rightly hold a renumbering of most of them at once.
      const agent = w.startAgent(w.config({ pools: { a: { cidrs: ['10.200.0.0/16'] } }, safety: { max_withdraw_fraction: 1 } }));
      await w.waitRoutes(Array.from({ length: N }, (_, i) => ip(200, i)));
      await waitFor('converged', async () => (await agent.status()).phase === 'converged');
      const passes = async () => (await agent.metric('kube_lb_agent_reconcile_duration_seconds_count')) ?? NaN;
      const before = await passes();

      const t0 = Date.now();
      const writes: Promise<unknown>[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < N; i++) {
          writes.push(w.api.put(service('default', `s${i}`, { lbIPs: [ip(round, i)] })));
        }
      }
      await Promise.all(writes);
      const floodMs = Date.now() - t0;
      assert.ok(floodMs < 1000, `1,000 updates took ${floodMs} ms`);

      const final = Array.from({ length: N }, (_, i) => ip(ROUNDS - 1, i));
      await w.waitRoutes(final, 10_000);
      await delay(300);
      const cycles = (await passes()) - before;
      const s = await agent.status();
      assert.equal(s.phase, 'converged');
      assert.equal(s.announcements.length, N);
      assert.ok(cycles >= 1 && cycles <= 20, `${cycles} reconciles for 1,000 updates in ${floodMs} ms`);
      console.log(`# flood: 1,000 updates in ${floodMs} ms → ${cycles} reconciles`);

      // The same 1,000 updates paced evenly over a second: the loop coalesces only
      // what arrives while a cycle runs (there is no minimum interval), so this
      // costs many more, cheap, cycles (printed, not judged); it must still converge.
      const before2 = await passes();
      const t1 = Date.now();
      const paced: Promise<unknown>[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < N; i++) {
          const wait = t1 + round * N + i - Date.now();
          if (wait > 1) await delay(wait);
          paced.push(w.api.put(service('default', `s${i}`, { lbIPs: [ip(round + 20, i)] })));
        }
      }
      await Promise.all(paced);
      const pacedMs = Date.now() - t1;
      await w.waitRoutes(Array.from({ length: N }, (_, i) => ip(ROUNDS - 1 + 20, i)), 10_000);
      await delay(300);
      const pacedCycles = (await passes()) - before2;
      console.log(`# paced: 1,000 updates over ${pacedMs} ms → ${pacedCycles} reconciles`);
      assert.equal((await agent.status()).announcements.length, N);
    });
  });
});

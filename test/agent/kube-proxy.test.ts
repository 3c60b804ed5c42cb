// node.kube_proxy_healthz: the node announces only while its local kube-proxy
// answers healthy. A stand-in kube-proxy health endpoint (a tiny HTTP server
// in the agent's namespace, on kube-proxy's port 10256) answers 200 or 503 as
// the test says.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE } from './helpers/agent-proc.ts';
import { delay, killPid, track, waitFor } from './helpers/procs.ts';
import { withWorld, type World } from './helpers/world.ts';

const ROUTES = ['192.0.2.10', '2001:db8::10'];
const HEALTHZ = 'http://127.0.0.1:10256/healthz';

/** The stand-in: 200 while `flag` exists, else 503. Killed by PID when the world closes. */
async function kubeProxy(w: World): Promise<{ healthy(ok: boolean): void }> {
  const flag = join(w.dir, 'kube-proxy-healthy');
  const code = `const fs=require('node:fs');require('node:http').createServer((q,r)=>{r.statusCode=fs.existsSync(${JSON.stringify(flag)})?200:503;r.end()}).listen(10256,'127.0.0.1',()=>console.log('listening'))`;
  const child = track(spawn('ip', ['netns', 'exec', w.ns, NODE, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] }));
  w.onClose(() => killPid(child, 'SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`the kube-proxy stand-in exited (${c})`)));
  });
  return {
    healthy(ok) {
      if (ok) writeFileSync(flag, '');
      else if (existsSync(flag)) rmSync(flag);
    },
  };
}

describe('agent: kube-proxy health gate', () => {
  it('announces nothing until kube-proxy is healthy; withdraws while it is not; announces again when it recovers', async () => {
    await withWorld('kube-proxy', {}, async (w) => {
      const proxy = await kubeProxy(w);
      await w.putService('web', ROUTES);
      // max_withdraw_fraction 1: the guard lets the node's own withdrawal through at once.
      const agent = w.startAgent(w.config({ node: { name: 'node-a', kube_proxy_healthz: HEALTHZ }, safety: { max_withdraw_fraction: 1 } }));
      await waitFor('synced', async () => (await agent.status().catch(() => null))?.phase === 'converged', 15_000);
      await delay(500);
      assert.deepEqual(await w.routes(), [], 'nothing announced while kube-proxy has never answered healthy');
      const gated = await agent.status();
      assert.equal(gated.announcements.length, 0);
      // /status and explain say why.
      assert.deepEqual(gated.decisions.filter((d) => d.service === 'default/web').map((d) => `${d.ip} ${d.reason}`).sort(), ['192.0.2.10 kube-proxy-unhealthy', '2001:db8::10 kube-proxy-unhealthy']);

      proxy.healthy(true);
      await w.waitRoutes(ROUTES, 10_000);
      assert.equal(agent.logged((l) => l.op === 'kube-proxy' && /healthy: this node can serve/.test(l.msg)).length, 1);

      proxy.healthy(false);
      await w.waitRoutes([], 10_000);
      assert.equal(agent.logged((l) => l.op === 'kube-proxy' && /not healthy/.test(l.msg)).length, 1, 'one warning per change');

      proxy.healthy(true);
      await w.waitRoutes(ROUTES, 10_000);
      assert.equal((await agent.stop()).code, 0, agent.stderr);
    });
  });
});

// Kubernetes Events (kubernetes.events = true): the real agent in its
// namespace posts AnnouncementStarted / AnnouncementStopped on the Services
// it starts or stops announcing — with the reason from its plan, and at a
// stop job during the drain — read back from the test API server and with
// the real kubectl; a flood of 1,000 Service changes stays within the rate
// limits while the agent keeps converging; events off posts nothing.
// Root (network namespaces); kubectl at /usr/bin/kubectl for one check.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { service } from '../apiserver/fixtures.ts';
import { startPrivateBus } from '../dbus/helpers/private-bus.ts';
import { LogindStandIn } from '../dbus/helpers/standins.ts';
import { DEFAULT_EVENT_LIMITS } from '../../src/cluster/events.ts';
import { delay, waitFor } from './helpers/procs.ts';
import { NODE_NAME, PEER, withWorld, type World } from './helpers/world.ts';

interface Ev {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; namespace: string; name: string; uid?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component: string; host: string };
}

const events = async (w: World, ns?: string) => (await w.api.list('Event', ns)) as unknown as Ev[];
const on = (evs: Ev[], name: string, reason?: string) => evs.filter((e) => e.involvedObject.name === name && (reason === undefined || e.reason === reason));

function kubectl(w: World, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', w.ns, '/usr/bin/kubectl', '--kubeconfig', w.api.info.kubeconfig, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

describe('agent: Kubernetes Events', () => {
  it('started on a new Service; stopped with the plan\'s reason (no-local-endpoint, service-gone); kubectl shows them', async () => {
    await withWorld('events', {}, async (w) => {
      await w.putService('web', ['192.0.2.10', '2001:db8::10'], { policy: 'Local' });
      await w.putService('db', ['192.0.2.20']);
      await w.putService('one', ['192.0.2.30'], { policy: 'Local' });
      const agent = w.startAgent(w.config({ kubernetes: { events: true } }));
      await w.waitRoutes(['192.0.2.10', '192.0.2.20', '192.0.2.30', '2001:db8::10']);

      const started = await waitFor('AnnouncementStarted on web', async () => on(await events(w, 'default'), 'web', 'AnnouncementStarted')[0]);
      const svc = await w.api.get({ kind: 'Service', namespace: 'default', name: 'web' });
      assert.equal(started.involvedObject.uid, svc!.metadata.uid);
      assert.equal(started.type, 'Normal');
      assert.equal(started.message, `announcing IPs 192.0.2.10, 2001:db8::10 from node ${NODE_NAME}`);
      assert.deepEqual(started.source, { component: 'kube-lb-agent', host: NODE_NAME });
      await waitFor('AnnouncementStarted on db', async () => on(await events(w, 'default'), 'db', 'AnnouncementStarted').length === 1);

      // web's endpoints move to the peer: Local, so no longer served here.
      await w.putEndpoints('web', [PEER]);
      await w.waitRoutes(['192.0.2.20', '192.0.2.30']);
      // One Event per family here: the IPv4 and IPv6 slices change in two writes, so in two cycles.
      const stopped = await waitFor('AnnouncementStopped on web, both IPs', async () => {
        const msgs = on(await events(w, 'default'), 'web', 'AnnouncementStopped').map((e) => e.message);
        return msgs.join('\n').includes('192.0.2.10') && msgs.join('\n').includes('2001:db8::10') ? msgs : undefined;
      });
      for (const m of stopped) assert.match(m, new RegExp(`^stopped announcing (IPs )?[0-9a-f.:, ]+ from node ${NODE_NAME}: no-local-endpoint$`));
      const stopEvents = stopped.length;

      await w.deleteService('db');
      await w.waitRoutes(['192.0.2.30']);
      const gone = await waitFor('AnnouncementStopped on db', async () => on(await events(w, 'default'), 'db', 'AnnouncementStopped')[0]);
      assert.equal(gone.message, `stopped announcing 192.0.2.20 from node ${NODE_NAME}: service-gone`);

      // db created again under the same name: a new Service object, so a new Event on it.
      await w.putService('db', ['192.0.2.20']);
      await w.waitRoutes(['192.0.2.20', '192.0.2.30']);
      const dbStarts = await waitFor('db started again', async () => {
        const s = on(await events(w, 'default'), 'db', 'AnnouncementStarted');
        return s.length === 2 ? s : undefined;
      });
      assert.notEqual(dbStarts[0]!.involvedObject.uid, dbStarts[1]!.involvedObject.uid);

      // one flaps (Local, its endpoint away and back): the same "started" counted on one Event.
      await w.putEndpoints('one', [PEER]);
      await w.waitRoutes(['192.0.2.20']);
      await w.putEndpoints('one', [NODE_NAME]);
      await w.waitRoutes(['192.0.2.20', '192.0.2.30']);
      await waitFor('one started twice, on one Event', async () => {
        const s = on(await events(w, 'default'), 'one', 'AnnouncementStarted');
        return s.length === 1 && s[0]!.count === 2;
      });
      // web 1 + stops, db 3, one 3 (started, stopped, started again as a PATCH).
      await waitFor('every request made', async () => (await agent.metric('kube_lb_agent_kubernetes_events_total{outcome="posted"}')) === 7 + stopEvents);

      if (existsSync('/usr/bin/kubectl')) {
        const r = await kubectl(w, ['get', 'events', '-n', 'default']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /Normal\s+AnnouncementStarted\s+service\/web\s+announcing IPs 192\.0\.2\.10, 2001:db8::10 from node node-a/);
        assert.match(r.stdout, /Normal\s+AnnouncementStopped\s+service\/db\s+stopped announcing 192\.0\.2\.20 from node node-a: service-gone/);
        const d = await kubectl(w, ['describe', 'service', '-n', 'default', 'one']);
        assert.equal(d.code, 0, d.stderr);
        assert.match(d.stdout, /AnnouncementStarted\s+\S+ \(x2 over \S+\)\s+kube-lb-agent\s+announcing 192\.0\.2\.30 from node node-a/);
        assert.match(d.stdout, /AnnouncementStopped\s+\S+\s+kube-lb-agent\s+stopped announcing 192\.0\.2\.30 from node node-a: no-local-endpoint/);
      }
    });
  });

  it('a stop job: one AnnouncementStopped per Service (agent-stopping), posted during the drain', async () => {
    await withWorld('events-stop', {}, async (w) => {
      await w.putService('web', ['192.0.2.10']);
      await w.putService('db', ['192.0.2.20'], { namespace: 'shop' });
      const agent = w.startAgent(w.config({ kubernetes: { events: true }, shutdown: { withdraw: 'always', drain: '2s' } }));
      await w.waitRoutes(['192.0.2.10', '192.0.2.20']);
      await waitFor('both started', async () => (await events(w)).filter((e) => e.reason === 'AnnouncementStarted').length === 2);
      const exit = await agent.stop(30_000);
      assert.equal(exit.code, 0, agent.stderr);
      assert.deepEqual(await w.routes(), []);
      const stops = (await events(w)).filter((e) => e.reason === 'AnnouncementStopped');
      assert.deepEqual(stops.map((e) => `${e.involvedObject.namespace}/${e.involvedObject.name}: ${e.message}`).sort(), [
        `default/web: stopped announcing 192.0.2.10 from node ${NODE_NAME}: agent-stopping`,
        `shop/db: stopped announcing 192.0.2.20 from node ${NODE_NAME}: agent-stopping`,
      ]);
    });
  });

  it('a restart within the same boot adopts the routes: no second "started"; later changes are reported again', async () => {
    await withWorld('events-restart', {}, async (w) => {
      await w.putService('web', ['192.0.2.10']);
      await w.putService('db', ['192.0.2.20']);
      const config = w.config({ kubernetes: { events: true } });
      const first = w.startAgent(config);
      await w.waitRoutes(['192.0.2.10', '192.0.2.20']);
      await waitFor('both started', async () => (await events(w)).filter((e) => e.reason === 'AnnouncementStarted').length === 2);
      await first.kill(); // a crash: routes stay

      const second = w.startAgent(config);
      await waitFor('the new agent converged', async () => (await second.status()).phase === 'converged', 15_000);
      await delay(1000);
      assert.deepEqual((await events(w)).map((e) => `${e.reason} ${e.involvedObject.name} x${e.count}`).sort(), ['AnnouncementStarted db x1', 'AnnouncementStarted web x1']);

      await w.deleteService('db');
      await w.waitRoutes(['192.0.2.10']);
      const gone = await waitFor('db stopped', async () => on(await events(w), 'db', 'AnnouncementStopped')[0]);
      assert.equal(gone.message, `stopped announcing 192.0.2.20 from node ${NODE_NAME}: service-gone`);
    });
  });

  it('logind PrepareForShutdown(true): "stopped" with system-shutdown, once, and nothing more at the SIGTERM that follows', async () => {
    await withWorld('events-poweroff', {}, async (w) => {
      const bus = await startPrivateBus();
      w.onClose(() => bus.dispose());
      const logind = await LogindStandIn.start(bus.address);
      w.onClose(() => logind.close());
      await w.putService('web', ['192.0.2.10']);
      const agent = w.startAgent(w.config({ kubernetes: { events: true }, shutdown: { withdraw: 'always', drain: '500ms' } }), {
        bus: bus.address,
        env: { FAKE_INHIBIT_LOG: join(w.dir, 'inhibit.log') },
      });
      await w.waitRoutes(['192.0.2.10']);
      await waitFor('started', async () => (await events(w)).length === 1);
      await agent.waitLog('delay inhibitor held', (l) => l.op === 'inhibit' && /held/.test(l.msg));
      logind.prepareForShutdown(true);
      await w.waitRoutes([]);
      const stop = await waitFor('stopped', async () => on(await events(w), 'web', 'AnnouncementStopped')[0]);
      assert.equal(stop.message, `stopped announcing 192.0.2.10 from node ${NODE_NAME}: system-shutdown`);
      const exit = await agent.stop(30_000);
      assert.equal(exit.code, 0, agent.stderr);
      assert.deepEqual((await events(w)).map((e) => `${e.reason} x${e.count}`).sort(), ['AnnouncementStarted x1', 'AnnouncementStopped x1']);
    });
  });

  it('a stop job with the API hung: the agent withdraws and exits all the same; no Event', async () => {
    await withWorld('events-hung', {}, async (w) => {
      await w.putService('web', ['192.0.2.10']);
      const agent = w.startAgent(w.config({ kubernetes: { events: true }, shutdown: { withdraw: 'always', drain: '500ms' } }));
      await w.waitRoutes(['192.0.2.10']);
      await waitFor('started', async () => (await events(w)).length === 1);
      await w.api.hang(true);
      const exit = await agent.stop(60_000);
      await w.api.hang(false);
      assert.equal(exit.code, 0, agent.stderr);
      assert.equal(exit.signal ?? null, null, 'not killed: it exited by itself');
      assert.deepEqual(await w.routes(), []);
      assert.deepEqual((await events(w)).map((e) => e.reason), ['AnnouncementStarted']);
    });
  });

  it('a flood of 1,000 Service changes: Events within the rate limits, and the agent converges', async () => {
    await withWorld('events-flood', {}, async (w) => {
      const N = 100;
      const ROUNDS = 10;
      const ip = (round: number, i: number) => `10.200.${round}.${i + 1}`;
      for (let i = 0; i < N; i++) await w.putService(`s${i}`, [ip(200, i)]);
      const t0 = Date.now();
      const agent = w.startAgent(w.config({ kubernetes: { events: true }, pools: { a: { cidrs: ['10.200.0.0/16'] } }, safety: { max_withdraw_fraction: 1 }, shutdown: { withdraw: 'always', drain: '2s' } }));
      await w.waitRoutes(Array.from({ length: N }, (_, i) => ip(200, i)));
      const writes: Promise<unknown>[] = [];
      for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < N; i++) writes.push(w.api.put(service('default', `s${i}`, { lbIPs: [ip(round, i)] })));
      await Promise.all(writes);
      await w.waitRoutes(Array.from({ length: N }, (_, i) => ip(ROUNDS - 1, i)), 20_000);
      await waitFor('converged', async () => (await agent.status()).phase === 'converged');
      await delay(1000);

      const metric = async (outcome: string) => (await agent.metric(`kube_lb_agent_kubernetes_events_total{outcome="${outcome}"}`)) ?? NaN;
      // The objects first, then the counter: an Event posted between the two reads
      // is then counted but not listed, never listed but not counted.
      const evs = await events(w, 'default');
      const posted = await metric('posted');
      const elapsedMs = Date.now() - t0;
      const L = DEFAULT_EVENT_LIMITS;
      // A true upper bound: the global bucket's burst plus one token per interval since the agent started.
      const bound = L.globalBurst + Math.ceil(elapsedMs / L.globalRefillMs) + 1;
      const dropped = (await metric('rate_limited')) + (await metric('queue_full'));
      console.log(`# events flood: ${elapsedMs} ms, ${posted} requests posted (bound ${bound}), ${evs.length} Event objects, ${dropped} dropped, ${await metric('aggregated')} merged in the queue`);
      assert.ok(posted >= L.globalBurst, `the burst went out (${posted})`);
      assert.ok(posted <= bound, `${posted} posted in ${elapsedMs} ms: more than the global limit allows (${bound})`);
      assert.ok(evs.length <= posted, 'no more objects than requests');
      for (let i = 0; i < N; i++) {
        const mine = on(evs, `s${i}`);
        const perService = L.perServiceBurst + Math.ceil(elapsedMs / L.perServiceRefillMs) + 1;
        assert.ok(mine.length <= perService, `s${i}: ${mine.length} Events`);
      }
      assert.ok(dropped > 0, 'a flood of this size overflows the queue: what does not fit is dropped and counted');
      const s = await agent.status();
      assert.equal(s.phase, 'converged');
      assert.equal(s.announcements.length, N);
      // Still converging under the events' backlog: one more change reaches the kernel.
      await w.api.put(service('default', 's0', { lbIPs: ['10.200.99.1'] }));
      await w.waitRoutes([...Array.from({ length: N - 1 }, (_, i) => ip(ROUNDS - 1, i + 1)), '10.200.99.1']);

      // A stop job with the queue full of the flood's stale news: the "stopped" Events push the oldest out and go first.
      const exit = await agent.stop(30_000);
      assert.equal(exit.code, 0, agent.stderr);
      assert.deepEqual(await w.routes(), []);
      const stops = (await events(w, 'default')).filter((e) => e.reason === 'AnnouncementStopped' && e.message.endsWith(': agent-stopping'));
      console.log(`# events flood: ${stops.length} "agent-stopping" Events posted during the 2 s drain`);
      assert.ok(stops.length >= 1, 'at least the first "stopped" of the stop went out during the drain');
    });
  });

  it('events off (the default): not one Event, not one request for them', async () => {
    await withWorld('events-off', {}, async (w) => {
      await w.putService('web', ['192.0.2.10']);
      const agent = w.startAgent(w.config());
      await w.waitRoutes(['192.0.2.10']);
      await w.deleteService('web');
      await w.waitRoutes([]);
      await delay(500);
      assert.deepEqual(await events(w), []);
      const reqs = (await w.api.call('requests')) as { path: string }[];
      assert.deepEqual(reqs.filter((r) => r.path.includes('/events')), []);
      assert.equal(await agent.metric('kube_lb_agent_kubernetes_events_total{outcome="posted"}'), 0);
      const exit = await agent.stop();
      assert.equal(exit.code, 0);
      assert.deepEqual(await events(w), []);
    });
  });
});

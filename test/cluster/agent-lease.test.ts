// The agent's own Lease against the test API server: created, renewed
// (renewTime advances), taken over, 409 handled, deleted on close — and the
// cluster view signalling Lease changes only when the live set changes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lease } from '../apiserver/fixtures.ts';
import { startApiServer, type TestApiServer } from '../apiserver/server.ts';
import type { KubeObject } from '../apiserver/store.ts';
import { createAgentLease, createApiConnection, createClusterView, liveAgents, type ClusterChange } from '../../src/cluster/index.ts';
import { microTime } from '../../src/cluster/agent-lease.ts';
import { delay, FAST, kubernetesConfig, recordingLog, waitFor } from './helpers.ts';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
const ref = (node: string) => ({ kind: 'Lease', namespace: 'kube-system', name: `kube-lb-agent-${node}` });
const spec = (o: KubeObject | undefined) => (o?.spec ?? {}) as { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseDurationSeconds?: number; leaseTransitions?: number };

function agentLease(api: TestApiServer, nodeName: string, over = {}) {
  const rec = recordingLog();
  const kubeconfig = api.writeKubeconfig();
  const conn = createApiConnection({ kubeconfig, log: rec.log });
  const l = createAgentLease({ api: conn, kubernetes: kubernetesConfig(kubeconfig, over), nodeName, log: rec.log });
  return { lease: l, conn, rec };
}

describe('agent Lease', () => {
  let api: TestApiServer;
  before(async () => {
    api = await startApiServer();
  });
  after(() => api.close());

  test('microTime has exactly six fractional digits', () => {
    assert.equal(microTime(Date.UTC(2026, 10, 22, 10, 0, 0, 123)), '2026-11-22T10:00:00.123000Z');
  });

  test('created, renewed with an advancing renewTime, deleted on close (idempotent)', async () => {
    const { lease: l, conn, rec } = agentLease(api, 'n1');
    l.start();
    await waitFor('created', () => api.get(ref('n1')));
    const first = spec(api.get(ref('n1')));
    assert.equal(first.holderIdentity, 'n1');
    assert.equal(first.leaseDurationSeconds, 3);
    assert.match(first.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await waitFor('renewed twice', () => l.status().renewals >= 3);
    const later = spec(api.get(ref('n1')));
    assert.ok(Date.parse(later.renewTime!) > Date.parse(first.renewTime!), 'renewTime advances');
    assert.equal(later.acquireTime, first.acquireTime, 'acquireTime stays while we hold it');
    assert.equal(l.status().held, true);
    // Renewals are PUTs with the resourceVersion we read (optimistic concurrency).
    assert.ok(api.requests((r) => r.method === 'PUT' && r.path === `${LEASES}/kube-lb-agent-n1` && r.code === 200).length >= 2);
    await Promise.all([l.close(), l.close()]);
    await l.close();
    assert.equal(api.get(ref('n1')), undefined, 'deleted on a clean stop');
    assert.equal(rec.said(/deleted the agent Lease/).length, 1);
    const n = api.requests().length;
    await delay(700);
    assert.equal(api.requests().length, n, 'no renewals after close');
    conn.close();
  });

  test('409: someone wrote in between → re-read and retry; a holder elsewhere is taken over', async () => {
    const { lease: l, conn } = agentLease(api, 'n2');
    l.start();
    await waitFor('created', () => api.get(ref('n2')));
    // Another writer changes the Lease: our next PUT carries a stale resourceVersion → 409.
    api.put({ ...api.get(ref('n2'))!, spec: { ...spec(api.get(ref('n2'))), holderIdentity: 'intruder', leaseTransitions: 4 } });
    await waitFor('conflict handled', () => l.status().conflicts >= 1);
    await waitFor('ours again', () => spec(api.get(ref('n2'))).holderIdentity === 'n2');
    const s = spec(api.get(ref('n2')));
    assert.equal(s.leaseTransitions, 5, 'a takeover counts a transition');
    assert.ok(api.requests((r) => r.method === 'PUT' && r.path.endsWith('/kube-lb-agent-n2') && r.code === 409).length >= 1);
    assert.equal(l.status().lastError, null);
    await l.close();
    conn.close();
  });

  test('a Lease left by a previous run is taken over, not recreated; deleted behind our back → created again', async () => {
    api.put(lease('kube-system', 'kube-lb-agent-n3', { holder: 'n3', renewTime: microTime(Date.now() - 60_000) }));
    const uid = (api.get(ref('n3'))!.metadata as { uid: string }).uid;
    const { lease: l, conn } = agentLease(api, 'n3');
    l.start();
    await waitFor('renewed', () => l.status().renewals >= 1);
    assert.equal((api.get(ref('n3'))!.metadata as { uid: string }).uid, uid);
    api.delete(ref('n3'));
    await waitFor('recreated', () => api.get(ref('n3')));
    await l.close();
    assert.equal(api.get(ref('n3')), undefined);
    conn.close();
  });

  test('API down: renewals retry quietly; on close the Lease is left to expire', async () => {
    const { lease: l, conn, rec } = agentLease(api, 'n4');
    l.start();
    await waitFor('renewed', () => l.status().renewals >= 1);
    await api.stop();
    await delay(800);
    assert.notEqual(l.status().lastError, null);
    assert.equal(rec.said(/cannot renew/).length, 0, 'reachability is the connection\'s to log');
    await api.start();
    await waitFor('renewing again', () => l.status().lastError === null);
    await api.stop();
    await l.close(); // must not hang while the API is down
    await api.start();
    assert.ok(api.get(ref('n4')), 'still there: it expires on its own');
    assert.ok(rec.said(/could not delete/).length === 1);
    api.delete(ref('n4'));
    conn.close();
  });

  test('RBAC refusing Lease writes is said once, as a warning', async () => {
    api.authorize((a) => !(a.resource === 'leases' && a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch'));
    const { lease: l, conn, rec } = agentLease(api, 'n5');
    l.start();
    await api.waitForRequest((r) => r.method === 'POST' && r.path === LEASES && r.code === 403);
    await delay(600);
    assert.equal(rec.said(/cannot renew the agent Lease/).length, 1);
    assert.equal(l.status().held, false);
    api.authorize(undefined);
    await waitFor('created', () => api.get(ref('n5')));
    await l.close();
    conn.close();
  });
});

describe('live agents through the cluster view', () => {
  test('renewals do not signal; a new agent, a deleted Lease and an expiry do', async () => {
    const api = await startApiServer();
    const rec = recordingLog();
    const kubeconfig = api.writeKubeconfig();
    const conn = createApiConnection({ kubeconfig, log: rec.log });
    const k = kubernetesConfig(kubeconfig, { leaseDurationMs: 2000, leaseRenewMs: 200 });
    const view = createClusterView({ api: conn, kubernetes: k, log: rec.log, tuning: FAST });
    const changes: ClusterChange[] = [];
    view.onChange((c) => changes.push(c));
    view.start();
    const a = createAgentLease({ api: conn, kubernetes: k, nodeName: 'a', log: rec.log });
    const b = createAgentLease({ api: conn, kubernetes: k, nodeName: 'b', log: rec.log });
    const live = () => [...liveAgents(view.snapshot().agentLeases, Date.now())].sort().join(',');
    try {
      await waitFor('synced', () => view.snapshot().synced);
      a.start();
      await waitFor('a live', () => live() === 'a');
      const mark = changes.length;
      await waitFor('a renewed 4 times', () => a.status().renewals >= 5);
      assert.equal(changes.length, mark, 'renewals of a live agent change nothing the planner sees');
      b.start();
      await waitFor('b live', () => live() === 'a,b');
      await waitFor('signalled', () => changes.length > mark && changes.at(-1)!.kinds.has('agentLeases'));
      const m2 = changes.length;
      await b.close(); // clean stop: the Lease is deleted, peers see it at once
      await waitFor('b gone', () => live() === 'a');
      await waitFor('signalled', () => changes.length > m2);
      // A crash: the Lease stays and expires; the view's timer signals it.
      api.put(lease('kube-system', 'kube-lb-agent-c', { holder: 'c', durationSeconds: 1, renewTime: microTime(Date.now()) }));
      await waitFor('c live', () => live() === 'a,c');
      const m3 = changes.length;
      await waitFor('c expired and signalled', () => changes.length > m3 && live() === 'a', 3000);
    } finally {
      await a.close();
      await b.close();
      await view.close();
      conn.close();
      await api.close();
    }
  });
});

// The cluster view against the test API server (the real list/watch wire
// protocol over HTTPS): sync, events, cut connections, restarts, expired
// resourceVersions, the API down at start — and never an incomplete view
// reported as synced.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { endpointSlice, lease, node, service } from '../apiserver/fixtures.ts';
import { startApiServer, type TestApiServer } from '../apiserver/server.ts';
import {
  createApiConnection,
  createClusterView,
  type ApiConnection,
  type ClusterChange,
  type ClusterView,
  type InformerTuning,
} from '../../src/cluster/index.ts';
import { delay, FAST, kubernetesConfig, recordingLog, waitFor, type RecordingLog } from './helpers.ts';

const SVC = '/api/v1/services';
const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';

interface Harness {
  readonly view: ClusterView;
  readonly conn: ApiConnection;
  readonly rec: RecordingLog;
  readonly changes: ClusterChange[];
  close(): Promise<void>;
}

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

function startView(api: TestApiServer, tuning: Partial<InformerTuning> = {}, kubeconfig = api.writeKubeconfig()): Harness {
  const rec = recordingLog();
  const conn = createApiConnection({ kubeconfig, log: rec.log });
  const view = createClusterView({ api: conn, kubernetes: kubernetesConfig(kubeconfig), log: rec.log, tuning: { ...FAST, ...tuning } });
  const changes: ClusterChange[] = [];
  view.onChange((c) => changes.push(c));
  view.start();
  const h: Harness = {
    view,
    conn,
    rec,
    changes,
    async close() {
      await view.close();
      conn.close();
    },
  };
  open.push(h);
  return h;
}

function world(api: TestApiServer): void {
  for (let i = 1; i <= 5; i++) api.put(service('shop', `svc-${i}`, { lbIPs: [`192.0.2.${i}`], externalTrafficPolicy: i % 2 ? 'Local' : 'Cluster' }));
  api.put(service('shop', 'plain')); // ClusterIP
  api.put(node('n1'));
  api.put(node('n2', { ready: false }));
  api.put(endpointSlice('shop', 'svc-1', [{ ip: '10.1.0.1', node: 'n1' }, { ip: '10.1.0.2', node: 'n2', ready: false }]));
  api.put(endpointSlice('shop', 'svc-1', [{ ip: 'fd01::1', node: 'n1' }]));
  const orphan = endpointSlice('shop', 'x', [{ ip: '10.9.9.9' }], { name: 'orphan' });
  delete (orphan.metadata as { labels?: unknown }).labels;
  api.put(orphan);
  const now = new Date().toISOString();
  api.put(lease('kube-system', 'kube-lb-agent-n1', { holder: 'n1', renewTime: now }));
  api.put(lease('kube-system', 'kube-controller-manager', { holder: 'cp1', renewTime: now }));
  api.put(lease('other', 'kube-lb-agent-n9', { holder: 'n9', renewTime: now }));
}

describe('cluster view', () => {
  let api: TestApiServer;
  before(async () => {
    api = await startApiServer();
  });
  after(() => api.close());

  test('initial list in pages → a synced Snapshot holding the views', async () => {
    for (const k of ['Service', 'Node', 'EndpointSlice', 'Lease']) for (const o of api.list(k)) api.delete(o);
    world(api);
    const h = startView(api);
    await waitFor('synced', () => h.view.snapshot().synced);
    const s = h.view.snapshot();
    assert.deepEqual([...s.services.keys()].sort(), ['shop/plain', 'shop/svc-1', 'shop/svc-2', 'shop/svc-3', 'shop/svc-4', 'shop/svc-5']);
    assert.deepEqual(s.services.get('shop/svc-1')!.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }]);
    assert.equal(s.services.get('shop/svc-1')!.externalTrafficPolicy, 'Local');
    assert.deepEqual(
      s.endpointSlices.get('shop/svc-1')!.map((x) => [x.addressType, x.endpoints.map((e) => `${e.nodeName}:${e.ready}`)]),
      [
        ['IPv4', ['n1:true', 'n2:false']],
        ['IPv6', ['n1:true']],
      ],
    );
    assert.equal(s.endpointSlices.has('shop/x'), false, 'a slice without the service-name label belongs to no Service');
    assert.deepEqual([...s.nodes.values()].map((n) => `${n.name}:${n.ready}`).sort(), ['n1:True', 'n2:False']);
    assert.deepEqual([...s.agentLeases.keys()], ['n1'], 'only kube-lb-agent-* Leases of the lease namespace');
    assert.ok(Object.isFrozen(s));
    assert.equal(h.view.snapshot(), s, 'the same Snapshot object until something changes');
    // Paged lists (pageSize 2 in tests): several list requests per resource, none without a limit.
    const lists = api.requests((r) => r.path === SVC && !r.watch);
    assert.ok(lists.length >= 3, `expected paged lists, saw ${lists.length}`);
    assert.ok(lists.every((r) => /(^|&)limit=2(&|$)/.test(r.query)));
    // Watches from the list's resourceVersion, with bookmarks.
    const w = await api.waitForWatch((x) => x.resource === 'services');
    assert.match(w.query, /allowWatchBookmarks=true/);
    assert.notEqual(w.resourceVersion, '');
    // The synced signal names every kind; none before it claims synced.
    const first = h.changes.findIndex((c) => c.synced);
    assert.ok(first >= 0);
    assert.deepEqual([...h.changes[first]!.kinds].sort(), ['agentLeases', 'endpointSlices', 'nodes', 'services']);
    assert.ok(h.changes.slice(0, first).every((c) => !c.synced));
    assert.equal(h.rec.said(/cluster view synced/).length, 1);
  });

  test('create, update and delete are seen; changes the planner cannot see are not signalled', async () => {
    const h = startView(api);
    await waitFor('synced', () => h.view.snapshot().synced);
    const mark = h.changes.length;
    api.create(service('shop', 'new', { type: 'LoadBalancer' }));
    await waitFor('created', () => h.view.snapshot().services.get('shop/new'));
    api.patch({ kind: 'Service', namespace: 'shop', name: 'new' }, { status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } } });
    await waitFor('status', () => h.view.snapshot().services.get('shop/new')!.ingress[0]?.ip === '198.51.100.7');
    api.put(endpointSlice('shop', 'new', [{ ip: '10.2.0.1', node: 'n2' }]));
    await waitFor('slice', () => h.view.snapshot().endpointSlices.get('shop/new'));
    api.patch({ kind: 'Node', name: 'n2' }, { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await waitFor('node ready', () => h.view.snapshot().nodes.get('n2')!.ready === 'True');
    api.delete({ kind: 'Service', namespace: 'shop', name: 'new' });
    await waitFor('deleted', () => !h.view.snapshot().services.has('shop/new'));
    assert.ok(h.changes.length > mark);
    assert.ok(h.changes.slice(mark).every((c) => c.synced));

    // A label the planner does not read: the object changes, the view does not.
    const before = h.view.snapshot();
    const n = h.changes.length;
    api.patch({ kind: 'Service', namespace: 'shop', name: 'svc-2' }, { metadata: { labels: { touched: 'yes' } } });
    api.patch({ kind: 'Node', name: 'n1' }, { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() }] } });
    const rvOf = (r: string) => h.view.status().informers.find((i) => i.resource === r)!.resourceVersion;
    const last = Number(api.resourceVersion);
    await waitFor('both events delivered', () => Number(rvOf('services')) >= last - 1 && Number(rvOf('nodes')) >= last);
    await delay(50);
    assert.equal(h.changes.length, n, 'no signal for changes outside the views');
    assert.equal(h.view.snapshot(), before);
  });

  test('a cut connection resumes from the last resourceVersion without losing events', async () => {
    const h = startView(api);
    await waitFor('synced', () => h.view.snapshot().synced);
    const listsBefore = api.requests((r) => r.path === SVC && !r.watch).length;
    const w = await api.waitForWatch((x) => x.resource === 'services');
    const cut = api.dropWatches({ resource: 'services' });
    assert.ok(cut >= 1);
    // Written while no watch is open: must arrive through the resumed watch.
    api.put(service('shop', 'during-cut', { lbIPs: ['192.0.2.99'] }));
    api.delete({ kind: 'Service', namespace: 'shop', name: 'svc-5' });
    await waitFor('replayed', () => h.view.snapshot().services.has('shop/during-cut') && !h.view.snapshot().services.has('shop/svc-5'));
    const resumed = await api.waitForWatch((x) => x.resource === 'services' && x.id !== w.id);
    assert.notEqual(resumed.resourceVersion, '', 'resumed from a version, not from scratch');
    assert.equal(api.requests((r) => r.path === SVC && !r.watch).length, listsBefore, 'no relist after a plain disconnect');
    assert.equal(h.view.snapshot().synced, true);

    // A graceful end (the server's timeout) resumes just the same.
    api.dropWatches({ resource: 'services', graceful: true });
    api.put(service('shop', 'after-graceful'));
    await waitFor('after graceful', () => h.view.snapshot().services.has('shop/after-graceful'));
    assert.equal(api.requests((r) => r.path === SVC && !r.watch).length, listsBefore);
    api.put(service('shop', 'svc-5', { lbIPs: ['192.0.2.5'] }));
  });

  test('a restarted server: keeps the view while down, recovers, logs each change of state once', async () => {
    const h = startView(api);
    await waitFor('synced', () => h.view.snapshot().synced);
    await api.stop();
    api.put(service('shop', 'while-down'));
    await delay(600); // several failed attempts
    const down = h.view.snapshot();
    assert.equal(down.synced, true, 'the last complete view stays');
    assert.equal(down.services.has('shop/while-down'), false);
    assert.equal(h.conn.status().state, 'down');
    await api.start();
    await waitFor('recovered', () => h.view.snapshot().services.has('shop/while-down'));
    await waitFor('up', () => h.conn.status().state === 'up');
    assert.equal(h.rec.said(/API unreachable/).length, 1, 'unreachable said once, not per attempt');
    assert.equal(h.rec.said(/^API reachable/).length, 2, 'reachable: at start and after the restart');
    api.delete({ kind: 'Service', namespace: 'shop', name: 'while-down' });
  });

  test('410 Gone → relist; until the relist is whole the old view stays, marked synced', async () => {
    const h = startView(api);
    await waitFor('synced', () => h.view.snapshot().synced);
    api.put(service('shop', 'doomed', { lbIPs: ['192.0.2.50'] }));
    await waitFor('doomed seen', () => h.view.snapshot().services.has('shop/doomed'));
    const listsBefore = api.requests((r) => r.path === SVC && !r.watch).length;
    const mark = h.changes.length;
    // Lists fail for a while after the 410: the relist cannot complete yet.
    api.failRequests({ path: SVC, method: 'GET', code: 500, times: 4 });
    api.dropWatches({ resource: 'services' });
    api.delete({ kind: 'Service', namespace: 'shop', name: 'doomed' });
    api.compact();
    await api.waitForRequest((r) => r.path === SVC && !r.watch && r.code === 500, 5000);
    const during = h.view.snapshot();
    assert.equal(during.synced, true);
    assert.equal(during.services.has('shop/doomed'), true, 'old content kept while relisting');
    assert.ok(h.changes.slice(mark).every((c) => c.synced));
    await waitFor('relisted', () => !h.view.snapshot().services.has('shop/doomed'));
    assert.ok(api.requests((r) => r.path === SVC && !r.watch && r.code === 200).length > listsBefore);
    assert.equal(h.view.snapshot().synced, true);
    assert.ok(h.changes.slice(mark).every((c) => c.synced));
    assert.ok(h.rec.said(/expired; relisting/).length >= 1);
    api.clearFaults();
  });

  test('periodic relist as a safety net; no signal when it finds nothing new', async () => {
    const h = startView(api, { relistIntervalMs: 300 });
    await waitFor('synced', () => h.view.snapshot().synced);
    const snap = h.view.snapshot();
    const n = h.changes.length;
    const lists = () => api.requests((r) => r.path === SLICES && !r.watch).length;
    const l0 = lists();
    await waitFor('two relists', () => lists() >= l0 + 4, 5000);
    assert.equal(h.changes.length, n);
    assert.equal(h.view.snapshot(), snap);
  });

  test('bookmarks move the resourceVersion on without events', async () => {
    const h = startView(api);
    await waitFor('synced', () => h.view.snapshot().synced);
    const rv = api.advance(50);
    await waitFor('bookmark seen', () => h.view.status().informers.every((i) => Number(i.resourceVersion) >= Number(rv)), 5000);
  });
});

describe('cluster view, API trouble', () => {
  test('API down at start, up later → syncs; "not reachable yet" said once', async () => {
    const api = await startApiServer({ listen: false });
    try {
      world(api);
      const h = startView(api);
      await delay(700);
      assert.equal(h.view.snapshot().synced, false);
      assert.equal(h.view.snapshot().services.size, 0);
      assert.equal(h.conn.status().state, 'connecting');
      assert.ok(h.changes.every((c) => !c.synced));
      await api.start();
      await waitFor('synced', () => h.view.snapshot().synced);
      assert.equal(h.view.snapshot().services.size, 6);
      assert.equal(h.rec.said(/not reachable yet/).length, 1);
      assert.equal(h.rec.lines.filter((l) => l.level === 'warn' || l.level === 'error').length, 0, 'booting before the API is normal, not a warning');
    } finally {
      await Promise.all(open.splice(0).map((h) => h.close()));
      await api.close();
    }
  });

  test('never synced while one resource cannot be listed (500s, then 403)', async () => {
    const api = await startApiServer();
    try {
      world(api);
      api.failRequests({ path: SLICES, code: 500, times: Infinity });
      const h = startView(api);
      await waitFor('three listed', () => h.view.status().informers.filter((i) => i.listed).length === 3);
      await delay(300);
      assert.equal(h.view.snapshot().synced, false);
      assert.equal(h.view.status().synced, false);
      assert.ok(h.changes.length > 0 && h.changes.every((c) => !c.synced));
      // Now RBAC refuses EndpointSlices instead: still not synced, and said.
      api.clearFaults();
      api.authorize((a) => a.resource !== 'endpointslices');
      await api.waitForRequest((r) => r.path === SLICES && r.code === 403, 5000);
      assert.equal(h.view.snapshot().synced, false);
      api.authorize(undefined);
      await waitFor('synced', () => h.view.snapshot().synced);
      assert.ok(h.rec.lines.some((l) => /403/.test(String(l.reason))), 'the 403 is in the log');
    } finally {
      await Promise.all(open.splice(0).map((h) => h.close()));
      await api.close();
    }
  });

  test('a stuck server: requests time out and are retried; 429 Retry-After is honoured', async () => {
    const api = await startApiServer();
    try {
      world(api);
      api.hang(true);
      const rec = recordingLog();
      const kubeconfig = api.writeKubeconfig();
      const conn = createApiConnection({ kubeconfig, log: rec.log });
      const view = createClusterView({ api: conn, kubernetes: kubernetesConfig(kubeconfig, { requestTimeoutMs: 200 }), log: rec.log, tuning: FAST });
      open.push({ view, conn, rec, changes: [], close: async () => (await view.close(), conn.close()) });
      view.start();
      await waitFor('timed out', () => rec.lines.some((l) => /nothing received for 200 ms/.test(String(l.reason))));
      api.hang(false);
      api.failRequests({ path: SVC, code: 429, retryAfterSeconds: 1, times: 1 });
      const t0 = Date.now();
      await waitFor('synced', () => view.snapshot().synced);
      assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
    } finally {
      await Promise.all(open.splice(0).map((h) => h.close()));
      await api.close();
    }
  });

  test('close() is idempotent and stops every watch', async () => {
    const api = await startApiServer();
    try {
      const h = startView(api);
      await waitFor('synced', () => h.view.snapshot().synced);
      await waitFor('4 watches', () => api.watches().length === 4);
      await Promise.all([h.view.close(), h.view.close()]);
      await h.view.close();
      await waitFor('no watches', () => api.watches().length === 0, 3000);
      assert.ok(h.view.status().informers.every((i) => i.phase === 'stopped'));
    } finally {
      await Promise.all(open.splice(0).map((h) => h.close()));
      await api.close();
    }
  });
});

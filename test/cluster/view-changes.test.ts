// The cluster view's object-level change signals and its Snapshot parts
// derived with the changed objects only, against the test API server: each
// change names the Service it touches (an EndpointSlice by its
// kubernetes.io/service-name label, before and after a move), Node changes
// name the Node, and after a series of watch events the derived Snapshot
// deep-equals the one a fresh view lists from scratch.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { endpointSlice, node, service } from '../apiserver/fixtures.ts';
import { startApiServer, type TestApiServer } from '../apiserver/server.ts';
import { createApiConnection, createClusterView, type ClusterChange, type ClusterView, type Snapshot } from '../../src/cluster/index.ts';
import { FAST, kubernetesConfig, recordingLog, waitFor } from './helpers.ts';

function startView(api: TestApiServer): { view: ClusterView; changes: ClusterChange[]; close(): Promise<void> } {
  const kubeconfig = api.writeKubeconfig();
  const rec = recordingLog();
  const conn = createApiConnection({ kubeconfig, log: rec.log });
  const view = createClusterView({ api: conn, kubernetes: kubernetesConfig(kubeconfig), log: rec.log, tuning: FAST });
  const changes: ClusterChange[] = [];
  view.onChange((c) => changes.push(c));
  view.start();
  return { view, changes, close: async () => (await view.close(), conn.close()) };
}

/** The Snapshot as plain sorted data, to compare two views. */
function plain(s: Snapshot) {
  const sorted = <V>(m: ReadonlyMap<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { synced: s.synced, services: sorted(s.services), endpointSlices: sorted(s.endpointSlices), nodes: sorted(s.nodes) };
}

/** Every Service and Node key named by the signals since `from`; null when one said "anything". */
function named(changes: readonly ClusterChange[], from: number): { services: Set<string> | null; nodes: Set<string> | null } {
  let services: Set<string> | null = new Set();
  let nodes: Set<string> | null = new Set();
  for (const c of changes.slice(from)) {
    if (c.services === null) services = null;
    else if (services) for (const k of c.services) services.add(k);
    if (c.nodes === null) nodes = null;
    else if (nodes) for (const k of c.nodes) nodes.add(k);
  }
  return { services, nodes };
}

describe('cluster view: object-level changes', () => {
  let api: TestApiServer;
  before(async () => {
    api = await startApiServer();
  });
  after(() => api.close());

  test('signals name the Services and Nodes that changed; the derived Snapshot equals a fresh list', async () => {
    for (let i = 1; i <= 4; i++) {
      api.put(service('shop', `s${i}`, { lbIPs: [`192.0.2.${i}`] }));
      api.put(endpointSlice('shop', `s${i}`, [{ ip: `10.1.0.${i}`, node: 'n1' }]));
    }
    api.put(node('n1'));
    api.put(node('n2'));
    const a = startView(api);
    try {
      await waitFor('synced', () => a.view.snapshot().synced);
      const first = a.changes.find((c) => c.synced)!;
      assert.equal(first.services, null, 'becoming synced names nothing: anything may have changed');

      let mark = a.changes.length;
      api.patch({ kind: 'Service', namespace: 'shop', name: 's2' }, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.22' }] } } });
      await waitFor('s2 changed', () => a.view.snapshot().services.get('shop/s2')?.ingress[0]?.ip === '192.0.2.22');
      assert.deepEqual(named(a.changes, mark), { services: new Set(['shop/s2']), nodes: new Set() });

      // A slice moved from s3 to s4 (its label rewritten) names both; a new IPv6 slice of s1 names s1.
      mark = a.changes.length;
      const moved = endpointSlice('shop', 's4', [{ ip: '10.1.0.33', node: 'n2' }], { name: 's3-ipv4' });
      api.put(moved);
      api.put(endpointSlice('shop', 's1', [{ ip: 'fd00::1', node: 'n1' }]));
      await waitFor('slices seen', () => (a.view.snapshot().endpointSlices.get('shop/s4')?.length === 2 && a.view.snapshot().endpointSlices.get('shop/s1')?.length === 2) || undefined);
      assert.deepEqual(named(a.changes, mark).services, new Set(['shop/s3', 'shop/s4', 'shop/s1']));
      assert.equal(a.view.snapshot().endpointSlices.has('shop/s3'), false, 'the moved slice left its old Service');
      assert.deepEqual(a.view.snapshot().endpointSlices.get('shop/s4')!.map((s) => s.name), ['s3-ipv4', 's4-ipv4'], 'a group stays sorted by slice name');

      mark = a.changes.length;
      api.delete({ kind: 'Service', namespace: 'shop', name: 's1' });
      api.put(node('n2', { ready: false }));
      await waitFor('deleted and node changed', () => (!a.view.snapshot().services.has('shop/s1') && a.view.snapshot().nodes.get('n2')?.ready === 'False') || undefined);
      const n = named(a.changes, mark);
      assert.deepEqual(n.services, new Set(['shop/s1']));
      assert.deepEqual(n.nodes, new Set(['n2']));

      const older = a.view.snapshot();
      api.delete({ kind: 'EndpointSlice', namespace: 'shop', name: 's2-ipv4' });
      await waitFor('slice deleted', () => !a.view.snapshot().endpointSlices.has('shop/s2') || undefined);
      assert.ok(older.endpointSlices.has('shop/s2'), 'an earlier Snapshot is left as it was');

      const b = startView(api);
      try {
        await waitFor('second view synced', () => b.view.snapshot().synced);
        assert.deepStrictEqual(plain(a.view.snapshot()), plain(b.view.snapshot()), 'derived from events = listed from scratch');
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
});

// The list/watch wire protocol on direct HTTP: what an informer relies on.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type TestApiServer } from './server.ts';
import { call, watch } from './client.ts';
import { service } from './fixtures.ts';

describe('list and watch of Services with a bearer token', () => {
  let s: TestApiServer;
  before(async () => {
    s = await startApiServer();
  });
  after(() => s.close());

  it('lists with kind ServiceList, a resourceVersion, and items without kind', async () => {
    s.put(service('default', 'a', { lbIPs: ['192.0.2.1'] }));
    s.put(service('other', 'b'));
    const r = await call(s, '/api/v1/services');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.json.kind, 'ServiceList');
    assert.equal(r.json.apiVersion, 'v1');
    assert.equal(r.json.metadata.resourceVersion, s.resourceVersion);
    assert.deepEqual(r.json.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`), ['default/a', 'other/b']);
    assert.equal(r.json.items[0].kind, undefined);
    assert.deepEqual(r.json.items[0].status.loadBalancer.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }]);
    const ns = await call(s, '/api/v1/namespaces/other/services');
    assert.deepEqual(ns.json.items.map((i: any) => i.metadata.name), ['b']);
  });

  it('gets one object with kind and apiVersion, 404 Status for a missing one', async () => {
    const r = await call(s, '/api/v1/namespaces/default/services/a');
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'Service');
    assert.equal(r.json.apiVersion, 'v1');
    const missing = await call(s, '/api/v1/namespaces/default/services/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'services "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'services' }, code: 404 });
  });

  it('watches from the list resourceVersion: ADDED, MODIFIED, DELETED in order, each with its new resourceVersion', async () => {
    const rv = (await call(s, '/api/v1/services')).json.metadata.resourceVersion;
    const w = await watch(s, `/api/v1/services?watch=1&resourceVersion=${rv}`);
    assert.equal(w.status, 200);
    const created = s.put(service('default', 'c'));
    const modified = s.patch({ kind: 'Service', namespace: 'default', name: 'c' }, { metadata: { labels: { x: 'y' } } });
    s.delete({ kind: 'Service', namespace: 'default', name: 'c' });
    const e1 = await w.next();
    const e2 = await w.next();
    const e3 = await w.next();
    assert.equal(e1?.type, 'ADDED');
    assert.equal(e1?.object.kind, 'Service');
    assert.equal(e1?.object.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.equal(e2?.type, 'MODIFIED');
    assert.equal(e2?.object.metadata.labels.x, 'y');
    assert.equal(e2?.object.metadata.resourceVersion, modified.metadata.resourceVersion);
    assert.equal(e3?.type, 'DELETED');
    assert.equal(Number(e3?.object.metadata.resourceVersion), Number(modified.metadata.resourceVersion) + 1);
    assert.equal(e3?.object.metadata.resourceVersion, s.resourceVersion);
    w.close();
  });

  it('replays the events after a past resourceVersion', async () => {
    const rv = s.resourceVersion;
    s.put(service('default', 'd'));
    s.put(service('default', 'e'));
    const w = await watch(s, `/api/v1/namespaces/default/services?watch=true&resourceVersion=${rv}`);
    assert.deepEqual([(await w.next())?.object.metadata.name, (await w.next())?.object.metadata.name], ['d', 'e']);
    w.close();
  });

  it('answers 401 Unauthorized without credentials or with a wrong token', async () => {
    for (const token of [null, 'wrong']) {
      const r = await call(s, '/api/v1/services', { token });
      assert.equal(r.status, 401);
      assert.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
  });
});

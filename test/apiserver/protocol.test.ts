// resourceVersion semantics, 410 Gone, bookmarks, timeouts, selectors and
// paging — on direct HTTP, checked against what kube-apiserver answers.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type TestApiServer } from './server.ts';
import { call, watch } from './client.ts';
import { service, node, lease } from './fixtures.ts';

let s: TestApiServer;
before(async () => {
  s = await startApiServer({ bookmarkIntervalMs: 100 });
});
after(() => s.close());

describe('410 Gone', () => {
  it('a watch from an expired resourceVersion gets one ERROR event with a 410 Status, then the stream ends', async () => {
    s.put(service('gone', 'a'));
    const old = s.resourceVersion;
    s.put(service('gone', 'b'));
    s.put(service('gone', 'c'));
    s.expireBefore(s.resourceVersion);
    const w = await watch(s, `/api/v1/namespaces/gone/services?watch=1&resourceVersion=${old}`);
    assert.equal(w.status, 200);
    const e = await w.next();
    assert.equal(e?.type, 'ERROR');
    assert.deepEqual(e?.object, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${old} (${s.resourceVersion})`,
      reason: 'Expired',
      code: 410,
    });
    assert.equal(await w.next(), undefined);
    assert.equal(w.broken, false);
  });

  it('a watch from the compaction point itself still works', async () => {
    const rv = s.resourceVersion;
    s.compact();
    const w = await watch(s, `/api/v1/namespaces/gone/services?watch=1&resourceVersion=${rv}`);
    s.put(service('gone', 'd'));
    assert.equal((await w.next())?.type, 'ADDED');
    w.close();
  });

  it('an exact list of an expired resourceVersion is 410; NotOlderThan is served from the latest state', async () => {
    s.put(service('gone', 'e'));
    const old = Number(s.resourceVersion) - 1;
    s.compact();
    const exact = await call(s, `/api/v1/namespaces/gone/services?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 410);
    assert.equal(exact.json.reason, 'Expired');
    assert.equal(exact.json.message, 'The resourceVersion for the provided list is too old.');
    // A resourceVersion with a limit and no match is the legacy "Exact" too.
    assert.equal((await call(s, `/api/v1/namespaces/gone/services?resourceVersion=${old}&limit=2`)).status, 410);
    const notOlder = await call(s, `/api/v1/namespaces/gone/services?resourceVersion=${old}`);
    assert.equal(notOlder.status, 200);
    assert.equal(notOlder.json.metadata.resourceVersion, s.resourceVersion);
  });

  it('an exact list of a retained past resourceVersion shows the state as it was then', async () => {
    s.put(service('past', 'one'));
    const then = s.resourceVersion;
    s.put(service('past', 'two'));
    s.delete({ kind: 'Service', namespace: 'past', name: 'one' });
    const r = await call(s, `/api/v1/namespaces/past/services?resourceVersion=${then}&resourceVersionMatch=Exact`);
    assert.equal(r.json.metadata.resourceVersion, then);
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name), ['one']);
  });
});

describe('watch starting points', () => {
  it('without a resourceVersion: the current objects as ADDED, then changes', async () => {
    s.put(service('start', 'x'));
    const w = await watch(s, '/api/v1/namespaces/start/services?watch=true');
    const first = await w.next();
    assert.equal(first?.type, 'ADDED');
    assert.equal(first?.object.metadata.name, 'x');
    s.patch({ kind: 'Service', namespace: 'start', name: 'x' }, { metadata: { labels: { v: '2' } } });
    assert.equal((await w.next())?.type, 'MODIFIED');
    w.close();
  });

  it('sendInitialEvents=true: the state, a BOOKMARK annotated initial-events-end, then changes', async () => {
    const w = await watch(s, '/api/v1/namespaces/start/services?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=');
    assert.equal((await w.next())?.type, 'ADDED');
    const b = await w.next();
    assert.equal(b?.type, 'BOOKMARK');
    assert.deepEqual(b?.object, { kind: 'Service', apiVersion: 'v1', metadata: { resourceVersion: s.resourceVersion, creationTimestamp: null, annotations: { 'k8s.io/initial-events-end': 'true' } } });
    w.close();
  });

  it('sendInitialEvents without resourceVersionMatch=NotOlderThan is 400', async () => {
    const r = await call(s, '/api/v1/services?watch=1&sendInitialEvents=true&allowWatchBookmarks=true');
    assert.equal(r.status, 400);
    assert.match(r.json.message, /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
  });

  it('a resourceVersion from the future: nothing until the counter passes it', async () => {
    const future = Number(s.resourceVersion) + 2;
    const w = await watch(s, `/api/v1/nodes?watch=1&resourceVersion=${future}`);
    s.put(node('f1')); // future - 1
    s.put(node('f2')); // future
    s.put(node('f3')); // future + 1: the first one after it
    const e = await w.next();
    assert.equal(e?.object.metadata.name, 'f3');
    w.close();
  });

  it('the legacy /watch/ path prefix works like ?watch=1', async () => {
    const rv = s.resourceVersion;
    const w = await watch(s, `/api/v1/watch/namespaces/start/services?resourceVersion=${rv}`);
    s.put(service('start', 'y'));
    assert.equal((await w.next())?.object.metadata.name, 'y');
    w.close();
  });
});

describe('bookmarks and timeouts', () => {
  it('allowWatchBookmarks=true: periodic BOOKMARK events carrying the latest resourceVersion', async () => {
    const w = await watch(s, `/apis/coordination.k8s.io/v1/leases?watch=1&allowWatchBookmarks=true&resourceVersion=${s.resourceVersion}`);
    const moved = s.advance(3);
    const b = await w.next(2000);
    assert.equal(b?.type, 'BOOKMARK');
    assert.deepEqual(b?.object, { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { resourceVersion: moved, creationTimestamp: null } });
    w.close();
  });

  it('a bookmark comes about 2 s before the watch times out, whatever the period', async () => {
    s.bookmarkIntervalMs = 60_000;
    try {
      const w = await watch(s, `/api/v1/nodes?watch=1&allowWatchBookmarks=true&resourceVersion=${s.resourceVersion}&timeoutSeconds=3`);
      const t0 = Date.now();
      const b = await w.next(3000);
      assert.equal(b?.type, 'BOOKMARK');
      assert.ok(Date.now() - t0 >= 800, 'not at once');
      assert.equal(await w.next(3000), undefined);
    } finally {
      s.bookmarkIntervalMs = 100;
    }
  });

  it('no bookmarks unless asked for', async () => {
    const w = await watch(s, `/apis/coordination.k8s.io/v1/leases?watch=1&resourceVersion=${s.resourceVersion}&timeoutSeconds=1`);
    assert.equal(await w.next(3000), undefined);
  });

  it('timeoutSeconds ends the stream cleanly after that time', async () => {
    const t0 = Date.now();
    const w = await watch(s, `/api/v1/nodes?watch=1&resourceVersion=${s.resourceVersion}&timeoutSeconds=1`);
    assert.equal(await w.next(5000), undefined);
    const took = Date.now() - t0;
    assert.ok(took >= 950 && took < 2500, `took ${took} ms`);
    assert.equal(w.broken, false);
    assert.equal(s.watches().length, 0);
  });
});

describe('selectors', () => {
  it('label and field selectors on list', async () => {
    s.put(service('sel', 'a', { labels: { app: 'web', tier: 'front' } }));
    s.put(service('sel', 'b', { labels: { app: 'db' } }));
    s.put(service('sel', 'c'));
    const names = async (q: string) => (await call(s, `/api/v1/namespaces/sel/services?${q}`)).json.items.map((i: any) => i.metadata.name);
    assert.deepEqual(await names('labelSelector=app%3Dweb'), ['a']);
    assert.deepEqual(await names('labelSelector=app!%3Dweb'), ['b', 'c']);
    assert.deepEqual(await names('labelSelector=app'), ['a', 'b']);
    assert.deepEqual(await names('labelSelector=!app'), ['c']);
    assert.deepEqual(await names('labelSelector=app%20in%20(web,db),tier'), ['a']);
    assert.deepEqual(await names('labelSelector=app%20notin%20(web)'), ['b', 'c']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Db'), ['b']);
    assert.deepEqual(await names('fieldSelector=metadata.name!%3Db,metadata.namespace%3Dsel'), ['a', 'c']);
    const bad = await call(s, '/api/v1/services?fieldSelector=spec.type%3DLoadBalancer');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'field label not supported: spec.type');
  });

  it('nodes select on spec.unschedulable', async () => {
    s.put(node('cordoned', { unschedulable: true }));
    const r = await call(s, '/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue');
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name), ['cordoned']);
  });

  it('a watch with a selector sees an object entering it as ADDED and leaving it as DELETED', async () => {
    const w = await watch(s, `/api/v1/namespaces/sel/services?watch=1&labelSelector=app%3Dweb&resourceVersion=${s.resourceVersion}`);
    s.patch({ kind: 'Service', namespace: 'sel', name: 'c' }, { metadata: { labels: { app: 'web' } } });
    const added = await w.next();
    assert.equal(added?.type, 'ADDED');
    assert.equal(added?.object.metadata.name, 'c');
    const left = s.patch({ kind: 'Service', namespace: 'sel', name: 'c' }, { metadata: { labels: { app: 'gone' } } });
    const deleted = await w.next();
    assert.equal(deleted?.type, 'DELETED');
    assert.equal(deleted?.object.metadata.labels.app, 'web', 'the previous content');
    assert.equal(deleted?.object.metadata.resourceVersion, left.metadata.resourceVersion, 'at the new resourceVersion');
    w.close();
  });
});

describe('paging', () => {
  it('limit and continue walk a consistent snapshot; remainingItemCount counts the rest', async () => {
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) s.put(lease('paging', n));
    const first = await call(s, '/apis/coordination.k8s.io/v1/namespaces/paging/leases?limit=2');
    assert.deepEqual(first.json.items.map((i: any) => i.metadata.name), ['p1', 'p2']);
    assert.equal(first.json.metadata.remainingItemCount, 3);
    const rv = first.json.metadata.resourceVersion;
    s.delete({ kind: 'Lease', namespace: 'paging', name: 'p3' }); // after the first page: not seen by this list
    const second = await call(s, `/apis/coordination.k8s.io/v1/namespaces/paging/leases?limit=2&continue=${first.json.metadata.continue}`);
    assert.deepEqual(second.json.items.map((i: any) => i.metadata.name), ['p3', 'p4']);
    assert.equal(second.json.metadata.resourceVersion, rv);
    const third = await call(s, `/apis/coordination.k8s.io/v1/namespaces/paging/leases?limit=2&continue=${second.json.metadata.continue}`);
    assert.deepEqual(third.json.items.map((i: any) => i.metadata.name), ['p5']);
    assert.equal(third.json.metadata.continue, undefined);
  });

  it('resourceVersion=0 is served from the cache, which ignores limit', async () => {
    const r = await call(s, '/apis/coordination.k8s.io/v1/namespaces/paging/leases?limit=1&resourceVersion=0');
    assert.equal(r.json.items.length, 4);
    assert.equal(r.json.metadata.continue, undefined);
  });

  it('a continue token older than the compaction is 410 Expired', async () => {
    const first = await call(s, '/apis/coordination.k8s.io/v1/namespaces/paging/leases?limit=1');
    s.put(lease('paging', 'p6'));
    s.compact();
    const r = await call(s, `/apis/coordination.k8s.io/v1/namespaces/paging/leases?limit=1&continue=${first.json.metadata.continue}`);
    assert.equal(r.status, 410);
    assert.equal(r.json.reason, 'Expired');
    assert.match(r.json.message, /^The provided continue parameter is too old/);
  });
});

describe('resourceVersion from the future on a list', () => {
  it('waits for it, then answers 504 "Too large resource version"', async () => {
    const want = Number(s.resourceVersion) + 100;
    const t0 = Date.now();
    const r = await call(s, `/api/v1/nodes?resourceVersion=${want}`);
    assert.ok(Date.now() - t0 >= 2900);
    assert.equal(r.status, 504);
    assert.equal(r.json.reason, 'Timeout');
    assert.deepEqual(r.json.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
  });
});

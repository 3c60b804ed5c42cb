// The faults tests need: cut watches, stop/start on the same port, an API
// that is down at start, a hung server, injected error answers.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer } from './server.ts';
import { call, watch } from './client.ts';
import { service } from './fixtures.ts';

describe('faults', () => {
  it('dropWatches() cuts the TCP connection of every open watch; graceful ends the stream cleanly', async () => {
    await using s = await startApiServer();
    const a = await watch(s, '/api/v1/services?watch=1');
    const b = await watch(s, '/api/v1/nodes?watch=1');
    await s.waitForWatch((w) => w.resource === 'nodes');
    assert.equal(s.dropWatches({ resource: 'services' }), 1);
    await a.closed();
    assert.equal(a.broken, true, 'a cut, not a clean end');
    assert.equal(s.dropWatches({ graceful: true }), 1);
    await b.closed();
    assert.equal(b.broken, false);
    assert.equal(s.watches().length, 0);
  });

  it('stop() refuses connections and keeps state; start() listens on the same port; a watch resumes from its resourceVersion', async () => {
    await using s = await startApiServer();
    const port = s.port;
    s.put(service('default', 'a'));
    const w = await watch(s, `/api/v1/services?watch=1&resourceVersion=${s.resourceVersion}`);
    const rv = s.resourceVersion;
    await s.stop();
    assert.equal(s.listening, false);
    await w.closed();
    await assert.rejects(call(s, '/api/v1/services'), /ECONNREFUSED/);
    s.put(service('default', 'b')); // written while the API is down (by another apiserver, say)
    await s.start();
    assert.equal(s.port, port);
    const w2 = await watch(s, `/api/v1/services?watch=1&resourceVersion=${rv}`);
    assert.equal((await w2.next())?.object.metadata.name, 'b');
    w2.close();
  });

  it('restart() is a kube-apiserver restart: a fresh watch cache, so a watch from before gets 410; restart({freshWatchCache:false}) keeps history', async () => {
    await using s = await startApiServer();
    s.put(service('default', 'a'));
    const before = s.resourceVersion;
    s.put(service('default', 'b'));
    await s.restart({ freshWatchCache: false });
    const kept = await watch(s, `/api/v1/services?watch=1&resourceVersion=${before}`);
    assert.equal((await kept.next())?.object.metadata.name, 'b');
    kept.close();
    await s.restart();
    const gone = await watch(s, `/api/v1/services?watch=1&resourceVersion=${before}`);
    const e = await gone.next();
    assert.equal(e?.type, 'ERROR');
    assert.equal(e?.object.code, 410);
    const fromNow = await watch(s, `/api/v1/services?watch=1&resourceVersion=${s.resourceVersion}`);
    s.put(service('default', 'c'));
    assert.equal((await fromNow.next())?.object.metadata.name, 'c');
    fromNow.close();
  });

  it('listen: false — the API is down from the start, a kubeconfig already points at it, start() brings it up', async () => {
    await using s = await startApiServer({ listen: false });
    assert.ok(s.port > 0);
    assert.equal(s.listening, false);
    await assert.rejects(call(s, '/version'), /ECONNREFUSED/);
    await s.start();
    assert.equal((await call(s, '/version')).status, 200);
  });

  it('hang(true): requests get no answer until stop() cuts them', async () => {
    await using s = await startApiServer();
    s.hang(true);
    const pending = call(s, '/api/v1/services');
    const settled = await Promise.race([pending.then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('hung'), 300))]);
    assert.equal(settled, 'hung');
    await s.stop();
    await assert.rejects(pending);
    s.hang(false);
  });

  it('failRequests: 429 with Retry-After, then normal again', async () => {
    await using s = await startApiServer();
    s.failRequests({ code: 429, path: '/api/v1/services', retryAfterSeconds: 2, times: 1 });
    const r = await call(s, '/api/v1/services');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '2');
    assert.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Too many requests, please try again later.', reason: 'TooManyRequests', details: { retryAfterSeconds: 2 }, code: 429 });
    assert.equal((await call(s, '/api/v1/services')).status, 200);
    s.failRequests({ code: 503, path: /^\/apis\//, times: Infinity });
    assert.equal((await call(s, '/apis/coordination.k8s.io/v1/leases')).status, 503);
    assert.equal((await call(s, '/apis/coordination.k8s.io/v1/leases')).status, 503);
    s.clearFaults();
    assert.equal((await call(s, '/apis/coordination.k8s.io/v1/leases')).status, 200);
  });

  it('close() removes the certificates and kubeconfigs', async () => {
    const { existsSync } = await import('node:fs');
    const s = await startApiServer();
    const kc = s.writeKubeconfig();
    assert.ok(existsSync(kc) && existsSync(s.caFile));
    await s.close();
    assert.ok(!existsSync(kc) && !existsSync(s.caFile));
  });
});

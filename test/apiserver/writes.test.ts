// Writes on direct HTTP: create, update with optimistic concurrency, the
// three patch formats, the status subresource, delete with preconditions
// and finalizers, validation and field validation — as kube-apiserver does.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type TestApiServer } from './server.ts';
import { call, watch } from './client.ts';
import { service, lease } from './fixtures.ts';

let s: TestApiServer;
before(async () => {
  s = await startApiServer();
});
after(() => s.close());

const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';

describe('Leases: what the agent writes', () => {
  it('create: 201 with uid, creationTimestamp, resourceVersion; MicroTime normalised to microseconds', async () => {
    const r = await call(s, leases, { method: 'POST', body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-lb-agent-n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 15, renewTime: '2026-11-22T10:00:00.123Z' } } });
    assert.equal(r.status, 201);
    assert.equal(r.json.metadata.namespace, 'kube-node-lease');
    assert.match(r.json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(r.json.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(r.json.metadata.resourceVersion, s.resourceVersion);
    assert.equal(r.json.spec.renewTime, '2026-11-22T10:00:00.123000Z');
  });

  it('create again: 409 AlreadyExists', async () => {
    const r = await call(s, leases, { method: 'POST', body: lease('kube-node-lease', 'kube-lb-agent-n1') });
    assert.equal(r.status, 409);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'leases.coordination.k8s.io "kube-lb-agent-n1" already exists',
      reason: 'AlreadyExists',
      details: { name: 'kube-lb-agent-n1', group: 'coordination.k8s.io', kind: 'leases' },
      code: 409,
    });
  });

  it('update with the current resourceVersion: 200 and a new resourceVersion; with a stale one: 409 Conflict', async () => {
    const cur = (await call(s, `${leases}/kube-lb-agent-n1`)).json;
    const renewed = { ...cur, spec: { ...cur.spec, renewTime: '2026-11-22T10:00:05.000000Z' } };
    const ok = await call(s, `${leases}/kube-lb-agent-n1`, { method: 'PUT', body: renewed });
    assert.equal(ok.status, 200);
    assert.ok(Number(ok.json.metadata.resourceVersion) > Number(cur.metadata.resourceVersion));
    const stale = await call(s, `${leases}/kube-lb-agent-n1`, { method: 'PUT', body: renewed });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Operation cannot be fulfilled on leases.coordination.k8s.io "kube-lb-agent-n1": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'kube-lb-agent-n1', group: 'coordination.k8s.io', kind: 'leases' },
      code: 409,
    });
  });

  it('an update that changes nothing keeps the resourceVersion and sends no event', async () => {
    const cur = (await call(s, `${leases}/kube-lb-agent-n1`)).json;
    const w = await watch(s, `${leases}?watch=1&resourceVersion=${cur.metadata.resourceVersion}&timeoutSeconds=1`);
    const r = await call(s, `${leases}/kube-lb-agent-n1`, { method: 'PUT', body: cur });
    assert.equal(r.json.metadata.resourceVersion, cur.metadata.resourceVersion);
    assert.equal(await w.next(), undefined);
  });

  it('the same content with keys in another order is no change either', async () => {
    const cur = (await call(s, `${leases}/kube-lb-agent-n1`)).json;
    const reordered = { spec: Object.fromEntries(Object.entries(cur.spec).reverse()), metadata: cur.metadata, kind: cur.kind, apiVersion: cur.apiVersion };
    const r = await call(s, `${leases}/kube-lb-agent-n1`, { method: 'PUT', body: reordered });
    assert.equal(r.json.metadata.resourceVersion, cur.metadata.resourceVersion);
  });

  it('PUT of a missing Lease creates it (201), as the Lease registry allows', async () => {
    const r = await call(s, `${leases}/made-by-put`, { method: 'PUT', body: lease('kube-node-lease', 'made-by-put') });
    assert.equal(r.status, 201);
  });

  it('PUT with a name other than the URL one is 400', async () => {
    const r = await call(s, `${leases}/one`, { method: 'PUT', body: lease('kube-node-lease', 'two') });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'the name of the object (two) does not match the name on the URL (one)');
  });

  it('delete: 200 with a Success Status; the watch sees DELETED at a new resourceVersion', async () => {
    const before = s.resourceVersion;
    const w = await watch(s, `${leases}?watch=1&resourceVersion=${before}`);
    const r = await call(s, `${leases}/made-by-put`, { method: 'DELETE' });
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'Status');
    assert.equal(r.json.status, 'Success');
    assert.deepEqual({ ...r.json.details, uid: undefined }, { name: 'made-by-put', group: 'coordination.k8s.io', kind: 'leases', uid: undefined });
    const e = await w.next();
    assert.equal(e?.type, 'DELETED');
    assert.equal(e?.object.metadata.resourceVersion, String(Number(before) + 1));
    w.close();
    assert.equal((await call(s, `${leases}/made-by-put`, { method: 'DELETE' })).status, 404);
  });

  it('delete with a stale resourceVersion precondition: 409', async () => {
    const cur = (await call(s, `${leases}/kube-lb-agent-n1`)).json;
    const r = await call(s, `${leases}/kube-lb-agent-n1`, { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } } });
    assert.equal(r.status, 409);
    assert.equal(r.json.message, `Operation cannot be fulfilled on leases.coordination.k8s.io "kube-lb-agent-n1": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    const ok = await call(s, `${leases}/kube-lb-agent-n1`, { method: 'DELETE', body: { preconditions: { uid: cur.metadata.uid, resourceVersion: cur.metadata.resourceVersion } } });
    assert.equal(ok.status, 200);
  });

  it('create in a namespace that does not exist: 404 for the namespace', async () => {
    const r = await call(s, '/apis/coordination.k8s.io/v1/namespaces/nowhere/leases', { method: 'POST', body: lease('nowhere', 'x') });
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'namespaces "nowhere" not found');
  });

  it('invalid: 422 with causes', async () => {
    const r = await call(s, leases, { method: 'POST', body: { metadata: { name: 'Bad_Name' }, spec: { leaseDurationSeconds: 0 } } });
    assert.equal(r.status, 422);
    assert.equal(r.json.reason, 'Invalid');
    assert.deepEqual(r.json.details.causes.map((c: any) => c.field), ['metadata.name', 'spec.leaseDurationSeconds']);
  });

  it('fieldValidation=Strict refuses unknown fields (400); by default they draw a Warning', async () => {
    const body = { metadata: { name: 'strict' }, spec: { holderIdentity: 'n1', holder: 'typo' } };
    const strict = await call(s, `${leases}?fieldValidation=Strict`, { method: 'POST', body });
    assert.equal(strict.status, 400);
    assert.equal(strict.json.message, 'Lease in version "v1" cannot be handled as a Lease: strict decoding error: unknown field "spec.holder"');
    const warn = await call(s, leases, { method: 'POST', body });
    assert.equal(warn.status, 201);
    assert.equal(warn.headers.warning, '299 - "unknown field \\"spec.holder\\""');
  });

  it('dryRun=All answers as if written and writes nothing', async () => {
    const rv = s.resourceVersion;
    const r = await call(s, `${leases}?dryRun=All`, { method: 'POST', body: lease('kube-node-lease', 'dry') });
    assert.equal(r.status, 201);
    assert.equal(s.resourceVersion, rv);
    assert.equal((await call(s, `${leases}/dry`)).status, 404);
  });
});

describe('patches', () => {
  const svc = '/api/v1/namespaces/default/services/patched';

  it('merge patch, strategic merge patch (ports merged on port), JSON patch', async () => {
    s.put(service('default', 'patched', { ports: [80, 443] }));
    const merge = await call(s, svc, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: '1' } } } });
    assert.equal(merge.status, 200);
    assert.equal(merge.json.metadata.labels.a, '1');
    const smp = await call(s, svc, { method: 'PATCH', contentType: 'application/strategic-merge-patch+json', body: { spec: { ports: [{ port: 443, name: 'https' }] } } });
    assert.deepEqual(smp.json.spec.ports.map((p: any) => `${p.name}:${p.port}`), ['p80:80', 'https:443']);
    const deleted = await call(s, svc, { method: 'PATCH', contentType: 'application/strategic-merge-patch+json', body: { spec: { ports: [{ port: 80, $patch: 'delete' }] } } });
    assert.deepEqual(deleted.json.spec.ports.map((p: any) => p.port), [443]);
    const json = await call(s, svc, { method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/metadata/labels/a', value: '2' }, { op: 'add', path: '/metadata/labels/b', value: '3' }] });
    assert.deepEqual(json.json.metadata.labels, { a: '2', b: '3' });
    const failed = await call(s, svc, { method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'test', path: '/metadata/labels/a', value: 'x' }] });
    assert.equal(failed.status, 422);
  });

  it('a patch carrying a stale resourceVersion is 409', async () => {
    const r = await call(s, svc, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '2', labels: { c: '1' } } } });
    assert.equal(r.status, 409);
    assert.equal(r.json.reason, 'Conflict');
  });

  it('unknown patch media type: 415', async () => {
    const r = await call(s, svc, { method: 'PATCH', contentType: 'application/json', body: {} });
    assert.equal(r.status, 415);
    assert.equal(r.json.reason, 'UnsupportedMediaType');
  });

  it('server-side apply (approximated): fieldManager required, creates when absent', async () => {
    const path = `${leases}/applied`;
    const body = 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: applied\nspec:\n  holderIdentity: n2\n';
    const noManager = await call(s, path, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body });
    assert.equal(noManager.status, 422);
    const created = await call(s, `${path}?fieldManager=kube-lb-agent`, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body });
    assert.equal(created.status, 201);
    const again = await call(s, `${path}?fieldManager=kube-lb-agent`, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: body.replace('n2', 'n3') });
    assert.equal(again.status, 200);
    assert.equal(again.json.spec.holderIdentity, 'n3');
  });
});

describe('Services: status subresource and defaults', () => {
  const base = '/api/v1/namespaces/default/services';

  it('create drops status and fills in the defaults a real server sets', async () => {
    const r = await call(s, base, { method: 'POST', body: { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json.status, { loadBalancer: {} });
    const spec = r.json.spec;
    assert.match(spec.clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    assert.deepEqual(spec.ipFamilies, ['IPv4']);
    assert.equal(spec.ipFamilyPolicy, 'SingleStack');
    assert.equal(spec.externalTrafficPolicy, 'Cluster');
    assert.equal(spec.internalTrafficPolicy, 'Cluster');
    assert.equal(spec.sessionAffinity, 'None');
    assert.equal(spec.allocateLoadBalancerNodePorts, true);
    assert.deepEqual({ ...spec.ports[0], nodePort: 0 }, { port: 80, protocol: 'TCP', targetPort: 80, nodePort: 0 });
    assert.ok(spec.ports[0].nodePort >= 30000 && spec.ports[0].nodePort <= 32767);
  });

  it('a full NodePort range fails the create with an InternalError, as kube-apiserver does, instead of hanging', async () => {
    const full = await startApiServer();
    try {
      const np = (i: number) => ({ ...service('default', `s${i}`), spec: { type: 'NodePort', ports: Array.from({ length: 100 }, (_, j) => ({ name: `p${j}`, port: 1000 + j })) } });
      for (let i = 0; i < 27; i++) assert.equal((await call(full, '/api/v1/namespaces/default/services', { method: 'POST', body: np(i) })).status, 201);
      const last = await call(full, '/api/v1/namespaces/default/services', { method: 'POST', body: np(27) }); // 2,768 ports in the range; 2,700 used
      assert.equal(last.status, 500);
      assert.equal(last.json.reason, 'InternalError');
      assert.match(last.json.message, /^Internal error occurred: spec\.ports\[68\]\.nodePort: Invalid value: 0: range is full$/);
    } finally {
      await full.close();
    }
  });

  it('PUT on the main resource keeps status; PATCH on /status changes only status', async () => {
    const cur = (await call(s, `${base}/lb`)).json;
    const put = await call(s, `${base}/lb`, { method: 'PUT', body: { ...cur, status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } } } });
    assert.deepEqual(put.json.status, { loadBalancer: {} });
    const st = await call(s, `${base}/lb/status`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { ignored: 'no' } }, spec: { type: 'ClusterIP' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.7', ipMode: 'VIP' }] } } } });
    assert.equal(st.status, 200);
    assert.deepEqual(st.json.status.loadBalancer.ingress, [{ ip: '192.0.2.7', ipMode: 'VIP' }]);
    assert.equal(st.json.spec.type, 'LoadBalancer');
  });

  it('a garbage load-balancer IP is refused (422) over HTTP — the control API can still store one', async () => {
    const r = await call(s, `${base}/lb/status`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }] } } } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /status\.loadBalancer\.ingress\[0\]\.ip: Invalid value: "not-an-ip": must be a valid IP address/);
    const stored = s.patch({ kind: 'Service', namespace: 'default', name: 'lb' }, { status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }] } } });
    assert.equal((stored.status as any).loadBalancer.ingress[0].ip, 'not-an-ip');
  });

  it('delete answers with the deleted Service itself', async () => {
    const r = await call(s, `${base}/lb`, { method: 'DELETE' });
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'Service');
    assert.equal(r.json.metadata.name, 'lb');
  });

  it('finalizers: delete marks deletionTimestamp (202); removing the last finalizer deletes', async () => {
    s.put({ ...service('default', 'fin'), metadata: { name: 'fin', namespace: 'default', finalizers: ['example.com/hold'] } });
    const w = await watch(s, `${base}?watch=1&resourceVersion=${s.resourceVersion}`);
    const del = await call(s, `${base}/fin`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    assert.ok(del.json.metadata.deletionTimestamp);
    assert.equal((await w.next())?.type, 'MODIFIED');
    const cur = (await call(s, `${base}/fin`)).json;
    const rm = await call(s, `${base}/fin`, { method: 'PUT', body: { ...cur, metadata: { ...cur.metadata, finalizers: [] } } });
    assert.equal(rm.status, 200);
    assert.equal((await w.next())?.type, 'DELETED');
    assert.equal((await call(s, `${base}/fin`)).status, 404);
    w.close();
  });
});

describe('collections and namespaces', () => {
  it('DELETE on a collection deletes what the selector selects and lists it', async () => {
    s.put({ ...lease('coll', 'a'), metadata: { name: 'a', namespace: 'coll', labels: { app: 'x' } } });
    s.put({ ...lease('coll', 'b'), metadata: { name: 'b', namespace: 'coll', labels: { app: 'y' } } });
    const r = await call(s, '/apis/coordination.k8s.io/v1/namespaces/coll/leases?labelSelector=app%3Dx', { method: 'DELETE' });
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'LeaseList');
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name), ['a']);
    assert.deepEqual(s.list('Lease', 'coll').map((o) => o.metadata.name), ['b']);
  });

  it('deleting a namespace deletes its content (at once: no Terminating phase here)', async () => {
    const w = await watch(s, `/apis/coordination.k8s.io/v1/leases?watch=1&resourceVersion=${s.resourceVersion}`);
    const r = await call(s, '/api/v1/namespaces/coll', { method: 'DELETE' });
    assert.equal(r.status, 200);
    const e = await w.next();
    assert.equal(e?.type, 'DELETED');
    assert.equal(e?.object.metadata.name, 'b');
    assert.equal((await call(s, '/api/v1/namespaces/coll')).status, 404);
    w.close();
  });

  it('default, kube-system and kube-public may not be deleted (403)', async () => {
    const r = await call(s, '/api/v1/namespaces/kube-system', { method: 'DELETE' });
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'namespaces "kube-system" is forbidden: this namespace may not be deleted');
  });

  it('a verb a resource does not serve is 405 (no deletecollection of namespaces)', async () => {
    assert.equal((await call(s, '/api/v1/namespaces', { method: 'DELETE' })).status, 405);
  });
});

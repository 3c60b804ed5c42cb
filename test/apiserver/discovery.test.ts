// Discovery, OpenAPI, server-side printing and content negotiation.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type TestApiServer } from './server.ts';
import { call, watch } from './client.ts';
import { node, service } from './fixtures.ts';

let s: TestApiServer;
before(async () => {
  s = await startApiServer();
});
after(() => s.close());

const aggregatedAccept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('discovery', () => {
  it('legacy documents: /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>', async () => {
    const api = (await call(s, '/api')).json;
    assert.equal(api.kind, 'APIVersions');
    assert.deepEqual(api.versions, ['v1']);
    const v1 = (await call(s, '/api/v1')).json;
    assert.equal(v1.kind, 'APIResourceList');
    assert.equal(v1.groupVersion, 'v1');
    assert.deepEqual(v1.resources.map((r: any) => r.name), ['events', 'namespaces', 'namespaces/status', 'nodes', 'nodes/status', 'services', 'services/status']);
    const svc = v1.resources.find((r: any) => r.name === 'services');
    assert.deepEqual({ ...svc, storageVersionHash: undefined }, { name: 'services', singularName: 'service', namespaced: true, kind: 'Service', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['svc'], categories: ['all'], storageVersionHash: undefined });
    const apis = (await call(s, '/apis')).json;
    assert.deepEqual(apis.groups.map((g: any) => g.preferredVersion.groupVersion), ['discovery.k8s.io/v1', 'coordination.k8s.io/v1']);
    assert.equal((await call(s, '/apis/coordination.k8s.io')).json.kind, 'APIGroup');
    const coord = (await call(s, '/apis/coordination.k8s.io/v1')).json;
    assert.deepEqual(coord.resources.map((r: any) => `${r.name}:${r.kind}:${r.namespaced}`), ['leases:Lease:true']);
    assert.equal((await call(s, '/apis/apps/v1')).status, 404);
  });

  it('aggregated discovery when asked for it, with its content type', async () => {
    const r = await call(s, '/apis', { headers: { Accept: aggregatedAccept } });
    assert.equal(r.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(r.json.kind, 'APIGroupDiscoveryList');
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name), ['discovery.k8s.io', 'coordination.k8s.io']);
    assert.deepEqual(r.json.items[1].versions[0].resources[0].responseKind, { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' });
    const again = await call(s, '/apis', { headers: { Accept: aggregatedAccept, 'If-None-Match': String(r.headers.etag) } });
    assert.equal(again.status, 304);
  });

  it('/version, /healthz, /readyz, /livez', async () => {
    assert.equal((await call(s, '/version')).json.gitVersion, 'v1.32.0-kla-test');
    for (const p of ['/healthz', '/readyz', '/livez']) assert.equal((await call(s, p)).text, 'ok');
  });

  it('OpenAPI v3: an index and a document per group-version whose PATCH operations name fieldValidation', async () => {
    const root = (await call(s, '/openapi/v3')).json;
    assert.deepEqual(Object.keys(root.paths), ['api/v1', 'apis/discovery.k8s.io/v1', 'apis/coordination.k8s.io/v1']);
    const doc = (await call(s, root.paths['apis/coordination.k8s.io/v1'].serverRelativeURL)).json;
    const patch = doc.paths['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' });
    assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.equal((await call(s, '/openapi/v2')).status, 404);
  });
});

describe('server-side printing and negotiation', () => {
  it('a list as a Table: columns, cells, PartialObjectMetadata rows, the list resourceVersion', async () => {
    s.put(service('tbl', 'lb', { lbIPs: ['192.0.2.1'], ports: [80, 443] }));
    const r = await call(s, '/api/v1/namespaces/tbl/services', { headers: { Accept: tableAccept } });
    assert.equal(r.headers['content-type'], 'application/json;as=Table;g=meta.k8s.io;v=v1');
    assert.equal(r.json.kind, 'Table');
    assert.equal(r.json.apiVersion, 'meta.k8s.io/v1');
    assert.equal(r.json.metadata.resourceVersion, s.resourceVersion);
    assert.deepEqual(r.json.columnDefinitions.map((c: any) => c.name), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    const [name, type, clusterIP, external, ports, age, selector] = r.json.rows[0].cells;
    assert.deepEqual([name, type, external, selector], ['lb', 'LoadBalancer', '192.0.2.1', 'app=lb']);
    assert.match(clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.match(ports, /^80:3\d{4}\/TCP,443:3\d{4}\/TCP$/);
    assert.match(age, /^\d+s$/);
    assert.equal(r.json.rows[0].object.kind, 'PartialObjectMetadata');
    const full = await call(s, '/api/v1/namespaces/tbl/services?includeObject=Object', { headers: { Accept: tableAccept } });
    assert.equal(full.json.rows[0].object.kind, 'Service');
  });

  it('a watch of Tables sends column definitions with the first event only', async () => {
    const w = await watch(s, '/api/v1/nodes?watch=1', { headers: { Accept: tableAccept } });
    s.put(node('t1'));
    s.put(node('t2'));
    const a = await w.next();
    const b = await w.next();
    assert.equal(a?.object.kind, 'Table');
    assert.equal(a?.object.columnDefinitions.length, 10);
    assert.equal(b?.object.columnDefinitions, undefined);
    assert.equal(b?.object.rows[0].cells[0], 't2');
    w.close();
  });

  it('PartialObjectMetadataList for metadata-only clients', async () => {
    const r = await call(s, '/api/v1/nodes', { headers: { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' } });
    assert.equal(r.json.kind, 'PartialObjectMetadataList');
    assert.equal(r.json.items[0].kind, 'PartialObjectMetadata');
  });

  it('only protobuf acceptable: 406', async () => {
    const r = await call(s, '/api/v1/nodes', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    assert.equal(r.status, 406);
    assert.equal(r.json.reason, 'NotAcceptable');
  });

  it('unknown paths and resources: 404 Status; POST to a cluster-wide list of a namespaced resource: 405', async () => {
    const r = await call(s, '/api/v1/pods');
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'the server could not find the requested resource');
    assert.equal((await call(s, '/api/v1/services', { method: 'POST', body: service('default', 'x') })).status, 405);
  });
});

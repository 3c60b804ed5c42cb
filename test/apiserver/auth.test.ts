// Authentication and authorization as kube-apiserver answers them.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type TestApiServer } from './server.ts';
import { call } from './client.ts';
import { untrustedClientCert } from './tls.ts';

let s: TestApiServer;
before(async () => {
  s = await startApiServer();
});
after(() => s.close());

const unauthorized = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

describe('authentication', () => {
  it('a client certificate signed by the CA authenticates (CN = user, O = groups)', async () => {
    const cert = s.clientCert('system:node:n1', ['system:nodes']);
    const r = await call(s, '/api/v1/nodes', { token: null, cert });
    assert.equal(r.status, 200);
    assert.equal(s.requests().at(-1)?.user, 'system:node:n1');
  });

  it('a certificate from another CA is 401, like a missing or wrong token', async () => {
    const cert = untrustedClientCert(s.dir, 'mallory');
    assert.deepEqual((await call(s, '/api/v1/nodes', { token: null, cert })).json, unauthorized);
    assert.deepEqual((await call(s, '/api/v1/nodes', { token: null })).json, unauthorized);
    assert.deepEqual((await call(s, '/api/v1/nodes', { token: 'nope' })).json, unauthorized);
    assert.equal((await call(s, '/healthz', { token: null })).status, 401, 'with anonymous auth off, even /healthz');
  });

  it('a revoked token stops working; an added one works', async () => {
    s.addToken('agent-token', 'system:serviceaccount:kube-system:kube-lb-agent', ['system:serviceaccounts']);
    assert.equal((await call(s, '/api/v1/nodes', { token: 'agent-token' })).status, 200);
    s.removeToken('agent-token');
    assert.equal((await call(s, '/api/v1/nodes', { token: 'agent-token' })).status, 401);
  });

  it('with anonymous auth on: no credentials is system:anonymous — 403 on resources, /healthz and /version open', async () => {
    s.anonymousAuth = true;
    try {
      const r = await call(s, '/api/v1/services', { token: null });
      assert.equal(r.status, 403);
      assert.deepEqual(r.json, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'services is forbidden: User "system:anonymous" cannot list resource "services" in API group "" at the cluster scope',
        reason: 'Forbidden',
        details: { name: '', kind: 'services' },
        code: 403,
      });
      assert.equal((await call(s, '/healthz', { token: null })).text, 'ok');
      assert.equal((await call(s, '/version', { token: null })).json.major, '1');
      assert.equal((await call(s, '/api', { token: null })).status, 403);
      assert.equal((await call(s, '/api/v1/services', { token: 'wrong' })).status, 401, 'bad credentials stay 401');
    } finally {
      s.anonymousAuth = false;
    }
  });
});

describe('authorization', () => {
  it('a rule can forbid (403 Forbidden with the real message)', async () => {
    s.authorize((a) => !(a.resource === 'leases' && a.verb === 'update'));
    try {
      const r = await call(s, '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x', { method: 'PUT', body: { metadata: { name: 'x' } } });
      assert.equal(r.status, 403);
      assert.equal(r.json.message, 'leases.coordination.k8s.io "x" is forbidden: User "admin" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-system"');
      assert.equal((await call(s, '/apis/coordination.k8s.io/v1/leases')).status, 200);
    } finally {
      s.authorize(undefined);
    }
  });
});

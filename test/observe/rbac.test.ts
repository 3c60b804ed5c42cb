// packaging/rbac.yaml and packaging/make-kubeconfig.sh, against the test API
// server with a real kubectl 1.32.
//
// The test server serves no RBAC kinds (it refuses `kubectl apply` of them:
// no discovery, no OpenAPI), so:
// - shape: real kubectl writes each object with `kubectl create ... --dry-run=client
//   -o yaml` and the file must say the same;
// - sufficiency: the server authorizes by the file's own rules (a small RBAC
//   evaluator below) and the agent's real cluster code — informers, the
//   agent Lease and the event recorder (a new Event, then a repeat patched
//   onto it) — runs as the ServiceAccount without one 403; dropping any one
//   rule makes it fail, so no rule is surplus.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { createAgentLease, createApiConnection, createClusterView } from '../../src/cluster/index.ts';
import { EventRecorder } from '../../src/cluster/events.ts';
import { startApiServer, type TestApiServer } from '../apiserver/server.ts';
import type { RequestAttributes } from '../apiserver/auth.ts';
import { call } from '../apiserver/client.ts';
import { node, service, endpointSlice } from '../apiserver/fixtures.ts';
import { repoRoot } from '../helpers/cli.ts';
import { FAST, kubernetesConfig, recordingLog, waitFor } from '../cluster/helpers.ts';
import { tempDir } from '../helpers/tmp.ts';

const KUBECTL = '/usr/bin/kubectl';
const RBAC = join(repoRoot, 'packaging/rbac.yaml');
const SCRIPT = join(repoRoot, 'packaging/make-kubeconfig.sh');
const SA_USER = 'system:serviceaccount:kube-system:kube-lb-agent';
const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'];

// ---- the file ---------------------------------------------------------------

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: null };
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

const objects = (): Obj[] => parseAllDocuments(readFileSync(RBAC, 'utf8')).map((d) => d.toJS() as Obj);
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name)!;

/** RBAC as the API server evaluates it, for ServiceAccount subjects; other users (the test's admin) may do anything. */
function rbacAuthorizer(objs: Obj[]): (a: RequestAttributes) => boolean {
  return (a) => {
    if (!a.user.name.startsWith('system:serviceaccount:')) return true;
    // Discovery and health: the system:discovery / system:public-info-viewer roles every user has.
    if (!a.resource) return a.verb === 'get' && /^\/(api|apis|version|healthz|livez|readyz|openapi)(\/|$)/.test(a.path);
    const [, , saNs, saName] = a.user.name.split(':');
    for (const b of objs) {
      if (b.kind !== 'ClusterRoleBinding' && b.kind !== 'RoleBinding') continue;
      if (!b.subjects!.some((s) => s.kind === 'ServiceAccount' && s.name === saName && s.namespace === saNs)) continue;
      if (b.kind === 'RoleBinding' && a.namespace !== b.metadata.namespace) continue;
      const role = objs.find((r) => r.kind === b.roleRef!.kind && r.metadata.name === b.roleRef!.name && (r.kind === 'ClusterRole' || r.metadata.namespace === b.metadata.namespace));
      for (const rule of role?.rules ?? []) {
        const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
        if (!rule.apiGroups.includes(a.apiGroup ?? '') && !rule.apiGroups.includes('*')) continue;
        if (!rule.resources.includes(res) && !rule.resources.includes('*')) continue;
        if (!rule.verbs.includes(a.verb) && !rule.verbs.includes('*')) continue;
        if (rule.resourceNames?.length && !(a.name && rule.resourceNames.includes(a.name))) continue;
        return true;
      }
    }
    return false;
  };
}

// ---- processes (never synchronous: the server runs on this event loop) -----

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

const strip = (o: Obj) => {
  const { labels: _labels, creationTimestamp: _ct, ...metadata } = o.metadata;
  return { ...o, metadata };
};

let api: TestApiServer;
let adminKubeconfig: string;
const dir = tempDir('kla-obs-rbac-');

before(async () => {
  api = await startApiServer({ bookmarkIntervalMs: 200 });
  adminKubeconfig = api.writeKubeconfig();
  api.put(node('n1', { ready: true, internalIP: '10.0.0.1' }));
  api.put(service('shop', 'web', { lbIPs: ['192.0.2.10'] }));
  api.put(endpointSlice('shop', 'web', [{ ip: '10.1.0.5', node: 'n1' }]));
});
after(() => api.close());

describe('rbac.yaml', () => {
  test('objects: a ServiceAccount in kube-system, roles bound to it, nothing else', () => {
    const objs = objects();
    assert.deepEqual(
      objs.map((o) => `${o.kind} ${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`),
      [
        'ServiceAccount kube-system/kube-lb-agent',
        'ClusterRole kube-lb-agent',
        'ClusterRoleBinding kube-lb-agent',
        'Role kube-system/kube-lb-agent',
        'RoleBinding kube-system/kube-lb-agent',
        'ClusterRole kube-lb-agent-events',
        'ClusterRoleBinding kube-lb-agent-events',
      ],
    );
    const writes = new Set(['create', 'update', 'patch', 'delete', 'deletecollection', '*']);
    for (const o of objs) {
      for (const r of o.rules ?? []) {
        assert.ok(!r.verbs.includes('*') && !r.resources.includes('*') && !r.apiGroups.includes('*'), `${o.metadata.name}: no wildcards`);
        if (r.verbs.some((v) => writes.has(v))) assert.ok(r.resources.every((x) => x === 'leases' || x === 'events'), `${o.metadata.name}: writes only Leases and Events`);
      }
    }
  });

  test('each object is what kubectl 1.32 itself writes for it', async () => {
    const objs = objects();
    const kc = ['--kubeconfig', adminKubeconfig];
    const made = async (...args: string[]) => {
      const r = await run(KUBECTL, [...kc, 'create', ...args, '--dry-run=client', '-o', 'yaml']);
      assert.equal(r.code, 0, r.stderr);
      return strip(parseYaml(r.stdout) as Obj);
    };
    assert.deepEqual(await made('serviceaccount', 'kube-lb-agent', '-n', 'kube-system'), strip(find(objs, 'ServiceAccount', 'kube-lb-agent')));
    assert.deepEqual(
      await made('clusterrole', 'kube-lb-agent', '--verb=get,list,watch', '--resource=services,nodes,endpointslices.discovery.k8s.io'),
      strip(find(objs, 'ClusterRole', 'kube-lb-agent')),
    );
    assert.deepEqual(
      await made('clusterrolebinding', 'kube-lb-agent', '--clusterrole=kube-lb-agent', '--serviceaccount=kube-system:kube-lb-agent'),
      strip(find(objs, 'ClusterRoleBinding', 'kube-lb-agent')),
    );
    assert.deepEqual(
      await made('role', 'kube-lb-agent', '-n', 'kube-system', '--verb=get,list,watch,create,update,delete', '--resource=leases.coordination.k8s.io'),
      strip(find(objs, 'Role', 'kube-lb-agent')),
    );
    assert.deepEqual(
      await made('rolebinding', 'kube-lb-agent', '-n', 'kube-system', '--role=kube-lb-agent', '--serviceaccount=kube-system:kube-lb-agent'),
      strip(find(objs, 'RoleBinding', 'kube-lb-agent')),
    );
    assert.deepEqual(
      await made('clusterrole', 'kube-lb-agent-events', '--verb=create,patch', '--resource=events'),
      strip(find(objs, 'ClusterRole', 'kube-lb-agent-events')),
    );
    assert.deepEqual(
      await made('clusterrolebinding', 'kube-lb-agent-events', '--clusterrole=kube-lb-agent-events', '--serviceaccount=kube-system:kube-lb-agent'),
      strip(find(objs, 'ClusterRoleBinding', 'kube-lb-agent-events')),
    );
  });

  test('enough: the agent\'s informers and its Lease run as the ServiceAccount without a 403', async () => {
    await runAgentAs(objects(), async ({ view, lease, events, token }) => {
      await waitFor('the cluster view synced', () => view.status().synced, 10_000);
      await waitFor('the Lease renewed twice', () => lease.status().renewals >= 2, 10_000);
      await waitFor('an Event posted, then its repeat patched', () => events.status().counts.posted >= 2, 10_000);
      const [ev, ...more] = api.list('Event', 'shop') as unknown as { count?: number; involvedObject: { uid?: string } }[];
      assert.equal(more.length, 0);
      assert.equal(ev!.count, 2);
      assert.ok(ev!.involvedObject.uid, 'the Service read for its uid');
      assert.ok(api.get({ kind: 'Lease', namespace: 'kube-system', name: 'kube-lb-agent-n1' }));
      await lease.close();
      assert.equal(api.get({ kind: 'Lease', namespace: 'kube-system', name: 'kube-lb-agent-n1' }), undefined, 'deleted on close');
      assert.deepEqual(forbidden(), []);
      // …and no more: it cannot write what it reads, nor Leases elsewhere.
      const as = { url: api.url, caPem: api.caPem, token };
      assert.equal((await call(as, '/api/v1/namespaces/shop/services', { method: 'POST', body: service('shop', 'evil', {}) })).status, 403);
      assert.equal((await call(as, '/api/v1/nodes/n1', { method: 'DELETE' })).status, 403);
      assert.equal((await call(as, '/api/v1/nodes/n1', { method: 'PATCH', body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' })).status, 403);
      assert.equal((await call(as, '/apis/coordination.k8s.io/v1/namespaces/default/leases')).status, 403);
    });
  });

  for (const [kind, name, index, what] of [
    ['ClusterRole', 'kube-lb-agent', 0, 'services and nodes'],
    ['ClusterRole', 'kube-lb-agent', 1, 'endpointslices'],
    ['Role', 'kube-lb-agent', 0, 'leases'],
    ['ClusterRole', 'kube-lb-agent-events', 0, 'events'],
  ] as const) {
    test(`least: without the ${what} rule the agent is refused`, async () => {
      const objs = objects();
      find(objs, kind, name).rules!.splice(index, 1);
      await runAgentAs(objs, async () => {
        await waitFor('a 403', () => forbidden().length > 0, 10_000);
      });
    });
  }
});

const forbidden = () => api.requests((r) => r.code === 403 && r.user === SA_USER);

async function runAgentAs(
  objs: Obj[],
  body: (x: { view: ReturnType<typeof createClusterView>; lease: ReturnType<typeof createAgentLease>; events: EventRecorder; token: string }) => Promise<void>,
): Promise<void> {
  const token = `sa-${Math.random().toString(36).slice(2)}`;
  api.addToken(token, SA_USER, SA_GROUPS);
  api.authorize(rbacAuthorizer(objs));
  const { log } = recordingLog();
  const kubernetes = kubernetesConfig(api.writeKubeconfig({ token, user: SA_USER }));
  const conn = createApiConnection({ kubeconfig: kubernetes.kubeconfig, log });
  const view = createClusterView({ api: conn, kubernetes, log, tuning: FAST });
  const lease = createAgentLease({ api: conn, kubernetes, nodeName: 'n1', log });
  const events = new EventRecorder({ api: conn, node: 'n1', log, requestTimeoutMs: kubernetes.requestTimeoutMs });
  for (const e of api.list('Event')) api.delete(e);
  view.start();
  lease.start();
  const started = { service: 'shop/web', reason: 'AnnouncementStarted', message: 'announcing 192.0.2.10 from node n1' } as const;
  events.record(started);
  void events.flush(Date.now() + 10_000).then(() => events.record(started));
  try {
    await body({ view, lease, events, token });
  } finally {
    await events.close();
    await lease.close();
    await view.close();
    conn.close();
    api.authorize(undefined);
    api.removeToken(token);
  }
}

// ---- make-kubeconfig.sh -----------------------------------------------------

describe('make-kubeconfig.sh', () => {
  before(() => {
    api.addToken('sa-script-token', SA_USER, SA_GROUPS);
    api.authorize(rbacAuthorizer(objects()));
  });
  after(() => api.authorize(undefined));

  const script = (args: string[], env: NodeJS.ProcessEnv = {}) => run('bash', [SCRIPT, ...args], { KUBECONFIG: adminKubeconfig, KUBECTL, ...env });

  test('writes a working kubeconfig from a token (server and CA from the current context)', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'sa-script-token\n');
    const out = join(dir, 'out', 'kube-lb-agent.kubeconfig');
    const r = await script(['--token-file', tokenFile, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^wrote ${out} \\(ServiceAccount kube-system/kube-lb-agent, server https://127\\.0\\.0\\.1:${api.port}\\)`));
    assert.match(r.stdout, /install -m 0640 -o root -g kube-lb-agent .* \/etc\/kube-lb-agent\/kubeconfig/);
    assert.match(r.stderr, /warning: server https:\/\/127\.0\.0\.1:\d+ is a loopback address/);
    assert.equal(statSync(out).mode & 0o777, 0o600);

    const kc = parseYaml(readFileSync(out, 'utf8')) as { users: { user: { token: string } }[]; clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
    assert.equal(kc.users[0]!.user.token, 'sa-script-token');
    assert.equal(kc.clusters[0]!.cluster.server, api.url);
    assert.equal(Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(), api.caPem);

    // Real kubectl reads it and is the ServiceAccount: reads allowed, writes refused.
    const get = await run(KUBECTL, ['--kubeconfig', out, 'get', 'services', '-A', '-o', 'name']);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout.trim(), 'service/web');
    const del = await run(KUBECTL, ['--kubeconfig', out, 'delete', 'service', '-n', 'shop', 'web']);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /forbidden/);

    // The agent's own loader syncs from it.
    const { log } = recordingLog();
    const kubernetes = kubernetesConfig(out);
    const conn = createApiConnection({ kubeconfig: out, log });
    const view = createClusterView({ api: conn, kubernetes, log, tuning: FAST });
    view.start();
    try {
      await waitFor('synced', () => view.status().synced, 10_000);
      assert.ok(view.snapshot().services.has('shop/web'));
    } finally {
      await view.close();
      conn.close();
    }
  });

  test('--token-path keeps the token in its own file (tokenFile), for rotation', async () => {
    const tokenFile = join(dir, 'token2');
    writeFileSync(tokenFile, 'sa-script-token');
    const out = join(dir, 'rot.kubeconfig');
    const tokenPath = join(dir, 'etc', 'token');
    const r = await script(['--token-file', tokenFile, '--token-path', tokenPath, '-o', out, '--ca-file', api.caFile, '--server', api.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`token in ${tokenPath} \\(tokenFile\\)`));
    const kc = parseYaml(readFileSync(out, 'utf8')) as { users: { user: Record<string, string> }[] };
    assert.deepEqual(kc.users[0]!.user, { tokenFile: tokenPath });
    assert.equal(readFileSync(tokenPath, 'utf8'), 'sa-script-token');
    assert.equal(statSync(tokenPath).mode & 0o777, 0o600);
    const get = await run(KUBECTL, ['--kubeconfig', out, 'get', 'nodes', '-o', 'name']);
    assert.equal(get.stdout.trim(), 'node/n1', get.stderr);
  });

  test('the check refuses a token the cluster does not accept, and writes nothing', async () => {
    const tokenFile = join(dir, 'bad-token');
    writeFileSync(tokenFile, 'nobody-knows-this');
    const out = join(dir, 'bad.kubeconfig');
    const r = await script(['--token-file', tokenFile, '-o', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot list Nodes or Leases in kube-system \(is rbac\.yaml applied, and --server right\?\)/);
    assert.ok(!existsSync(out));
    const forced = await script(['--token-file', tokenFile, '-o', out, '--no-check']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(existsSync(out));
  });

  // The test server has no TokenRequest or Secrets: a kubectl stand-in answers
  // those two calls and passes everything else to the real kubectl.
  function shim(token: string): { env: NodeJS.ProcessEnv; log: string } {
    const log = join(dir, `shim-${Math.random().toString(36).slice(2)}.log`);
    const path = join(dir, `kubectl-shim-${Math.random().toString(36).slice(2)}`);
    writeFileSync(
      path,
      `#!/bin/bash
echo "$*" >> "${log}"
case " $* " in
  *" create token "*) printf '%s\\n' '${token}'; exit 0 ;;
  *" apply -f - "*) cat >> "${log}"; exit 0 ;;
  *" get secret "*) printf '%s' '${token}' | base64 -w0; exit 0 ;;
esac
exec ${KUBECTL} "$@"
`,
    );
    chmodSync(path, 0o755);
    return { env: { KUBECTL: path }, log };
  }

  test('default: a bound token for --duration, whose expiry it prints', async () => {
    const exp = Math.floor(Date.parse('2031-02-03T04:05:06Z') / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'RS256' })}.${b64({ iss: 'https://kubernetes.default.svc', sub: SA_USER, exp })}.c2ln`;
    api.addToken(jwt, SA_USER, SA_GROUPS);
    const s = shim(jwt);
    const out = join(dir, 'bound.kubeconfig');
    const r = await script(['--duration', '24h', '-o', out, '--context', 'kla-test'], s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /the token expires at 2031-02-03T04:05:06Z: run this script again before then/);
    assert.match(readFileSync(s.log, 'utf8'), /^--context kla-test create token kube-lb-agent -n kube-system --duration 24h$/m);
    assert.equal((parseYaml(readFileSync(out, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token, jwt);
  });

  test('--secret: a long-lived Secret-based token', async () => {
    api.addToken('legacy-secret-token', SA_USER, SA_GROUPS);
    const s = shim('legacy-secret-token');
    const out = join(dir, 'secret.kubeconfig');
    const r = await script(['--secret', '-o', out], s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /long-lived token from Secret kube-system\/kube-lb-agent-token: delete that Secret to revoke it/);
    const log = readFileSync(s.log, 'utf8');
    assert.match(log, /type: kubernetes\.io\/service-account-token/);
    assert.match(log, /kubernetes\.io\/service-account\.name: kube-lb-agent/);
    assert.equal((parseYaml(readFileSync(out, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token, 'legacy-secret-token');
  });

  // Needs shellcheck (scripts/install-deps.sh installs it). The shipped shell
  // scripts: this one, the package's maintainer scripts, and the scripts that
  // build and test the project.
  test('shellcheck finds nothing in the shipped and build scripts', async () => {
    const scripts = [SCRIPT, 'debian/kube-lb-agent.prerm', 'debian/kube-lb-agent.postrm', 'packaging/build-deb.sh', 'scripts/install-deps.sh', 'test/lab/demo.sh'];
    const r = await run('/usr/bin/shellcheck', scripts.map((f) => (f.startsWith('/') ? f : join(repoRoot, f))));
    assert.equal(r.code, 0, r.stdout);
  });
});

// Fidelity: the real kubectl 1.32 (/usr/bin/kubectl) against the test API
// server. If kubectl is content, the wire protocol is honest for what it
// exercises: aggregated discovery, server-side printing (Table) on list and
// watch, OpenAPI v3 for apply, client-side apply, strategic merge patch on
// a status subresource, watch events.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startApiServer, type TestApiServer } from './server.ts';
import { endpointSlice, lease, node, service } from './fixtures.ts';
import { createApiClient } from '../../src/cluster/api-client.ts';
import { EventRecorder } from '../../src/cluster/events.ts';
import { loadKubeconfig } from '../../src/cluster/kubeconfig.ts';
import { createLogger } from '../../src/system/logger.ts';

function silentLogger() {
  return createLogger({ level: 'silent', format: 'json' });
}

const kubectlBin = '/usr/bin/kubectl';

let s: TestApiServer;
let work: string;
let kubeconfig: string;

function kubectl(args: string[], config = kubeconfig): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(kubectlBin, ['--kubeconfig', config, '--cache-dir', join(work, 'cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Rows of kubectl's table output, columns split on runs of 2+ spaces, with AGE values masked. */
function rows(out: string): string[][] {
  return out
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/).map((c) => (/^\d+[smhd]$/.test(c) ? '<age>' : c)));
}

describe('kubectl 1.32 against the test API server', { skip: !existsSync(kubectlBin) && 'no kubectl at /usr/bin/kubectl' }, () => {
  before(async () => {
    s = await startApiServer();
    work = mkdtempSync(join(tmpdir(), 'kla-kubectl-'));
    kubeconfig = s.writeKubeconfig();
    s.put(service('default', 'web', { lbIPs: ['192.0.2.10'] }));
    s.put(service('kube-system', 'kube-dns', { ports: [53] }));
    s.put(node('node-a', { internalIP: '10.0.0.1', labels: { 'node-role.kubernetes.io/control-plane': '' } }));
    s.put(node('node-b', { ready: false, internalIP: '10.0.0.2' }));
    s.put(endpointSlice('default', 'web', [{ ip: '10.1.0.1', node: 'node-a' }, { ip: '10.1.0.2', node: 'node-b' }]));
    s.put(lease('kube-system', 'kube-lb-agent-node-a', { holder: 'node-a' }));
  });
  after(async () => {
    await s.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('kubectl get services -A', async () => {
    const r = await kubectl(['get', 'services', '-A']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows(r.stdout), [
      ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
      ['default', 'web', 'LoadBalancer', '10.96.0.10', '192.0.2.10', '80:30000/TCP', '<age>'],
      ['kube-system', 'kube-dns', 'ClusterIP', '10.96.0.11', '<none>', '53/TCP', '<age>'],
    ]);
  });

  it('kubectl get endpointslices -A', async () => {
    const r = await kubectl(['get', 'endpointslices', '-A']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows(r.stdout), [
      ['NAMESPACE', 'NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
      ['default', 'web-ipv4', 'IPv4', '80', '10.1.0.1,10.1.0.2', '<age>'],
    ]);
  });

  it('kubectl get nodes (and -o wide)', async () => {
    const r = await kubectl(['get', 'nodes']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows(r.stdout), [
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
      ['node-a', 'Ready', 'control-plane', '<age>', 'v1.32.0'],
      ['node-b', 'NotReady', '<none>', '<age>', 'v1.32.0'],
    ]);
    const wide = await kubectl(['get', 'nodes', '-o', 'wide']);
    assert.deepEqual(rows(wide.stdout)[1], ['node-a', 'Ready', 'control-plane', '<age>', 'v1.32.0', '10.0.0.1', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'containerd://1.7.0']);
  });

  it('kubectl get leases -n kube-system', async () => {
    const r = await kubectl(['get', 'leases', '-n', 'kube-system']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows(r.stdout), [
      ['NAME', 'HOLDER', 'AGE'],
      ['kube-lb-agent-node-a', 'node-a', '<age>'],
    ]);
  });

  it('kubectl get -o json gives back the stored object', async () => {
    const r = await kubectl(['get', 'service', 'web', '-n', 'default', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout), s.get({ kind: 'Service', namespace: 'default', name: 'web' }));
  });

  it('kubectl apply -f of a Lease: created, then configured (a PATCH), then unchanged', async () => {
    const file = join(work, 'lease.yaml');
    const yaml = (d: number) => `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: kube-lb-agent-node-b\n  namespace: kube-system\nspec:\n  holderIdentity: node-b\n  leaseDurationSeconds: ${d}\n`;
    writeFileSync(file, yaml(15));
    const created = await kubectl(['apply', '-f', file]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'lease.coordination.k8s.io/kube-lb-agent-node-b created\n');
    const ref = { kind: 'Lease', namespace: 'kube-system', name: 'kube-lb-agent-node-b' };
    const first = s.get(ref)!;
    assert.ok(first.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
    writeFileSync(file, yaml(20));
    const updated = await kubectl(['apply', '-f', file]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(updated.stdout, 'lease.coordination.k8s.io/kube-lb-agent-node-b configured\n');
    const second = s.get(ref)!;
    assert.equal((second.spec as { leaseDurationSeconds: number }).leaseDurationSeconds, 20);
    assert.equal(second.metadata.uid, first.metadata.uid);
    assert.ok(Number(second.metadata.resourceVersion) > Number(first.metadata.resourceVersion));
    assert.ok(s.requests((q) => q.method === 'PATCH' && q.path.endsWith('/leases/kube-lb-agent-node-b') && q.query.includes('fieldValidation=Strict')).length === 1);
    const same = await kubectl(['apply', '-f', file]);
    assert.equal(same.stdout, 'lease.coordination.k8s.io/kube-lb-agent-node-b unchanged\n');
  });

  it('kubectl apply of a Lease with a misspelt field fails server-side (strict field validation)', async () => {
    const file = join(work, 'typo.yaml');
    writeFileSync(file, 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: typo\n  namespace: kube-system\nspec:\n  holderIdentitty: x\n');
    const r = await kubectl(['apply', '-f', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(BadRequest\): error when creating ".*typo\.yaml": Lease in version "v1" cannot be handled as a Lease: strict decoding error: unknown field "spec\.holderIdentitty"/);
  });

  it('kubectl get svc -w --output-watch-events sees ADDED, MODIFIED and DELETED', async () => {
    const child: ChildProcess = spawn(kubectlBin, ['--kubeconfig', kubeconfig, '--cache-dir', join(work, 'cache'), 'get', 'svc', '-n', 'watched', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[][] = [];
    let wake = () => {};
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(rows(l)[0]!);
      wake();
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const waitLines = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (lines.length < n) {
        if (Date.now() > deadline) throw new Error(`kubectl printed ${JSON.stringify(lines)}; stderr: ${stderr}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
    };
    try {
      s.put(service('watched', 'echo', { type: 'LoadBalancer' }));
      await waitLines(2); // header + the existing object as ADDED
      await s.waitForWatch((w) => w.namespace === 'watched');
      s.patch({ kind: 'Service', namespace: 'watched', name: 'echo' }, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.20' }] } } });
      await waitLines(3);
      s.delete({ kind: 'Service', namespace: 'watched', name: 'echo' });
      await waitLines(4);
      assert.deepEqual(lines, [
        ['EVENT', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
        ['ADDED', 'echo', 'LoadBalancer', '10.96.0.12', '<pending>', '80:30001/TCP', '<age>'],
        ['MODIFIED', 'echo', 'LoadBalancer', '10.96.0.12', '192.0.2.20', '80:30001/TCP', '<age>'],
        ['DELETED', 'echo', 'LoadBalancer', '10.96.0.12', '192.0.2.20', '80:30001/TCP', '<age>'],
      ]);
    } finally {
      child.kill();
    }
  });

  it('kubectl patch svc --subresource=status sets a LoadBalancer ingress', async () => {
    s.put(service('default', 'pending', { type: 'LoadBalancer' }));
    const r = await kubectl(['patch', 'svc', 'pending', '-n', 'default', '--subresource=status', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.30","ipMode":"VIP"}]}}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'service/pending patched\n');
    const svc = s.get({ kind: 'Service', namespace: 'default', name: 'pending' })!;
    assert.deepEqual((svc.status as any).loadBalancer.ingress, [{ ip: '192.0.2.30', ipMode: 'VIP' }]);
    const req = s.requests((q) => q.method === 'PATCH' && q.path === '/api/v1/namespaces/default/services/pending/status');
    assert.equal(req.length, 1);
  });

  it('kubectl works with a client-certificate kubeconfig too', async () => {
    const r = await kubectl(['get', 'nodes', '-o', 'name'], s.writeKubeconfig({ auth: 'cert', user: 'kube-lb-agent', groups: ['system:nodes'] }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'node/node-a\nnode/node-b\n');
    assert.equal(s.requests().at(-1)?.user, 'kube-lb-agent');
  });

  it('kubectl reports the real errors: NotFound, AlreadyExists, Conflict, Unauthorized', async () => {
    const missing = await kubectl(['get', 'svc', 'nope', '-n', 'default']);
    assert.equal(missing.stderr, 'Error from server (NotFound): services "nope" not found\n');
    const file = join(work, 'existing.yaml');
    writeFileSync(file, 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: kube-lb-agent-node-a\n  namespace: kube-system\nspec:\n  holderIdentity: node-a\n');
    const exists = await kubectl(['create', '-f', file]);
    assert.match(exists.stderr, /Error from server \(AlreadyExists\): error when creating ".*existing\.yaml": leases\.coordination\.k8s\.io "kube-lb-agent-node-a" already exists/);
    writeFileSync(file, 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: kube-lb-agent-node-a\n  namespace: kube-system\n  resourceVersion: "2"\nspec:\n  holderIdentity: node-a\n');
    const conflict = await kubectl(['replace', '-f', file]);
    assert.match(conflict.stderr, /Error from server \(Conflict\): error when replacing ".*existing\.yaml": Operation cannot be fulfilled on leases\.coordination\.k8s\.io "kube-lb-agent-node-a": the object has been modified; please apply your changes to the latest version and try again/);
    const denied = await kubectl(['get', 'nodes'], s.writeKubeconfig({ token: 'not-a-valid-token' }));
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr, 'error: You must be logged in to the server (Unauthorized)\n');
  });

  it('kubectl delete lease', async () => {
    const r = await kubectl(['delete', 'lease', '-n', 'kube-system', 'kube-lb-agent-node-b']);
    assert.equal(r.stdout, 'lease.coordination.k8s.io "kube-lb-agent-node-b" deleted\n');
    assert.equal(s.get({ kind: 'Lease', namespace: 'kube-system', name: 'kube-lb-agent-node-b' }), undefined);
  });

  it('kubectl get events and describe service show the Events the agent posts (core/v1, aggregated repeats)', async () => {
    const recorder = new EventRecorder({ api: { client: async () => createApiClient(loadKubeconfig(kubeconfig)) }, node: 'node-a', log: silentLogger(), requestTimeoutMs: 5000 });
    recorder.record({ service: 'default/web', reason: 'AnnouncementStarted', message: 'announcing 192.0.2.10 from node node-a' });
    recorder.record({ service: 'default/web', reason: 'AnnouncementStopped', message: 'stopped announcing 192.0.2.10 from node node-a: no-local-endpoint' });
    await recorder.flush(Date.now() + 10_000);
    // A repeat of the first, once posted: the same Event, count 2.
    recorder.record({ service: 'default/web', reason: 'AnnouncementStarted', message: 'announcing 192.0.2.10 from node node-a' });
    await recorder.close(Date.now() + 10_000);
    assert.deepEqual(recorder.status().counts, { posted: 3, aggregated: 0, rate_limited: 0, queue_full: 0, api_error: 0, shutdown: 0 });

    const r = await kubectl(['get', 'events', '-n', 'default']);
    assert.equal(r.code, 0, r.stderr);
    const got = rows(r.stdout);
    assert.deepEqual(got[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    assert.deepEqual(
      got.slice(1).map((c) => c.slice(1)).sort(),
      [
        ['Normal', 'AnnouncementStarted', 'service/web', 'announcing 192.0.2.10 from node node-a'],
        ['Normal', 'AnnouncementStopped', 'service/web', 'stopped announcing 192.0.2.10 from node node-a: no-local-endpoint'],
      ],
      'two Events: the repeat was aggregated into the first',
    );
    const wide = await kubectl(['get', 'events', '-n', 'default', '-o', 'wide', '--field-selector', 'reason=AnnouncementStarted']);
    assert.equal(wide.code, 0, wide.stderr);
    const w = rows(wide.stdout);
    assert.deepEqual(w[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
    assert.equal(w.length, 2);
    assert.deepEqual(w[1]!.slice(1, 5), ['Normal', 'AnnouncementStarted', 'service/web', 'kube-lb-agent, node-a']);
    assert.equal(w[1]![7], '2', 'COUNT');
    assert.match(w[1]![8]!, /^web\.[0-9a-f]+$/);

    const d = await kubectl(['describe', 'service', '-n', 'default', 'web']);
    assert.equal(d.code, 0, d.stderr);
    const events = d.stdout.slice(d.stdout.indexOf('Events:'));
    assert.match(events, /Normal\s+AnnouncementStarted\s+\S+( \(x2 over \S+\))?\s+kube-lb-agent\s+announcing 192\.0\.2\.10 from node node-a/);
    assert.match(events, /Normal\s+AnnouncementStopped\s+\S+\s+kube-lb-agent\s+stopped announcing 192\.0\.2\.10/);
  });

  it('kubectl api-resources and version read the discovery documents', async () => {
    const r = await kubectl(['api-resources']);
    assert.deepEqual(rows(r.stdout), [
      ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'],
      ['events', 'ev', 'v1', 'true', 'Event'],
      ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
      ['nodes', 'no', 'v1', 'false', 'Node'],
      ['services', 'svc', 'v1', 'true', 'Service'],
      ['leases', 'coordination.k8s.io/v1', 'true', 'Lease'],
      ['endpointslices', 'discovery.k8s.io/v1', 'true', 'EndpointSlice'],
    ]);
    const v = await kubectl(['version', '-o', 'json']);
    assert.equal(JSON.parse(v.stdout).serverVersion.minor, '32');
  });
});

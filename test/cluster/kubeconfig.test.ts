// Credentials from kubeconfig files as operators write them: a bearer token,
// a client certificate from files, a token file (client-go's `tokenFile`,
// with a trailing newline, rotated), an exec credential plugin; a kubeconfig
// that appears only after the agent started; a revoked token.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import { service } from '../apiserver/fixtures.ts';
import { startApiServer, type TestApiServer } from '../apiserver/server.ts';
import { createApiConnection, createClusterView } from '../../src/cluster/index.ts';
import { loadKubeconfig } from '../../src/cluster/kubeconfig.ts';
import { isAgentError } from '../../src/errors.ts';
import { FAST, kubernetesConfig, recordingLog, waitFor } from './helpers.ts';

let api: TestApiServer;
let dir: string;
before(async () => {
  api = await startApiServer();
  api.put(service('default', 'web', { lbIPs: ['192.0.2.10'] }));
  dir = mkdtempSync(join(tmpdir(), 'kla-kubeconfig-'));
});
after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubeconfigWith(user: Record<string, unknown>, name = `kc-${Math.random().toString(36).slice(2)}.yaml`): string {
  writeFileSync(join(dir, 'ca.pem'), api.caPem);
  const path = join(dir, name);
  writeFileSync(
    path,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      // A relative CA path: relative to the kubeconfig's folder, as kubectl reads it.
      clusters: [{ name: 'c', cluster: { server: api.url, 'certificate-authority': 'ca.pem' } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return path;
}

async function syncsWith(kubeconfig: string): Promise<string[]> {
  const rec = recordingLog();
  const conn = createApiConnection({ kubeconfig, log: rec.log });
  const view = createClusterView({ api: conn, kubernetes: kubernetesConfig(kubeconfig), log: rec.log, tuning: FAST });
  view.start();
  try {
    await waitFor('synced', () => view.snapshot().synced, 5000);
    return [...view.snapshot().services.keys()];
  } finally {
    await view.close();
    conn.close();
  }
}

describe('kubeconfig', () => {
  test('bearer token and client certificate (from the test server)', async () => {
    assert.deepEqual(await syncsWith(api.writeKubeconfig()), ['default/web']);
    assert.deepEqual(await syncsWith(api.writeKubeconfig({ auth: 'cert' })), ['default/web']);
    assert.ok(api.requests((r) => r.user === 'admin').length > 0);
  });

  test('client certificate and key as relative file paths', async () => {
    const c = api.clientCert('kube-lb-agent', ['system:masters']);
    writeFileSync(join(dir, 'agent.crt'), c.certPem);
    writeFileSync(join(dir, 'agent.key'), c.keyPem);
    assert.deepEqual(await syncsWith(kubeconfigWith({ 'client-certificate': 'agent.crt', 'client-key': 'agent.key' })), ['default/web']);
    assert.ok(api.requests((r) => r.user === 'kube-lb-agent').length > 0);
  });

  test('tokenFile (client-go\'s key), relative, with a trailing newline, re-read when rotated', async () => {
    api.addToken('tok-one', 'agent-one', ['system:masters']);
    api.addToken('tok-two', 'agent-two', ['system:masters']);
    writeFileSync(join(dir, 'token'), 'tok-one\n');
    const kc = kubeconfigWith({ tokenFile: 'token' });
    const endpoint = loadKubeconfig(kc);
    const auth = async () => ((await endpoint.requestOptions()).headers as Record<string, string>).Authorization;
    assert.equal(await auth(), 'Bearer tok-one');
    writeFileSync(join(dir, 'token'), 'tok-two\n');
    assert.equal(await auth(), 'Bearer tok-two');
    endpoint.close();
    assert.deepEqual(await syncsWith(kc), ['default/web']);
    assert.ok(api.requests((r) => r.user === 'agent-two').length > 0);
    // The older spelling works too.
    assert.deepEqual(await syncsWith(kubeconfigWith({ 'token-file': join(dir, 'token') })), ['default/web']);
  });

  test('an exec credential plugin', async () => {
    api.addToken('tok-exec', 'agent-exec', ['system:masters']);
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-exec"}}\'\n',
    );
    chmodSync(plugin, 0o755);
    const kc = kubeconfigWith({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } });
    assert.deepEqual(await syncsWith(kc), ['default/web']);
    assert.ok(api.requests((r) => r.user === 'agent-exec').length > 0);
  });

  test('bad kubeconfigs are AgentError KUBECONFIG with a reason', () => {
    const bad = (text: string) => {
      const p = join(dir, `bad-${Math.random()}.yaml`);
      writeFileSync(p, text);
      return p;
    };
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.yaml'), /cannot load kubeconfig .*missing\.yaml: ENOENT/],
      [bad('apiVersion: v1\nkind: Config\n'), /no current-context/],
      [bad('current-context: x\ncontexts: [{name: x, context: {cluster: nope, user: u}}]\nusers: [{name: u, user: {}}]\n'), /names no cluster with a server/],
      [bad('current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\n'), /plain http .* needs insecure-skip-tls-verify/],
      [bad('clusters: [unclosed'), /cannot load kubeconfig/],
      [bad('just text'), /no current-context/],
    ];
    for (const [path, re] of cases) {
      assert.throws(() => loadKubeconfig(path), (e: unknown) => isAgentError(e, 'KUBECONFIG') && re.test((e as Error).message), path);
    }
  });

  test('the kubeconfig appears after start → syncs without a restart', async () => {
    const path = join(dir, 'later.yaml');
    const rec = recordingLog();
    const conn = createApiConnection({ kubeconfig: path, log: rec.log });
    const view = createClusterView({ api: conn, kubernetes: kubernetesConfig(path), log: rec.log, tuning: FAST });
    view.start();
    try {
      await waitFor('a failed attempt', () => conn.status().lastError?.includes('ENOENT'));
      api.writeKubeconfig({ path });
      await waitFor('synced', () => view.snapshot().synced, 5000);
      assert.equal(rec.said(/not reachable yet/).length, 1);
    } finally {
      await view.close();
      conn.close();
    }
  });

  test('a revoked token (401): said, retried, and the kubeconfig read again', async () => {
    api.addToken('tok-revoked', 'agent-r', ['system:masters']);
    const path = api.writeKubeconfig({ token: 'tok-revoked' });
    const rec = recordingLog();
    const conn = createApiConnection({ kubeconfig: path, log: rec.log });
    const view = createClusterView({ api: conn, kubernetes: kubernetesConfig(path), log: rec.log, tuning: FAST });
    view.start();
    try {
      await waitFor('synced', () => view.snapshot().synced, 5000);
      api.removeToken('tok-revoked');
      api.dropWatches();
      await waitFor('401 seen', () => conn.status().lastError?.includes('401'));
      assert.equal(conn.status().state, 'down');
      // The operator puts a new token into the file: picked up without a restart.
      api.addToken('tok-new', 'agent-new', ['system:masters']);
      api.writeKubeconfig({ path, token: 'tok-new' });
      await waitFor('up again', () => conn.status().state === 'up', 5000);
      await waitFor('as the new user', () => api.watches().some((w) => w.user === 'agent-new'));
    } finally {
      await view.close();
      conn.close();
    }
  });
});

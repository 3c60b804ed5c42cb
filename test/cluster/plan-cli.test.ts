// `kube-lb-agent plan` as a process, on the fixture cluster in
// fixtures/objects.yaml — and proof that a file is read exactly as the agent
// reads the same objects from the API.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { cliFor, repoRoot } from '../helpers/cli.ts';
import { startApiServer } from '../apiserver/server.ts';
import type { KubeObject } from '../apiserver/store.ts';
import { createApiConnection, createClusterView, readObjectsFile } from '../../src/cluster/index.ts';
import { FAST, kubernetesConfig, recordingLog, waitFor } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';

const cli = cliFor([join(repoRoot, 'node_modules/.bin/node'), join(repoRoot, 'src/main.ts')]);
const fixtures = join(repoRoot, 'test/cluster/fixtures');
const objects = join(fixtures, 'objects.yaml');
const config = join(fixtures, 'plan.toml');
const dir = tempDir('kla-plan-');

/** The fixture's objects one by one, Lists unpacked, kind and apiVersion filled in. */
function fixtureObjects(): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(objects, 'utf8'))) {
    const v = doc.toJS() as { kind?: string; apiVersion?: string; items?: Record<string, unknown>[] } & Record<string, unknown>;
    if (!v.kind?.endsWith('List')) {
      out.push(v as unknown as KubeObject);
      continue;
    }
    const kind = v.kind === 'List' ? undefined : v.kind.slice(0, -4);
    for (const i of v.items ?? []) out.push({ kind, apiVersion: v.apiVersion, ...i } as unknown as KubeObject);
  }
  return out;
}

interface Out {
  announcements: { ip: string; prefix: number; family: number; services: string[] }[];
  decisions: { service: string; ip: string; announce: boolean; reason: string; winner?: string | null }[];
}

function plan(args: string[]): { out: Out; stderr: string } {
  const r = cli(['plan', ...args]);
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
  return { out: JSON.parse(r.stdout) as Out, stderr: r.stderr };
}

const brief = (o: Out) => ({
  announcements: o.announcements.map((a) => `${a.ip}/${a.prefix} v${a.family} ${a.services.join(',')}`),
  decisions: o.decisions.map((d) => `${d.service} ${d.ip} ${d.announce ? 'yes' : 'no'} ${d.reason}${d.winner !== undefined ? ` (${d.winner})` : ''}`),
});

describe('kube-lb-agent plan', () => {
  test('node n1: the Local Service with a local endpoint (dual-stack) and the Cluster one', () => {
    const { out, stderr } = plan(['-c', config, '--node', 'n1', '--objects', objects]);
    assert.deepEqual(brief(out), {
      announcements: ['192.0.2.10/32 v4 shop/web', '192.0.2.11/32 v4 shop/api', '2001:db8::10/128 v6 shop/web'],
      decisions: ['shop/api 192.0.2.11 yes announced', 'shop/web 192.0.2.10 yes announced', 'shop/web 2001:db8::10 yes announced'],
    });
    assert.deepEqual(Object.keys(out.decisions[0]!).slice(0, 4), ['service', 'ip', 'announce', 'reason']);
    assert.deepEqual(Object.keys(out.announcements[0]!).slice(0, 4), ['ip', 'prefix', 'family', 'services']);
    assert.match(stderr, /note: ignored 1 Lease, 1 Pod/);
  });

  test('node n2: no local endpoint for the Local Service', () => {
    const { out } = plan(['-c', config, '--node', 'n2', '--objects', objects]);
    assert.deepEqual(brief(out).decisions, [
      'shop/api 192.0.2.11 yes announced',
      'shop/web 192.0.2.10 no no-local-endpoint',
      'shop/web 2001:db8::10 no no-local-endpoint',
    ]);
  });

  test('per-service election: Lease freshness judged at --now', () => {
    const perService = join(dir, 'per-service.toml');
    writeFileSync(perService, readFileSync(config, 'utf8') + '\n[announce]\nelection = "per-service"\n');
    // n1 renewed at 10:00:00, n2 at 09:59:50, both for 15 s.
    const both = plan(['-c', perService, '--node', 'n1', '--objects', objects, '--now', '2026-11-22T10:00:03Z']).out;
    const n2Gone = plan(['-c', perService, '--node', 'n1', '--objects', objects, '--now', '2026-11-22T10:00:10Z']).out;
    const api = (o: Out) => o.decisions.find((d) => d.service === 'shop/api')!;
    // With both alive the hash decides; with n2's Lease expired only n1 is a candidate.
    assert.ok(['announced', 'not-elected'].includes(api(both).reason));
    assert.equal(api(n2Gone).reason, 'announced');
    const fromN2 = plan(['-c', perService, '--node', 'n2', '--objects', objects, '--now', '2026-11-22T10:00:10Z']).out;
    assert.equal(api(fromN2).announce, false);
    // Every node computes the same winner.
    const fromN2Both = plan(['-c', perService, '--node', 'n2', '--objects', objects, '--now', '2026-11-22T10:00:03Z']).out;
    assert.notEqual(api(both).announce, api(fromN2Both).announce);
  });

  test('a kubectl JSON List reads the same as the YAML documents', () => {
    const items = fixtureObjects();
    const json = join(dir, 'objects.json');
    writeFileSync(json, JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items }, null, 2));
    assert.deepEqual(plan(['-c', config, '--node', 'n1', '--objects', json]).out, plan(['-c', config, '--node', 'n1', '--objects', objects]).out);
  });

  test('exit codes: bad objects file 2 (naming file and document), bad --now 2, missing --objects 2, bad config 3', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kind: Node\nmetadata: {name: n1}\n---\nkind: Service\nmetadata: {name: x, namespace: y}\nspec: {type: Balancer}\n');
    let r = cli(['plan', '-c', config, '--node', 'n1', '--objects', bad]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /bad\.yaml: document 2 \(Service y\/x\): spec\.type "Balancer" is not a Service type/);
    assert.equal(r.stdout, '');
    r = cli(['plan', '-c', config, '--objects', join(dir, 'nope.yaml')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot read .*nope\.yaml/);
    r = cli(['plan', '-c', config, '--objects', objects, '--now', 'tomorrow']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--now "tomorrow" is not a time/);
    r = cli(['plan', '-c', config]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /required option '--objects <file>'/);
    const badConfig = join(dir, 'bad.toml');
    writeFileSync(badConfig, '[pools.edge]\ncidrs = ["192.0.2.0/33"]\n');
    r = cli(['plan', '-c', badConfig, '--objects', objects]);
    assert.equal(r.status, 3, r.stderr);
  });
});

test('a file reads exactly as the same objects read from the API', async () => {
  const api = await startApiServer({ objects: fixtureObjects().filter((o) => o.kind !== 'Pod') });
  const rec = recordingLog();
  const kubeconfig = api.writeKubeconfig();
  const conn = createApiConnection({ kubeconfig, log: rec.log });
  const view = createClusterView({ api: conn, kubernetes: kubernetesConfig(kubeconfig), log: rec.log, tuning: FAST });
  view.start();
  try {
    await waitFor('synced', () => view.snapshot().synced);
    const fromApi = view.snapshot();
    const fromFile = readObjectsFile(objects, { leaseNamespace: 'kube-system' }).snapshot;
    const sorted = <V>(m: ReadonlyMap<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
    assert.deepEqual(sorted(fromApi.services), sorted(fromFile.services));
    assert.deepEqual(sorted(fromApi.endpointSlices), sorted(fromFile.endpointSlices));
    assert.deepEqual(sorted(fromApi.nodes), sorted(fromFile.nodes));
    assert.deepEqual(sorted(fromApi.agentLeases), sorted(fromFile.agentLeases));
  } finally {
    await view.close();
    conn.close();
    await api.close();
  }
});

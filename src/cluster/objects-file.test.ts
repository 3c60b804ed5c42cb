import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAgentError } from '../errors.ts';
import { parseObjectsText, readObjectsFile } from './objects-file.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

const fixture = new URL('../../test/cluster/fixtures/objects.yaml', import.meta.url).pathname;

test('objects file: multi-document YAML with Lists reads into a synced Snapshot', () => {
  const { snapshot, ignored } = readObjectsFile(fixture, { leaseNamespace: 'kube-system' });
  assert.equal(snapshot.synced, true);
  assert.deepEqual([...snapshot.services.keys()], ['shop/web', 'shop/api', 'shop/db']);
  assert.deepEqual(snapshot.services.get('shop/db')!.clusterIPs, []);
  assert.deepEqual(
    snapshot.endpointSlices.get('shop/web')!.map((s) => `${s.name}:${s.addressType}`),
    ['web-v4:IPv4', 'web-v6:IPv6'],
  );
  assert.deepEqual([...snapshot.nodes.keys()], ['n1', 'n2']);
  assert.deepEqual([...snapshot.agentLeases.keys()], ['n1', 'n2']);
  assert.deepEqual(Object.fromEntries(ignored), { Lease: 1, Pod: 1 });
  assert.ok(Object.isFrozen(snapshot));
});

test('objects file: kubectl JSON List with kind-less items (typed list)', () => {
  const json = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ServiceList',
    items: [{ metadata: { name: 'a', namespace: 'x' }, spec: { type: 'LoadBalancer' } }],
  });
  const { snapshot } = parseObjectsText(json, 'svc.json');
  assert.equal(snapshot.services.get('x/a')!.type, 'LoadBalancer');
});

test('objects file: Leases outside the lease namespace are ignored', () => {
  const text = 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: kube-lb-agent-n1, namespace: other}\nspec: {holderIdentity: n1}\n';
  assert.equal(parseObjectsText(text, 'f', { leaseNamespace: 'kube-system' }).snapshot.agentLeases.size, 0);
  assert.equal(parseObjectsText(text, 'f').snapshot.agentLeases.size, 1);
});

test('objects file: every problem names the file, the document and the item', () => {
  const text = [
    'kind: Service\nmetadata: {name: a, namespace: x}\nspec: {type: Balancer}',
    'kind: [unclosed',
    'apiVersion: v1\nkind: List\nitems:\n- kind: Node\n  metadata: {}\n- 42',
    'apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\nmetadata: {name: s, namespace: x, labels: {kubernetes.io/service-name: a}}\naddressType: IPv4',
    'metadata: {name: nokind}',
    '- just\n- a list',
    'kind: Service\nmetadata: {name: a, namespace: x}',
    'kind: Service\nmetadata: {name: a, namespace: x}',
  ].join('\n---\n');
  let err: unknown;
  try {
    parseObjectsText(text, 'bad.yaml');
  } catch (e) {
    err = e;
  }
  assert.ok(isAgentError(err, 'OBJECTS_FILE'));
  const lines = (err as Error).message.split('\n');
  assert.deepEqual(lines, [
    'bad.yaml: document 1 (Service x/a): spec.type "Balancer" is not a Service type',
    lines[1],
    'bad.yaml: document 3, items[0] (Node ?): metadata.name is missing',
    'bad.yaml: document 3, items[1]: expected an object',
    'bad.yaml: document 4 (EndpointSlice x/s): apiVersion discovery.k8s.io/v1beta1 is not discovery.k8s.io/v1',
    'bad.yaml: document 5: no kind',
    'bad.yaml: document 6: expected a Kubernetes object or List, found a sequence',
    'bad.yaml: document 8 (Service x/a): the same Service is also at bad.yaml: document 7',
  ]);
  assert.match(lines[1]!, /^bad\.yaml: document 2: not valid YAML: /);
});

test('objects file: unreadable file and empty file', () => {
  assert.throws(() => readObjectsFile('/nonexistent/objects.yaml'), (e: unknown) => isAgentError(e, 'OBJECTS_FILE') && /cannot read \/nonexistent\/objects\.yaml/.test((e as Error).message));
  const dir = tempDir('kla-objects-');
  writeFileSync(join(dir, 'empty.yaml'), '');
  const { snapshot } = readObjectsFile(join(dir, 'empty.yaml'));
  assert.equal(snapshot.services.size + snapshot.nodes.size, 0);
  assert.equal(snapshot.synced, true);
});

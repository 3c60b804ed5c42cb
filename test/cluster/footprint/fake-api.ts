// A minimal HTTPS list/watch endpoint for the footprint measurement only
// (the real test API server lives in test/apiserver): serves fixed lists of
// realistic objects with limit/continue paging; watches stay open and quiet.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { endpointSlice, lease, node, service } from './objects.ts';
import { tempDir } from '../../helpers/tmp.ts';

export interface FakeApi {
  readonly kubeconfig: string;
  close(): Promise<void>;
}

export async function startFakeApi(counts: { services: number; nodes: number }): Promise<FakeApi> {
  const dir = tempDir('kla-footprint-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const now = Date.now();
  let rv = 1000;
  const lists: Record<string, string[]> = {
    '/api/v1/services': Array.from({ length: counts.services }, (_, i) => JSON.stringify(service(i, rv++))),
    '/apis/discovery.k8s.io/v1/endpointslices': Array.from({ length: counts.services }, (_, i) => JSON.stringify(endpointSlice(i, rv++, counts.nodes))),
    '/api/v1/nodes': Array.from({ length: counts.nodes }, (_, i) => JSON.stringify(node(i, rv++))),
    '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases': Array.from({ length: counts.nodes }, (_, i) => JSON.stringify(lease(i, rv++, now))),
  };
  const server: Server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    const url = new URL(req.url!, 'https://x');
    const items = lists[url.pathname];
    if (!items) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
      return;
    }
    if (url.searchParams.get('watch')) {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      return; // quiet until the client leaves
    }
    const limit = Number(url.searchParams.get('limit') ?? 0) || items.length;
    const start = Number(url.searchParams.get('continue') ?? 0);
    const page = items.slice(start, start + limit);
    const more = start + limit < items.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"${rv}"${more ? `,"continue":"${start + limit}"` : ''}},"items":[${page.join(',')}]}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: c',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:' + port + '", certificate-authority: cert.pem}}]',
    'users: [{name: u, user: {token: footprint}}]',
    'contexts: [{name: c, context: {cluster: c, user: u}}]', '',
  ].join('\n'));
  return {
    kubeconfig,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

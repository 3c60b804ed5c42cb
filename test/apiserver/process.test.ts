// The test API server as a child process driven by JSON lines (main.ts +
// process.ts): the same control API across a process boundary.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApiServer, RemoteError } from './process.ts';
import { call, watch } from './client.ts';
import { lease, service } from './fixtures.ts';

describe('child process', () => {
  it('starts with objects from a file, serves them, takes control ops, and exits on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kla-apiserver-proc-'));
    const objects = join(dir, 'objects.yaml');
    writeFileSync(objects, `${JSON.stringify(service('default', 'from-file'))}\n---\n${JSON.stringify(lease('kube-system', 'l1'))}\n`);
    const p = await spawnApiServer({ args: ['--objects', objects, '--bookmark-ms', '100'] });
    try {
      assert.match(p.info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const list = await call(p, '/api/v1/services');
      assert.deepEqual(list.json.items.map((i: any) => i.metadata.name), ['from-file']);
      const w = await watch(p, `/api/v1/services?watch=1&resourceVersion=${list.json.metadata.resourceVersion}`);
      await p.put(service('default', 'second'));
      assert.equal((await w.next())?.object.metadata.name, 'second');
      assert.equal(await p.dropWatches(), 1);
      await w.closed();
      assert.equal(w.broken, true);
      await assert.rejects(p.create(service('default', 'second')), (e: RemoteError) => e.code === 409 && e.reason === 'AlreadyExists');
      await p.stop();
      await assert.rejects(call(p, '/version'), /ECONNREFUSED/);
      await p.start();
      assert.equal((await call(p, '/version')).status, 200);
      await p.compact();
      const gone = await watch(p, '/api/v1/services?watch=1&resourceVersion=2');
      assert.equal((await gone.next())?.object.code, 410);
      const kc = await p.writeKubeconfig({ auth: 'cert' });
      assert.match(kc, /kubeconfig-\d+\.yaml$/);
    } finally {
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(await p.exited, 0);
  });

  it('--down: the port is known, nothing listens until start', async () => {
    const p = await spawnApiServer({ args: ['--down'] });
    try {
      assert.equal(p.info.listening, false);
      await assert.rejects(call(p, '/version'), /ECONNREFUSED/);
      await p.start();
      assert.equal((await call(p, '/version')).status, 200);
    } finally {
      await p.close();
    }
  });
});

describe('child process: options and queries across the boundary', () => {
  it('--host and --cert-name: listens where asked, the certificate names both; list without a namespace lists all', async () => {
    const p = await spawnApiServer({ args: ['--host', '::1', '--cert-name', '10.0.2.100'] });
    try {
      assert.match(p.info.url, /^https:\/\/\[::1\]:\d+$/);
      assert.equal((await call(p, '/version')).status, 200); // TLS verified against the CA: ::1 is in the certificate
      const { X509Certificate } = await import('node:crypto');
      const { readFileSync } = await import('node:fs');
      const cert = new X509Certificate(readFileSync(p.info.caFile.replace(/ca\.crt$/, 'server.crt')));
      assert.match(cert.subjectAltName ?? '', /IP Address:10\.0\.2\.100/);
      await p.put(service('a', 's1'));
      await p.put(service('b', 's2'));
      assert.deepEqual((await p.list('Service')).map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort(), ['a/s1', 'b/s2']);
      assert.deepEqual((await p.list('Service', 'b')).map((o) => o.metadata.name), ['s2']);
    } finally {
      await p.close();
    }
  });
});

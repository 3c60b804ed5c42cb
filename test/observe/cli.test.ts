// `kube-lb-agent status` and `explain` as processes, against the agent's own
// HTTP server serving a fixture AgentStatus, and against bare stubs that
// answer the way a broken or stuck agent would.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { AgentStatus } from '../../src/agent/status.ts';
import { createMetrics, startHttpServer, type HttpServer } from '../../src/observe/index.ts';
import { FIXTURE_STATUS, HOLDING_STATUS } from '../../src/observe/testing/status-fixture.ts';
import { createLogger } from '../../src/system/logger.ts';
import { configFile, runCli } from './helpers.ts';

const log = createLogger({ level: 'silent', format: 'json' });

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

describe('status and explain against a running agent', () => {
  let agent: HttpServer;
  let current: AgentStatus = FIXTURE_STATUS;
  let config: string;
  before(async () => {
    agent = await startHttpServer({ listen: { host: '127.0.0.1', port: 0 }, status: () => current, metrics: createMetrics(), log });
    config = configFile(`127.0.0.1:${agent.address.port}`);
  });
  after(() => agent.close());

  test('status prints the state table, the announcements and the rest by reason', async () => {
    current = FIXTURE_STATUS;
    const r = await runCli(['status', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kube-lb-agent 0\.1\.0 \(abc123def456\) on node n1, up /);
    assert.match(r.stdout, /\nphase   converged\n/);
    assert.match(r.stdout, /\nready   yes — synced and converged: 3 announcement\(s\)\n/);
    assert.match(r.stdout, /\nAPI     up for /);
    assert.match(r.stdout, /\nsynced  yes\n/);
    assert.match(r.stdout, /\nlease   kube-lb-agent-n1 held, renewed /);
    assert.match(r.stdout, /\nguard   not holding\n/);
    assert.match(r.stdout, /\nkernel  3 route\(s\), 0 address\(es\) — kube-lb0, table 198, protocol 201/);
    assert.match(r.stdout, /\n  192\.0\.2\.10\/32 +public +shop\/web, shop\/web-tls\n/);
    assert.match(r.stdout, /\n  no-local-endpoint +2 +shop\/api 192\.0\.2\.11, shop\/orders 192\.0\.2\.12\n/);
    assert.equal(r.stderr, '');
  });

  test('status --json prints the AgentStatus as served', async () => {
    current = HOLDING_STATUS;
    const r = await runCli(['status', '-c', config, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), HOLDING_STATUS);
  });

  test('explain: a sentence per IP of the Service', async () => {
    current = FIXTURE_STATUS;
    const r = await runCli(['explain', 'shop/web', '-c', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => l.replace(/ — .*/, '')), [
      'shop/web: the agent on node n1 announces 2 of its 3 IPs.',
      '  192.0.2.10 (LoadBalancer IP): ANNOUNCED by this node as 192.0.2.10/32 (pool public)',
      '  2001:db8::10 (LoadBalancer IP): ANNOUNCED by this node as 2001:db8::10/128 (pool public6)',
      '  198.51.100.7 (external IP): not announced here',
    ]);
    const cart = await runCli(['explain', 'shop/cart', '-c', config]);
    assert.match(cart.stdout, /shared-ip-conflict: .* Sharing Services that cannot be served here: shop\/orders\./);
    const batch = await runCli(['explain', 'team/batch', '-c', config]);
    assert.match(batch.stdout, /not-elected: .* Node n3 announces it\./);
  });

  test('explain of a Service without decisions: not considered, with the checks (exit 0)', async () => {
    const r = await runCli(['explain', 'default/ghost', '-c', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^default\/ghost: the agent on node n1 has no decision for this Service — it is not considered\./);
    assert.match(r.stdout, /kubectl -n default get service ghost/);
    assert.match(r.stdout, /LoadBalancer IPs .*: on \(announce\.loadbalancer_ip/);
    assert.match(r.stdout, /external IPs .*: off \(announce\.external_ip/);
  });

  test('explain of a malformed name: usage (exit 2)', async () => {
    const r = await runCli(['explain', 'web', '-c', config]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"web" is not NAMESPACE\/NAME/);
  });
});

describe('status and explain when the agent cannot be asked', () => {
  test('explain with nothing listening: not running (exit 1)', async () => {
    const port = await freePort();
    const r = await runCli(['explain', 'shop/web', '-c', configFile(`127.0.0.1:${port}`)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`kube-lb-agent is not running: nothing answers on 127\\.0\\.0\\.1:${port} \\(http\\.listen\\) — ECONNREFUSED`));
    assert.equal(r.stdout, '');
  });

  test('explain with HTTP turned off (exit 1)', async () => {
    const r = await runCli(['explain', 'shop/web', '-c', configFile('')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP is turned off \(http\.listen = ""\)/);
  });

  test('a stuck agent: explain gives up after --timeout (exit 1)', async () => {
    const stuck = createServer(() => {}); // accepts, never answers
    const port = await listen(stuck);
    try {
      const t0 = Date.now();
      const r = await runCli(['explain', 'shop/web', '-c', configFile(`127.0.0.1:${port}`), '--timeout', '300']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /did not answer usefully — no answer within 300 ms/);
      assert.ok(Date.now() - t0 < 10_000);
    } finally {
      await close(stuck);
    }
  });

  test('a bare stub serving the JSON is enough: the CLI needs only the /status contract', async () => {
    const seen: string[] = [];
    const stub = createServer((req, res) => {
      seen.push(req.url!);
      const service = new URL(req.url!, 'http://x').searchParams.get('service');
      const body = { ...FIXTURE_STATUS, decisions: FIXTURE_STATUS.decisions.filter((d) => !service || d.service === service) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    const port = await listen(stub);
    try {
      const r = await runCli(['explain', 'tools/junk', '-c', configFile(`127.0.0.1:${port}`)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /not-an-ip \(LoadBalancer IP\): not announced here — invalid-ip: /);
      assert.deepEqual(seen, ['/status?service=tools%2Fjunk']);
    } finally {
      await close(stub);
    }
  });

  test('an answer that is not a status: explain says so (exit 1)', async () => {
    const stub = createServer((_req, res) => res.writeHead(500).end('boom'));
    const port = await listen(stub);
    try {
      const r = await runCli(['explain', 'shop/web', '-c', configFile(`127.0.0.1:${port}`)]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /HTTP 500: boom/);
    } finally {
      await close(stub);
    }
  });

  test('a bad config: exit 3', async () => {
    const r = await runCli(['status', '-c', configFile('127.0.0.1:1', '[routing]\ntabel = 198\n')]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /routing\.tabel/);
    const e = await runCli(['explain', 'a/b', '-c', '/nonexistent/config.toml']);
    assert.equal(e.code, 3);
  });
});

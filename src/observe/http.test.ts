import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import type { AgentStatus } from '../agent/status.ts';
import { isAgentError } from '../errors.ts';
import { createLogger } from '../system/logger.ts';
import { startHttpServer, type HttpServer, type HttpServerOptions } from './http.ts';
import { createMetrics } from './metrics.ts';
import { FIXTURE_STATUS, GUARD_STATUS, HOLDING_STATUS, SYNCING_STATUS, withStatus } from './testing/status-fixture.ts';
import { parseExposition, sample } from './testing/exposition.ts';

const log = createLogger({ level: 'silent', format: 'json' });

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(server: HttpServer, path: string, method = 'GET', agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.address.port, path, method, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: HttpServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(status: () => AgentStatus, extra: Partial<HttpServerOptions> = {}): Promise<HttpServer> {
  const s = await startHttpServer({ listen: { host: '127.0.0.1', port: 0 }, status, metrics: createMetrics({ status }), log, ...extra });
  servers.push(s);
  return s;
}

describe('HTTP endpoints', () => {
  test('/healthz: 200 ok; the agent may say it is stuck', async () => {
    const s = await start(() => FIXTURE_STATUS);
    assert.deepEqual(pick(await call(s, '/healthz')), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
    let stuck = false;
    const t = await start(() => FIXTURE_STATUS, { health: () => (stuck ? { ok: false, detail: 'reconcile running for 300 s' } : { ok: true, detail: 'ok' }) });
    assert.equal((await call(t, '/healthz')).status, 200);
    stuck = true;
    assert.deepEqual(pick(await call(t, '/healthz')), { status: 503, body: 'reconcile running for 300 s\n', type: 'text/plain; charset=utf-8' });
  });

  test('/readyz: ready, holding (ready, says so), guard, not ready', async () => {
    let current: AgentStatus = FIXTURE_STATUS;
    const s = await start(() => current);
    let r = await call(s, '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'synced and converged: 3 announcement(s)\n');

    current = HOLDING_STATUS;
    r = await call(s, '/readyz');
    assert.equal(r.status, 200);
    assert.match(r.body, /^serving 3 announcement\(s\) kept from the last synced view; API down: connect ECONNREFUSED/);

    current = GUARD_STATUS;
    r = await call(s, '/readyz');
    assert.equal(r.status, 200);
    assert.match(r.body, /holding a withdrawal of 3 of 3/);

    current = SYNCING_STATUS;
    r = await call(s, '/readyz');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'waiting for the cluster view to sync (API connecting)\n');

    current = withStatus({ phase: 'booting' });
    assert.deepEqual([(await call(s, '/readyz')).status, (await call(s, '/readyz')).body], [503, 'booting\n']);
    current = withStatus({ kernel: { ...FIXTURE_STATUS.kernel, lastError: 'adding route 192.0.2.10/32: EPERM' } });
    r = await call(s, '/readyz');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'kernel: adding route 192.0.2.10/32: EPERM\n');
  });

  test('/metrics: the Prometheus text format with its content type', async () => {
    const s = await start(() => FIXTURE_STATUS);
    const r = await call(s, '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const f = parseExposition(r.body);
    assert.equal(sample(f, 'kube_lb_agent_announced_ips', { family: 'ipv4' }), 2);
    assert.equal(sample(f, 'kube_lb_agent_api_up'), 1);
  });

  test('/status: the whole AgentStatus; ?service= keeps that Service only', async () => {
    const s = await start(() => FIXTURE_STATUS);
    let r = await call(s, '/status');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(r.body), FIXTURE_STATUS);

    r = await call(s, '/status?service=shop/web');
    const one = JSON.parse(r.body) as AgentStatus;
    assert.deepEqual(
      one.decisions.map((d) => `${d.ip} ${d.reason}`),
      ['192.0.2.10 announced', '2001:db8::10 announced', '198.51.100.7 ip-not-in-pool'],
    );
    assert.deepEqual(one.announcements.map((a) => a.ip), ['192.0.2.10', '2001:db8::10']);
    assert.equal(one.node, 'n1');
    assert.deepEqual(one.guard, FIXTURE_STATUS.guard);

    r = await call(s, '/status?service=' + encodeURIComponent('shop/web'));
    assert.equal(JSON.parse(r.body).decisions.length, 3, 'an encoded slash reads the same');
    r = await call(s, '/status?service=nope/none');
    assert.deepEqual(JSON.parse(r.body).decisions, []);
    r = await call(s, '/status?service=justaname');
    assert.equal(r.status, 400);
    assert.match(r.body, /"justaname" is not NAMESPACE\/NAME/);
  });

  test('404 for other paths, 405 for other methods, HEAD as GET without a body', async () => {
    const s = await start(() => FIXTURE_STATUS);
    let r = await call(s, '/');
    assert.equal(r.status, 404);
    assert.match(r.body, /try \/healthz, \/readyz, \/metrics, \/status/);
    assert.equal((await call(s, '/status/')).status, 404);
    assert.equal((await call(s, '/metricsx')).status, 404);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      r = await call(s, '/status', method);
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
    assert.equal((await call(s, '/nope', 'POST')).status, 404);
    r = await call(s, '/readyz', 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
    assert.equal(r.headers['content-length'], String('synced and converged: 3 announcement(s)\n'.length));
  });

  test('a failing status provider is a 500, and the server goes on', async () => {
    let fail = true;
    const s = await start(() => {
      if (fail) throw new Error('no status yet');
      return FIXTURE_STATUS;
    });
    const r = await call(s, '/status');
    assert.equal(r.status, 500);
    assert.match(r.body, /no status yet/);
    fail = false;
    assert.equal((await call(s, '/status')).status, 200);
  });

  test('close() is idempotent and closes keep-alive connections at once', async () => {
    const s = await startHttpServer({ listen: { host: '127.0.0.1', port: 0 }, status: () => FIXTURE_STATUS, metrics: createMetrics(), log });
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      assert.equal((await call(s, '/healthz', 'GET', agent)).status, 200);
      assert.equal(Object.values(agent.freeSockets).flat().length, 1, 'a keep-alive socket stays open');
      const t0 = Date.now();
      await Promise.all([s.close(), s.close()]);
      await s.close();
      assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
      await assert.rejects(call(s, '/healthz'), /ECONNREFUSED/);
    } finally {
      agent.destroy();
    }
  });

  test('a port in use is an HTTP error naming the address and http.listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(
        startHttpServer({ listen: { host: '127.0.0.1', port }, status: () => FIXTURE_STATUS, metrics: createMetrics(), log }),
        (e: unknown) => {
          assert.ok(isAgentError(e, 'HTTP'));
          assert.match(e.message, new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port} \\(http\\.listen\\): address already in use`));
          assert.match(e.message, /set it to "" to turn HTTP off/);
          return true;
        },
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('IPv6 loopback, written with brackets in errors', async () => {
    const s = await startHttpServer({ listen: { host: '::1', port: 0 }, status: () => FIXTURE_STATUS, metrics: createMetrics(), log });
    try {
      const r = await new Promise<number>((resolve, reject) => {
        request({ host: '::1', port: s.address.port, path: '/healthz', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(r, 200);
      await assert.rejects(
        startHttpServer({ listen: { host: '::1', port: s.address.port }, status: () => FIXTURE_STATUS, metrics: createMetrics(), log }),
        new RegExp(`cannot listen on \\[::1\\]:${s.address.port} \\(http\\.listen\\)`),
      );
    } finally {
      await s.close();
    }
  });
});

function pick(r: Reply) {
  return { status: r.status, body: r.body, type: r.headers['content-type'] };
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultConfig } from '../config/index.ts';
import { REASONS } from '../plan/reasons.ts';
import { explainDecision, explainService } from './explain.ts';
import { duration, renderKernelFallback, renderStatus } from './render-status.ts';
import { FIXTURE_STATUS, GUARD_STATUS, HOLDING_STATUS, NOW, SYNCING_STATUS } from './testing/status-fixture.ts';

const announce = defaultConfig.announce;

describe('status text', () => {
  test('durations', () => {
    assert.deepEqual([0, 4_400, 60_000, 192_000, 3 * 3600_000 + 5 * 60_000, 76 * 3600_000, -5].map(duration), ['0s', '4s', '1m00s', '3m12s', '3h05m', '3d04h', '0s']);
  });

  test('converged: the state table, the announcements, the rest summarised by reason in table order', () => {
    const text = renderStatus(FIXTURE_STATUS, NOW);
    const lines = text.split('\n');
    assert.equal(lines[0], 'kube-lb-agent 0.1.0 (abc123def456) on node n1, up 3h00m');
    assert.ok(lines.includes('phase   converged'));
    assert.ok(lines.includes('ready   yes — synced and converged: 3 announcement(s)'));
    assert.ok(lines.includes('API     up for 2h59m'));
    assert.ok(lines.includes('lease   kube-lb-agent-n1 held, renewed 4s ago'));
    assert.ok(lines.includes('guard   not holding'));
    assert.ok(lines.includes('kernel  3 route(s), 0 address(es) — kube-lb0, table 198, protocol 201; last reconcile 2s ago'));
    assert.ok(lines.includes('  192.0.2.10/32     public   shop/web, shop/web-tls'));
    assert.ok(lines.includes('  2001:db8::10/128  public6  shop/web'));
    assert.ok(lines.includes('Not announced here (8 Service IPs):'));
    const reasons = lines.filter((l) => /^  [a-z-]+ +\d+ /.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    assert.deepEqual(reasons, ['class-mismatch', 'invalid-ip', 'ip-not-in-pool', 'no-local-endpoint', 'shared-ip-conflict', 'not-elected']);
    assert.ok(lines.includes('  no-local-endpoint   2      shop/api 192.0.2.11, shop/orders 192.0.2.12'));
    assert.ok(lines.includes(`    not-elected: ${REASONS['not-elected']}`));
    assert.ok(!text.includes('announced: '), 'the announced reason is not listed among the rest');
  });

  test('guard holding, API down, not synced', () => {
    assert.match(renderStatus(GUARD_STATUS, NOW), /guard   HOLDING a withdrawal of 3 of 3 announcement\(s\) for 10s; applied in 50s if it persists/);
    assert.match(renderStatus(HOLDING_STATUS, NOW), /API     down for 1m00s — connect ECONNREFUSED 10\.0\.0\.1:6443/);
    const s = renderStatus(SYNCING_STATUS, NOW);
    assert.match(s, /ready   no — waiting for the cluster view to sync/);
    assert.match(s, /synced  no: nothing new is announced, nothing withdrawn/);
    assert.match(s, /Announced \(0\):\n  none\n/);
    assert.match(s, /plan    none yet/);
  });

  test('many IPs of one reason: three examples and a count', () => {
    const decisions = Array.from({ length: 5 }, (_, i) => ({ service: `ns/s${i}`, ip: `192.0.2.${i}`, source: 'loadbalancer' as const, announce: false, reason: 'node-not-ready' as const }));
    const text = renderStatus({ ...FIXTURE_STATUS, decisions }, NOW);
    assert.match(text, /node-not-ready  5      ns\/s0 192\.0\.2\.0, ns\/s1 192\.0\.2\.1, ns\/s2 192\.0\.2\.2, … \(\+2\)/);
  });

  test('kernel fallback says plainly that the agent is not running', () => {
    const text = renderKernelFallback({
      headline: 'kube-lb-agent is NOT RUNNING here: nothing answers on 127.0.0.1:20244.',
      interfaceName: 'kube-lb0',
      table: 198,
      protocol: 201,
      holdings: {
        link: { index: 7, name: 'kube-lb0', kind: 'dummy', up: true },
        routes: [{ family: 4, dst: '192.0.2.10', prefix: 32, table: 198, metric: 0, tos: 0, protocol: 201, scope: 253, type: 1, oif: 7, gateway: false, multipath: false }],
        otherRoutes: [],
        addresses: [],
      },
    });
    assert.match(text, /^kube-lb-agent is NOT RUNNING here: nothing answers on 127\.0\.0\.1:20244\.\n/);
    assert.match(text, /interface kube-lb0: up, kind dummy, index 7/);
    assert.match(text, /routes in table 198 with protocol 201 \(1\):\n  ROUTE +METRIC\n  192\.0\.2\.10\/32 +0\n/);
    assert.match(text, /addresses on kube-lb0 \(0\):\n  none/);
  });
});

describe('explain text', () => {
  test('a sentence per IP, with the meaning of its reason', () => {
    const e = explainService(FIXTURE_STATUS, 'shop/web', announce);
    assert.equal(e.found, true);
    assert.equal(
      e.text,
      [
        'shop/web: the agent on node n1 announces 2 of its 3 IPs.',
        `  192.0.2.10 (LoadBalancer IP): ANNOUNCED by this node as 192.0.2.10/32 (pool public) — ${REASONS.announced}; the IP is shared with shop/web-tls.`,
        `  2001:db8::10 (LoadBalancer IP): ANNOUNCED by this node as 2001:db8::10/128 (pool public6) — ${REASONS.announced}.`,
        `  198.51.100.7 (external IP): not announced here — ip-not-in-pool: ${REASONS['ip-not-in-pool']}.`,
        '',
      ].join('\n'),
    );
  });

  test('conflictsWith and winner', () => {
    const by = (svc: string) => FIXTURE_STATUS.decisions.find((d) => d.service === svc)!;
    assert.match(explainDecision(by('shop/cart'), FIXTURE_STATUS), /shared-ip-conflict: .*\. Sharing Services that cannot be served here: shop\/orders\.$/);
    assert.match(explainDecision(by('team/batch'), FIXTURE_STATUS), /not-elected: .*\. Node n3 announces it\.$/);
    assert.match(explainDecision(by('team/lonely'), FIXTURE_STATUS), /No node is eligible to announce it\.$/);
  });

  test('holding or not synced: a note first', () => {
    assert.match(explainService(HOLDING_STATUS, 'shop/api', announce).text, /\nNote: the agent on node n1 is holding \(API down\)/);
    const s = explainService(SYNCING_STATUS, 'shop/api', announce);
    assert.equal(s.found, false);
    assert.match(s.text, /has not synced the cluster view yet/);
    assert.match(s.text, /kubectl -n shop get service api \(the view is not synced yet\)/);
  });

  test('no decision: not considered, with the checks and what the config says', () => {
    const e = explainService(FIXTURE_STATUS, 'nope/none', { ...announce, externalIp: true, allowOptIn: true });
    assert.equal(e.found, false);
    assert.match(e.text, /^nope\/none: the agent on node n1 has no decision for this Service — it is not considered\.\n/);
    assert.match(e.text, /kubectl -n nope get service none;/);
    assert.match(e.text, /LoadBalancer IPs \(status\.loadBalancer\.ingress\[\]\.ip of a type: LoadBalancer Service\): on \(announce\.loadbalancer_ip/);
    assert.match(e.text, /external IPs \(spec\.externalIPs\): on \(announce\.external_ip/);
    assert.match(e.text, /cluster IPs \(spec\.clusterIPs\): off \(announce\.cluster_ip; opt in with kube-lb-agent\.io\/advertise-cluster-ip: "true"\)/);
    assert.match(e.text, /announce\.allow_opt_in, now on/);
    assert.match(e.text, /lists an ip, not only a hostname/);
    assert.match(e.text, /class-mismatch \(announce\.class = "kube-lb-agent"\)/);
  });
});

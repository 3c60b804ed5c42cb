// The reconciler on a real kernel, each test in a fresh network namespace:
// the interface, dual-stack routes and addresses, idempotence, a changed
// metric, the prefix-route decision for aggregated addresses.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PassReport } from '../../src/kernel/index.ts';
import { addresses, routes, withAgent } from './helpers/agent.ts';
import { requireRoot } from './helpers/netns.ts';

const POOL = '[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\n';
const ann = (ip: string, pool = 'a') => ({ ip, family: ip.includes(':') ? 6 : 4, prefix: ip.includes(':') ? 128 : 32, pool });
type R = { report: PassReport; callMs: number };

const changes = (r: PassReport) => [r.routesAdded, r.routesReplaced, r.routesDeleted, r.addressesAdded, r.addressesReplaced, r.addressesDeleted];

test('missing interface: created as the configured kind, up, promote_secondaries on, no IPv6 link-local', { timeout: 60_000 }, async () => {
  requireRoot();
  await withAgent('create', async () => {}, async (ns, agent) => {
    await agent.call('start');
    const link = await ns.ip('-d', '-o', 'link', 'show', 'kube-lb0');
    assert.match(link, /<[^>]*\bUP\b[^>]*>/);
    assert.match(link, / bridge /);
    assert.match(link, /addrgenmode none/);
    const sysctl = (await import('node:child_process')).execFileSync('ip', ['netns', 'exec', ns.name, 'cat', '/proc/sys/net/ipv4/conf/kube-lb0/promote_secondaries'], { encoding: 'utf8' });
    assert.equal(sysctl.trim(), '1');
    assert.equal((await ns.ip('-6', '-o', 'addr', 'show', 'dev', 'kube-lb0')).trim(), '', 'no link-local address');
    assert.ok(agent.logs.some((l) => l.msg === 'created interface' && l.kind === 'bridge'));
  });
});

test('an existing interface of another kind is adopted (same index), logged, brought up', { timeout: 60_000 }, async () => {
  requireRoot();
  let index = '';
  await withAgent(
    'adopt',
    async (ns) => {
      await ns.ip('link', 'add', 'kube-lb0', 'type', 'ifb');
      index = (await ns.ip('-o', 'link', 'show', 'kube-lb0')).split(':')[0]!;
    },
    async (ns, agent) => {
      const { ifindex } = await agent.call<{ ifindex: number }>('start');
      assert.equal(String(ifindex), index);
      assert.match(await ns.ip('-d', '-o', 'link', 'show', 'kube-lb0'), /<[^>]*\bUP\b[^>]*>.* ifb /);
      assert.ok(agent.logs.some((l) => l.msg === 'adopting existing interface of another kind' && l.kind === 'ifb' && l.configured === 'bridge'));
    },
  );
});

test('the configured kind is refused by the kernel (dummy here): a typed error that says what to do', { timeout: 60_000 }, async () => {
  requireRoot();
  await withAgent('nodummy', async () => {}, async (_ns, agent) => {
    const err = await agent.call('start', { settings: { interfaceKind: 'dummy' } }).then(
      () => undefined,
      (e: Error & { errno?: string }) => e,
    );
    assert.ok(err, 'start must fail without a dummy driver');
    assert.equal(err.errno, 'EOPNOTSUPP');
    assert.match(err.message, /no "dummy" driver; set interface.kind = "bridge"/);
  });
});

test('dual-stack routes and addresses; a second reconcile of the same state changes nothing', { timeout: 60_000 }, async (t) => {
  requireRoot();
  await withAgent('dual', async () => {}, async (ns, agent) => {
    await agent.call('start');
    const config = `[routing]\nmethod = "both"\nmetric = 0\n${POOL}`;
    const announced = [ann('192.0.2.10'), ann('192.0.2.11'), ann('2001:db8:1::10')];
    const first = await agent.call<R>('reconcile', { announced, config });
    t.diagnostic(`first: ${JSON.stringify(changes(first.report))} in ${first.report.ms.toFixed(2)} ms`);
    assert.deepEqual(changes(first.report), [3, 0, 0, 3, 0, 0]);
    assert.deepEqual(await routes(ns, 4), ['192.0.2.10 dev kube-lb0 proto 201 scope 253', '192.0.2.11 dev kube-lb0 proto 201 scope 253']);
    assert.deepEqual(await routes(ns, 6), ['2001:db8:1::10 dev kube-lb0 proto 201 metric 1024 pref medium']);
    assert.deepEqual(await addresses(ns), ['192.0.2.10/32', '192.0.2.11/32', '2001:db8:1::10/128']);

    const again = await agent.call<R>('reconcile', { announced, config });
    assert.deepEqual(changes(again.report), [0, 0, 0, 0, 0, 0], 'idempotent');
    assert.equal(again.report.resynced, false, 'no dump for an unchanged state');
    // A full dump finds nothing to do either.
    const resync = await agent.call<R>('resync');
    assert.deepEqual(changes(resync.report), [0, 0, 0, 0, 0, 0]);
    assert.equal(resync.report.resynced, true);
    // Withdraw one IP: exactly its route and address go.
    const less = await agent.call<R>('reconcile', { announced: announced.slice(1), config });
    assert.deepEqual(changes(less.report), [0, 0, 1, 0, 0, 1]);
    assert.deepEqual(await addresses(ns), ['192.0.2.11/32', '2001:db8:1::10/128']);
  });
});

test('metric changed: each route replaced by one with the new metric (added first), none left with the old one', { timeout: 60_000 }, async () => {
  requireRoot();
  await withAgent('metric', async () => {}, async (ns, agent) => {
    await agent.call('start');
    const announced = [ann('192.0.2.10'), ann('2001:db8:1::10')];
    await agent.call<R>('reconcile', { announced, config: `[routing]\nmetric = 10\n${POOL}` });
    assert.deepEqual(await routes(ns, 4), ['192.0.2.10 dev kube-lb0 proto 201 scope 253 metric 10']);
    const r = await agent.call<R>('reconcile', { announced, config: `[routing]\nmetric = 20\n${POOL}` });
    assert.deepEqual(changes(r.report), [2, 0, 2, 0, 0, 0]);
    assert.deepEqual(await routes(ns, 4), ['192.0.2.10 dev kube-lb0 proto 201 scope 253 metric 20']);
    assert.deepEqual(await routes(ns, 6), ['2001:db8:1::10 dev kube-lb0 proto 201 metric 20 pref medium']);
    // Someone points our route elsewhere (same slot): replaced in place.
    await ns.ip('link', 'add', 'other0', 'type', 'bridge');
    await ns.ip('link', 'set', 'other0', 'up');
    const before = agent.passes.length;
    await ns.ip('route', 'replace', '192.0.2.10/32', 'dev', 'other0', 'table', '198', 'proto', '201', 'metric', '20');
    const fix = await agent.waitForPass((p) => p.report.routesReplaced === 1, before);
    assert.equal(fix.report.resynced, false);
    assert.deepEqual(await routes(ns, 4), ['192.0.2.10 dev kube-lb0 proto 201 scope 253 metric 20']);
  });
});

test('aggregated addresses: no prefix route in main; the prefix in our table; prefix_route_in_main = true restores the kernel default', { timeout: 60_000 }, async () => {
  requireRoot();
  const pools = '[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\naggregation_v4 = 24\naggregation_v6 = 64\n';
  const announced = [ann('192.0.2.10'), ann('192.0.2.11'), ann('2001:db8:1::10')];
  await withAgent('aggr', async () => {}, async (ns, agent) => {
    await agent.call('start');
    await agent.call<R>('reconcile', { announced, config: `[routing]\nmethod = "addresses"\n${pools}` });
    assert.deepEqual(await addresses(ns), ['192.0.2.10/24', '192.0.2.11/24', '2001:db8:1::10/64']);
    assert.deepEqual(await routes(ns, 4, 'main'), [], 'nothing of kube-lb0 in main');
    assert.deepEqual((await routes(ns, 6, 'main')).filter((r) => r.includes('kube-lb0')), []);
    assert.deepEqual(await routes(ns, 4), ['192.0.2.0/24 dev kube-lb0 proto 201 scope 253']);
    assert.deepEqual(await routes(ns, 6), ['2001:db8:1::/64 dev kube-lb0 proto 201 metric 1024 pref medium']);
    // The local routes that make the node accept traffic for the IPs are there (the kernel's own).
    assert.ok((await routes(ns, 4, 'local')).some((r) => r.startsWith('2 192.0.2.10 dev kube-lb0'))); // type 2 = local
    // Someone re-adds our IPv6 address without noprefixroute: its flags are set right again in place.
    const before = agent.passes.length;
    await ns.ip('-6', 'addr', 'replace', '2001:db8:1::10/64', 'dev', 'kube-lb0', 'nodad');
    const fix = await agent.waitForPass((p) => p.report.addressesReplaced === 1, before);
    assert.equal(fix.report.resynced, false);
    assert.deepEqual((await routes(ns, 6, 'main')).filter((r) => r.includes('kube-lb0')), [], 'the prefix route the drift put into main is gone');
    // Deleting the primary IPv4 address keeps the secondary (promote_secondaries).
    await agent.call<R>('reconcile', { announced: announced.slice(1), config: `[routing]\nmethod = "addresses"\n${pools}` });
    assert.deepEqual(await addresses(ns), ['192.0.2.11/24', '2001:db8:1::10/64']);
  });
  await withAgent('aggrmain', async () => {}, async (ns, agent) => {
    await agent.call('start', { settings: { prefixRouteInMain: true } });
    await agent.call<R>('reconcile', { announced, config: `[routing]\nmethod = "addresses"\nprefix_route_in_main = true\n${pools}` });
    assert.deepEqual(await routes(ns, 4, 'main'), ['192.0.2.0/24 dev kube-lb0 proto 2 scope 253 src 192.0.2.10']);
  });
});

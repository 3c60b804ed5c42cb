import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey, routeKey, type DesiredAddress, type DesiredRoute, type KernelDesired } from './desired.ts';
import { describeOp, diff, diffKeys, type DiffSettings, type KernelOp } from './diff.ts';
import { ObservedState, type ObservedAddress, type ObservedRoute } from './observed.ts';
import { IFA_F_NOPREFIXROUTE, IFA_F_PERMANENT, IFA_F_SECONDARY, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RTN_UNICAST } from './wire.ts';

const OURS = 201;
const S: DiffSettings = { protocol: OURS, ifindex: 7, prefixRouteInMain: false };
const RTN_BLACKHOLE = 6;

function want(routes: DesiredRoute[], addresses: DesiredAddress[] = []): KernelDesired {
  return {
    routes: new Map(routes.map((r) => [routeKey(r.dst, r.prefix), r])),
    addresses: new Map(addresses.map((a) => [addressKey(a.ip, a.prefix), a])),
  };
}
const dr = (dst: string, metric = 0, prefix = dst.includes(':') ? 128 : 32): DesiredRoute => ({ family: dst.includes(':') ? 6 : 4, dst, prefix, metric });
const da = (ip: string, prefix = ip.includes(':') ? 128 : 32): DesiredAddress => ({ family: ip.includes(':') ? 6 : 4, ip, prefix });

function obs(routes: Partial<ObservedRoute>[], addresses: Partial<ObservedAddress>[] = []): ObservedState {
  const o = new ObservedState();
  for (const r of routes) o.addRoute(or(r), false);
  for (const a of addresses) o.addAddress(oa(a));
  return o;
}
function or(r: Partial<ObservedRoute>): ObservedRoute {
  const dst = r.dst ?? '192.0.2.1';
  const family = dst.includes(':') ? 6 : 4;
  return {
    family,
    dst,
    prefix: family === 4 ? 32 : 128,
    table: 198,
    metric: 0,
    tos: 0,
    protocol: OURS,
    scope: RT_SCOPE_LINK,
    type: RTN_UNICAST,
    oif: 7,
    gateway: false,
    multipath: false,
    ...r,
  };
}
function oa(a: Partial<ObservedAddress>): ObservedAddress {
  const ip = a.ip ?? '192.0.2.1';
  const family = ip.includes(':') ? 6 : 4;
  return { family, ip, prefix: family === 4 ? 32 : 128, ifindex: 7, flags: IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE, scope: 0, linkLocal: false, ...a };
}
const lines = (ops: readonly KernelOp[]) => ops.map(describeOp);

test('nothing desired, nothing there: nothing to do', () => {
  assert.deepEqual(diff(want([]), obs([]), S), { ops: [], conflicts: [] });
});

test('desired routes missing: added, in the desired order', () => {
  const d = diff(want([dr('192.0.2.1'), dr('2001:db8::1', 1024)]), obs([]), S);
  assert.deepEqual(lines(d.ops), ['add-route 192.0.2.1/32 metric 0', 'add-route 2001:db8::1/128 metric 1024']);
});

test('idempotent: what is there as desired gives no operation', () => {
  const o = obs([{ dst: '192.0.2.1' }, { dst: '2001:db8::1', metric: 1024 }], [{ ip: '192.0.2.1' }]);
  assert.deepEqual(diff(want([dr('192.0.2.1'), dr('2001:db8::1', 1024)], [da('192.0.2.1')]), o, S).ops, []);
});

test('ours but not desired: deleted, with its own metric and protocol', () => {
  const d = diff(want([]), obs([{ dst: '192.0.2.9', metric: 3 }]), S);
  assert.deepEqual(lines(d.ops), ['delete-route 192.0.2.9/32 metric 3 proto 201']);
});

test('ownership: another protocol in our table is never deleted, replaced or added over — kube-vip\'s 248 included', () => {
  const o = obs([
    { dst: '192.0.2.9', protocol: 248 },
    { dst: '192.0.2.10', protocol: 3 },
    { dst: '2001:db8::9', protocol: 12, oif: 99, type: RTN_BLACKHOLE, metric: 1024 },
  ]);
  assert.deepEqual(diff(want([]), o, S).ops, []);
  const d = diff(want([dr('192.0.2.9'), dr('2001:db8::9', 1024)]), o, S);
  assert.deepEqual(d.ops, [], 'a slot held by another owner is left to it');
  assert.deepEqual(
    d.conflicts.map((c) => [c.route.dst, c.holder.protocol]),
    [['192.0.2.9', 248], ['2001:db8::9', 12]],
  );
});

test('another owner at the same destination with another metric: ours is added beside it', () => {
  const d = diff(want([dr('192.0.2.9', 0)]), obs([{ dst: '192.0.2.9', protocol: 248, metric: 100 }]), S);
  assert.deepEqual(lines(d.ops), ['add-route 192.0.2.9/32 metric 0']);
  assert.deepEqual(d.conflicts, []);
});

test('metric changed: the new route is added before the old one is deleted (no gap)', () => {
  const d = diff(want([dr('192.0.2.1', 20), dr('2001:db8::1', 20)]), obs([{ dst: '192.0.2.1', metric: 10 }, { dst: '2001:db8::1', metric: 1024 }]), S);
  assert.deepEqual(lines(d.ops), [
    'add-route 192.0.2.1/32 metric 20',
    'add-route 2001:db8::1/128 metric 20',
    'delete-route 192.0.2.1/32 metric 10 proto 201',
    'delete-route 2001:db8::1/128 metric 1024 proto 201',
  ]);
});

test('ours in the right slot with wrong attributes: replaced in place', () => {
  const cases: Partial<ObservedRoute>[] = [
    { oif: 3 }, // another interface
    { type: RTN_BLACKHOLE, oif: 0 },
    { gateway: true },
    { multipath: true, oif: 0 },
    { scope: RT_SCOPE_UNIVERSE },
  ];
  for (const c of cases) {
    const d = diff(want([dr('192.0.2.1')]), obs([{ dst: '192.0.2.1', ...c }]), S);
    assert.deepEqual(lines(d.ops), ['replace-route 192.0.2.1/32 metric 0'], JSON.stringify(c));
    const op = d.ops[0]!;
    assert.equal(op.kind === 'replace-route' && op.was.oif, c.oif ?? 7);
  }
});

test('ours with a TOS, and a second route of ours in the same slot: the extra ones go', () => {
  const o = new ObservedState();
  o.addRoute(or({ dst: '192.0.2.1', tos: 4 }), false);
  o.addRoute(or({ dst: '192.0.2.1' }), false);
  o.addRoute(or({ dst: '192.0.2.1', oif: 9 }), false); // `ip route append` of a second one
  const d = diff(want([dr('192.0.2.1')]), o, S);
  assert.deepEqual(lines(d.ops), ['delete-route 192.0.2.1/32 metric 0 proto 201', 'delete-route 192.0.2.1/32 metric 0 proto 201']);
  assert.deepEqual(d.ops.map((op) => op.kind === 'delete-route' && [op.route.tos, op.route.oif]), [[4, 7], [0, 9]]);
});

test('addresses: missing added, extra deleted; a changed prefix is a delete and an add — IPv6 deletes first, IPv4 deletes last', () => {
  const o = obs([], [{ ip: '192.0.2.1' }, { ip: '192.0.2.2', prefix: 24 }, { ip: '2001:db8::1', prefix: 128 }]);
  const d = diff(want([], [da('192.0.2.1'), da('192.0.2.2', 28), da('2001:db8::1', 64), da('192.0.2.3')]), o, S);
  assert.deepEqual(lines(d.ops), [
    'delete-address 2001:db8::1/128', // IPv6 refuses one address with two prefixes
    'add-address 192.0.2.2/28',
    'add-address 2001:db8::1/64',
    'add-address 192.0.2.3/32',
    'delete-address 192.0.2.2/24', // IPv4: never through "no address" (the kernel would drop our routes)
  ]);
});

test('addresses: the prefix-route flag is kept as configured; the secondary flag is ignored', () => {
  const noFlag = obs([], [{ ip: '192.0.2.1', flags: IFA_F_PERMANENT }]);
  assert.deepEqual(lines(diff(want([], [da('192.0.2.1')]), noFlag, S).ops), ['replace-address 192.0.2.1/32']);
  assert.deepEqual(diff(want([], [da('192.0.2.1')]), noFlag, { ...S, prefixRouteInMain: true }).ops, []);
  const withFlag = obs([], [{ ip: '192.0.2.1', flags: IFA_F_NOPREFIXROUTE | IFA_F_SECONDARY }]);
  assert.deepEqual(diff(want([], [da('192.0.2.1')]), withFlag, S).ops, []);
  assert.deepEqual(lines(diff(want([], [da('192.0.2.1')]), withFlag, { ...S, prefixRouteInMain: true }).ops), ['replace-address 192.0.2.1/32']);
});

test('link-local addresses never reach the observed view, so they are never deleted', () => {
  const o = obs([], [{ ip: 'fe80::1', prefix: 64, linkLocal: true }]);
  assert.equal(o.addresses.size, 0);
  assert.deepEqual(diff(want([]), o, S).ops, []);
});

test('order: route upserts, IPv6 address deletes, address adds, IPv4 address deletes, route deletes', () => {
  const o = obs([{ dst: '192.0.2.8' }, { dst: '192.0.2.1', oif: 1 }], [{ ip: '192.0.2.8' }]);
  const d = diff(want([dr('192.0.2.1'), dr('192.0.2.2')], [da('192.0.2.2')]), o, S);
  assert.deepEqual(d.ops.map((op) => op.kind), ['replace-route', 'add-route', 'add-address', 'delete-address', 'delete-route']);
});

// ---- a model of the kernel: applying the diff converges, and never touches another owner ----

function applyModel(o: ObservedState, ops: readonly KernelOp[]): void {
  for (const op of ops) {
    switch (op.kind) {
      case 'add-route':
      case 'replace-route':
        o.addRoute(or({ ...op.route, protocol: OURS, oif: S.ifindex }), op.kind === 'replace-route');
        break;
      case 'delete-route':
        assert.equal(op.route.protocol, OURS, 'a delete of another owner\'s route');
        o.deleteRoute(op.route);
        break;
      case 'add-address':
      case 'replace-address':
        o.addAddress(oa({ ...op.address }));
        break;
      case 'delete-address':
        o.deleteAddress(op.address);
        break;
    }
  }
}

test('property: on random tables, one diff converges (a second diff is empty) and other owners\' routes are untouched', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 4) % n;
  const ip = (i: number) => (i % 3 === 0 ? `2001:db8::${i.toString(16)}` : `192.0.2.${i}`);
  for (let round = 0; round < 300; round++) {
    const routes: Partial<ObservedRoute>[] = [];
    for (let k = rnd(12); k > 0; k--) {
      const dst = ip(rnd(16));
      routes.push({
        dst,
        metric: [0, 10, 1024][rnd(3)]!,
        protocol: [OURS, OURS, 248, 12][rnd(4)]!,
        oif: [7, 7, 3][rnd(3)]!,
        tos: rnd(8) === 0 ? 4 : 0,
      });
    }
    const addresses = Array.from({ length: rnd(5) }, () => ({ ip: ip(rnd(16)), prefix: [32, 24, 128, 64][rnd(4)]! }))
      .filter((a) => (a.ip.includes(':') ? a.prefix >= 64 : a.prefix <= 32))
      .map((a) => ({ ...a, flags: rnd(2) ? IFA_F_NOPREFIXROUTE : 0 }));
    const o = obs(routes, addresses);
    const foreignBefore = JSON.stringify([...o.routes.values()].flat().filter((r) => r.protocol !== OURS));
    const wantRoutes = new Map<string, DesiredRoute>();
    for (let k = rnd(10); k > 0; k--) {
      const r = dr(ip(rnd(16)), [0, 10, 1024][rnd(3)]!);
      wantRoutes.set(routeKey(r.dst, r.prefix), r);
    }
    const wantAddrs = new Map<string, DesiredAddress>();
    for (let k = rnd(4); k > 0; k--) {
      const a = da(ip(rnd(16)));
      wantAddrs.set(addressKey(a.ip, a.prefix), a);
    }
    const desired: KernelDesired = { routes: wantRoutes, addresses: wantAddrs };
    const first = diff(desired, o, S);
    applyModel(o, first.ops);
    const second = diff(desired, o, S);
    assert.deepEqual(lines(second.ops), [], `round ${round}: not converged: ${JSON.stringify({ routes, addresses, want: [...wantRoutes.values()], ops: lines(first.ops) })}`);
    assert.deepEqual(second.conflicts.length, first.conflicts.length);
    assert.equal(JSON.stringify([...o.routes.values()].flat().filter((r) => r.protocol !== OURS)), foreignBefore, `round ${round}: another owner's route changed`);
    // Every desired route is ours in the kernel, or its slot is held by another owner.
    for (const [key, d] of wantRoutes) {
      const list = o.routes.get(key) ?? [];
      const ok = list.some((r) => r.protocol === OURS && r.metric === d.metric) || first.conflicts.some((c) => c.route === d);
      assert.ok(ok, `round ${round}: ${key} missing`);
    }
    // Nothing of ours is left that is not desired.
    for (const r of o.routesOf(OURS)) assert.ok(wantRoutes.get(routeKey(r.dst, r.prefix))?.metric === r.metric, `round ${round}: stray ${r.dst}`);
    assert.deepEqual([...o.addresses.keys()].sort(), [...wantAddrs.keys()].sort());
  }
});

test('20,000 routes in place, one changed: the diff finds exactly that one', (t) => {
  const routes: DesiredRoute[] = [];
  const o = new ObservedState();
  for (let i = 0; i < 10_000; i++) {
    const v4 = dr(`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    const v6 = dr(`fd00:10::${i.toString(16)}`, 1024);
    routes.push(v4, v6);
    o.addRoute(or({ ...v4 }), false);
    o.addRoute(or({ ...v6 }), false);
  }
  routes[12_345] = dr('10.200.0.1');
  const desired = want(routes);
  diff(desired, o, S); // warm up
  const t0 = performance.now();
  const d = diff(desired, o, S);
  t.diagnostic(`diff over 20,000 routes: ${(performance.now() - t0).toFixed(2)} ms`);
  assert.deepEqual(lines(d.ops), ['add-route 10.200.0.1/32 metric 0', 'delete-route fd00:10::181c/128 metric 1024 proto 201']);
});

test('a foreign route and a wrong one of ours in the same slot: ours is deleted, not replaced (a replace could hit theirs)', () => {
  const d = diff(want([dr('192.0.2.1')]), obs([{ dst: '192.0.2.1', protocol: 248 }, { dst: '192.0.2.1', oif: 3 }]), S);
  assert.deepEqual(lines(d.ops), ['delete-route 192.0.2.1/32 metric 0 proto 201']);
  assert.equal(d.conflicts.length, 1);
});

test('property: diffKeys over the changed and touched keys equals the whole diff when the rest is in sync', () => {
  let seed = 11;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 4) % n;
  const ip = (i: number) => (i % 3 === 0 ? `2001:db8::${i.toString(16)}` : `192.0.2.${i}`);
  const sorted = (ops: readonly KernelOp[]) => lines(ops).sort();
  for (let round = 0; round < 300; round++) {
    // D1, applied: the kernel holds it (and some foreign routes).
    const d1 = want(Array.from({ length: rnd(12) }, () => dr(ip(rnd(20)), [0, 10][rnd(2)]!)), Array.from({ length: rnd(4) }, () => da(ip(rnd(20)))));
    const o = obs(Array.from({ length: rnd(4) }, () => ({ dst: ip(rnd(20)), protocol: 248, metric: [0, 10][rnd(2)]! })));
    applyModel(o, diff(d1, o, S).ops);
    // D2: some keys changed.
    const routes = new Map(d1.routes);
    const addresses = new Map(d1.addresses);
    const changedRoutes = new Set<string>();
    const changedAddresses = new Set<string>();
    for (let k = rnd(4); k > 0; k--) {
      const r = dr(ip(rnd(20)), [0, 10][rnd(2)]!);
      const key = routeKey(r.dst, r.prefix);
      if (rnd(2)) routes.set(key, r);
      else routes.delete(key);
      changedRoutes.add(key);
    }
    for (let k = rnd(3); k > 0; k--) {
      const a = da(ip(rnd(20)));
      const key = addressKey(a.ip, a.prefix);
      if (rnd(2)) addresses.set(key, a);
      else addresses.delete(key);
      changedAddresses.add(key);
    }
    // The kernel changed under us too (what the monitor reports as touched keys).
    for (let k = rnd(3); k > 0; k--) {
      const dst = ip(rnd(20));
      const key = routeKey(dst, dst.includes(':') ? 128 : 32);
      const list = o.routes.get(key);
      if (list && rnd(2)) o.deleteRoute(list[0]!);
      else o.addRoute(or({ dst, protocol: [OURS, 248][rnd(2)]!, oif: [7, 3][rnd(2)]! }), false);
      changedRoutes.add(key);
    }
    const d2: KernelDesired = { routes, addresses };
    assert.deepEqual(sorted(diffKeys(d2, o, S, changedRoutes, changedAddresses).ops), sorted(diff(d2, o, S).ops), `round ${round}`);
  }
});

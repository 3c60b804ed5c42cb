import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressDeparts, linkVerdict, routeDeparts } from './departs.ts';
import type { KernelDesired } from './desired.ts';
import type { DiffSettings } from './diff.ts';
import type { AddressFields, LinkFields, RouteFields } from './wire.ts';
import { IFA_F_NOPREFIXROUTE, RT_SCOPE_LINK, RTN_UNICAST } from './wire.ts';

const S: DiffSettings = { protocol: 201, ifindex: 7, prefixRouteInMain: false };
const desired: KernelDesired = {
  routes: new Map([['192.0.2.1', { family: 4, dst: '192.0.2.1', prefix: 32, metric: 0 }]]),
  addresses: new Map([['192.0.2.1', { family: 4, ip: '192.0.2.1', prefix: 32 }]]),
};
const route = (r: Partial<RouteFields> = {}): RouteFields => ({
  family: 4, dst: '192.0.2.1', prefix: 32, table: 198, metric: 0, tos: 0, protocol: 201, scope: RT_SCOPE_LINK, type: RTN_UNICAST, oif: 7, gateway: false, multipath: false, ...r,
});
const address = (a: Partial<AddressFields> = {}): AddressFields => ({ family: 4, ip: '192.0.2.1', prefix: 32, ifindex: 7, flags: IFA_F_NOPREFIXROUTE, scope: 0, linkLocal: false, ...a });

test('route changes: what we want (our own echo) asks for nothing; what departs gives its key', () => {
  assert.equal(routeDeparts('new', route(), desired, S), undefined, 'our route, as wanted');
  assert.equal(routeDeparts('del', route({ dst: '192.0.2.9' }), desired, S), undefined, 'a route we did not want went away');
  assert.equal(routeDeparts('del', route(), desired, S), '192.0.2.1', 'a wanted route deleted');
  assert.equal(routeDeparts('del', route({ metric: 5 }), desired, S), undefined, 'our old-metric route going (a metric change)');
  assert.equal(routeDeparts('new', route({ dst: '192.0.2.9' }), desired, S), '192.0.2.9', 'a stray route of our protocol');
  assert.equal(routeDeparts('new', route({ metric: 5 }), desired, S), '192.0.2.1', 'wrong metric');
  assert.equal(routeDeparts('new', route({ oif: 3 }), desired, S), '192.0.2.1', 'pointed elsewhere');
  assert.equal(routeDeparts('new', route({ tos: 4 }), desired, S), '192.0.2.1');
  assert.equal(routeDeparts('new', route({ protocol: 248 }), desired, S), undefined, "another owner's route: its business");
  assert.equal(routeDeparts('del', route({ protocol: 248 }), desired, S), '192.0.2.1', "another owner's route left a slot we want");
  assert.equal(routeDeparts('del', route({ protocol: 248, dst: '192.0.2.9' }), desired, S), undefined);
});

test('address changes', () => {
  assert.equal(addressDeparts('new', address(), desired, S), undefined);
  assert.equal(addressDeparts('new', address({ ip: '192.0.2.9' }), desired, S), '192.0.2.9');
  assert.equal(addressDeparts('new', address({ flags: 0 }), desired, S), '192.0.2.1', 'without noprefixroute: its prefix route would be in main');
  assert.equal(addressDeparts('new', address({ flags: 0 }), desired, { ...S, prefixRouteInMain: true }), undefined);
  assert.equal(addressDeparts('del', address(), desired, S), '192.0.2.1');
  assert.equal(addressDeparts('del', address({ ip: '192.0.2.9' }), desired, S), undefined);
});

test('link changes', () => {
  const link = (l: Partial<LinkFields> = {}): LinkFields => ({ index: 7, name: 'kube-lb0', kind: 'dummy', up: true, family: 0, ...l });
  assert.equal(linkVerdict('new', link(), 7, 'kube-lb0'), 'ignore', 'ours, up: nothing changed that matters');
  assert.equal(linkVerdict('new', link({ up: false }), 7, 'kube-lb0'), 'resync', 'taken down: IPv4 routes dropped');
  assert.equal(linkVerdict('del', link(), 7, 'kube-lb0'), 'gone');
  assert.equal(linkVerdict('new', link({ name: 'renamed0' }), 7, 'kube-lb0'), 'gone');
  assert.equal(linkVerdict('new', link({ index: 9 }), 7, 'kube-lb0'), 'resync', 'a new link of our name');
  assert.equal(linkVerdict('new', link({ index: 9 }), 0, 'kube-lb0'), 'resync', 'ours appears while we had none');
  assert.equal(linkVerdict('del', link({ index: 9 }), 7, 'kube-lb0'), 'ignore', 'an old link of our name going');
  assert.equal(linkVerdict('new', link({ index: 3, name: 'eth0' }), 7, 'kube-lb0'), 'ignore');
  assert.equal(linkVerdict('new', link({ family: 10, up: false }), 7, 'kube-lb0'), 'ignore', 'IPv6 per-device news');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bookAnswers, encodeOps, zeroCounts, type ApplyTarget } from './apply.ts';
import type { KernelOp } from './diff.ts';
import { ObservedState } from './observed.ts';
import { IFA_F_NOPREFIXROUTE, RT_SCOPE_LINK, RTN_UNICAST } from './wire.ts';

const T: ApplyTarget = { table: 198, protocol: 201, ifindex: 7, prefixRouteInMain: false };
const E = { EEXIST: 17, ESRCH: 3, ENODEV: 19, EINVAL: 22, EADDRNOTAVAIL: 99, EPERM: 1 };
const observedRoute = { family: 4, dst: '192.0.2.9', prefix: 32, table: 198, metric: 0, tos: 0, protocol: 201, scope: RT_SCOPE_LINK, type: RTN_UNICAST, oif: 7, gateway: false, multipath: false } as const;
const observedAddress = { family: 4, ip: '192.0.2.8', prefix: 24, ifindex: 7, flags: 0, scope: 0, linkLocal: false } as const;
const ops: KernelOp[] = [
  { kind: 'add-route', key: '192.0.2.1', route: { family: 4, dst: '192.0.2.1', prefix: 32, metric: 0 } },
  { kind: 'add-route', key: 'bad', route: { family: 4, dst: 'not-an-ip', prefix: 32, metric: 0 } },
  { kind: 'delete-route', key: '192.0.2.9', route: observedRoute },
  { kind: 'replace-address', address: { family: 4, ip: '192.0.2.8', prefix: 24 }, was: observedAddress },
  { kind: 'add-address', address: { family: 6, ip: '2001:db8::1', prefix: 128 } },
];

test('encodeOps: one request per operation, two for an IPv4 replace-address; an invalid address is set aside', () => {
  const enc = encodeOps(ops, T);
  assert.deepEqual(enc.opOf, [0, 2, 3, 3, 4]);
  assert.deepEqual(enc.invalid, [1]);
  assert.equal(enc.msgs.count, 5);
});

test('bookAnswers: successes are booked and counted; gone, stale and refused are told apart', () => {
  const enc = encodeOps(ops, T);
  const o = new ObservedState();
  o.addRoute(observedRoute, false);
  o.addAddress(observedAddress);
  const counts = zeroCounts();
  const booked = bookAnswers(ops, enc, Int32Array.from([0, 0, 0, 0, 0]), o, T, counts);
  assert.deepEqual(booked, { refused: [], stale: false, gone: false });
  assert.deepEqual(counts, { routesAdded: 1, routesReplaced: 0, routesDeleted: 1, addressesAdded: 1, addressesReplaced: 1, addressesDeleted: 0 });
  assert.deepEqual([...o.routes.keys()], ['192.0.2.1']);
  assert.equal(o.routes.get('192.0.2.1')![0]!.protocol, 201);
  assert.equal(o.addresses.get('192.0.2.8/24')!.flags, IFA_F_NOPREFIXROUTE);
  assert.ok(o.addresses.has('2001:db8::1'));

  const o2 = new ObservedState();
  const c2 = zeroCounts();
  // add EEXIST (our view is stale), delete ESRCH (already gone: done, not counted),
  // the replace's delete refused (its add not looked at), add-address ENODEV.
  const b2 = bookAnswers(ops, enc, Int32Array.from([E.EEXIST, E.ESRCH, E.EPERM, 0, E.ENODEV]), o2, T, c2);
  assert.deepEqual(b2, { refused: [{ index: 3, errno: 'EPERM' }], stale: true, gone: true });
  assert.deepEqual(c2, zeroCounts());
});

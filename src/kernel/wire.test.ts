import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeAddress,
  decodeLink,
  decodeRoute,
  encodeConfigureLink,
  encodeCreateLink,
  encodeDelAddress,
  encodeDelRoute,
  encodeGetLink,
  encodeNewAddress,
  encodeNewRoute,
  encodeSetLinkUp,
  forEachMessage,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_F_PERMANENT,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  readHeader,
  RT_SCOPE_LINK,
  RT_TABLE_COMPAT,
  RTM_DELROUTE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  stamp,
} from './wire.ts';

const route = { family: 4 as const, dst: '192.0.2.10', prefix: 32, table: 198, metric: 7, tos: 0, protocol: 201, oif: 5 };

test('a new route encodes as iproute2 would and decodes back', () => {
  const m = encodeNewRoute(route, NLM_F_CREATE | NLM_F_EXCL)!;
  const h = readHeader(m, 0);
  assert.deepEqual(h, { length: m.length, type: RTM_NEWROUTE, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, seq: 0, port: 0 });
  assert.equal(m.length % 4, 0);
  assert.deepEqual(decodeRoute(m, 0, m.length, 198), {
    ...route,
    scope: RT_SCOPE_LINK,
    type: RTN_UNICAST,
    gateway: false,
    multipath: false,
  });
  assert.equal(decodeRoute(m, 0, m.length, 199), undefined, 'other tables are skipped');
});

test('IPv6 routes and tables above 255 (header says RT_TABLE_COMPAT, RTA_TABLE the truth)', () => {
  const r6 = { ...route, family: 6 as const, dst: '2001:db8::a', prefix: 128, table: 4_000_000_000 };
  const m = encodeNewRoute(r6, NLM_F_CREATE)!;
  assert.equal(m[16 + 4], RT_TABLE_COMPAT);
  assert.equal(decodeRoute(m, 0, m.length, 4_000_000_000)?.dst, '2001:db8::a');
  assert.equal(decodeRoute(m, 0, m.length, 198), undefined);
});

test('a route delete names table, destination, metric and protocol; matches any scope and type', () => {
  const m = encodeDelRoute(route)!;
  assert.equal(readHeader(m, 0).type, RTM_DELROUTE);
  const d = decodeRoute(m, 0, m.length, 198)!;
  assert.deepEqual([d.dst, d.prefix, d.metric, d.protocol, d.scope, d.type, d.oif], ['192.0.2.10', 32, 7, 201, 255, 0, 0]);
});

test('an invalid address encodes to undefined, not to a wrong route', () => {
  assert.equal(encodeNewRoute({ ...route, dst: '192.0.2.300' }, 0), undefined);
  assert.equal(encodeDelRoute({ ...route, family: 6, dst: '192.0.2.1' }), undefined);
  assert.equal(encodeNewAddress({ family: 4, ip: 'x', prefix: 32, ifindex: 1, ifaFlags: 0 }, 0), undefined);
});

test('addresses: IPv4 carries IFA_LOCAL and IFA_ADDRESS, IPv6 no DAD; flags above 0xff in IFA_FLAGS', () => {
  const a4 = encodeNewAddress({ family: 4, ip: '192.0.2.10', prefix: 24, ifindex: 9, ifaFlags: IFA_F_NOPREFIXROUTE }, 0)!;
  assert.deepEqual(decodeAddress(a4, 0, a4.length, 9), {
    family: 4,
    ip: '192.0.2.10',
    prefix: 24,
    ifindex: 9,
    flags: IFA_F_NOPREFIXROUTE | IFA_F_PERMANENT,
    scope: 0,
    linkLocal: false,
  });
  assert.equal(decodeAddress(a4, 0, a4.length, 8), undefined, 'other interfaces are skipped');
  const a6 = encodeNewAddress({ family: 6, ip: 'fe80::1', prefix: 64, ifindex: 9, ifaFlags: 0 }, 0)!;
  const d6 = decodeAddress(a6, 0, a6.length, 0)!;
  assert.equal(d6.flags, IFA_F_PERMANENT | IFA_F_NODAD);
  assert.equal(d6.linkLocal, true);
  const del = encodeDelAddress({ family: 6, ip: '2001:db8::1', prefix: 64, ifindex: 9 })!;
  assert.equal(decodeAddress(del, 0, del.length, 9)?.ip, '2001:db8::1');
});

test('links: get by name, create with a kind, configure (nested IFLA_AF_SPEC) decode', () => {
  const g = encodeGetLink('kube-lb0');
  assert.equal(decodeLink(g, 0, g.length)?.name, 'kube-lb0');
  const c = encodeCreateLink('kube-lb0', 'dummy');
  assert.deepEqual(decodeLink(c, 0, c.length), { index: 0, name: 'kube-lb0', kind: 'dummy', up: false, family: 0 });
  const cfg = encodeConfigureLink(12);
  assert.equal(cfg.readUInt32LE(0), cfg.length);
  assert.deepEqual(decodeLink(cfg, 0, cfg.length), { index: 12, name: '', kind: undefined, up: false, family: 0 }, 'not up: the kernel would apply that first');
  const up = encodeSetLinkUp(12);
  assert.deepEqual(decodeLink(up, 0, up.length), { index: 12, name: '', kind: undefined, up: true, family: 0 });
  // The nested attribute lengths add up to the message.
  assert.equal(cfg.readUInt16LE(32), cfg.length - 32);
});

test('stamp writes seq, port and extra flags; forEachMessage walks a datagram', () => {
  const a = encodeNewRoute(route, 0)!;
  const b = encodeDelRoute(route)!;
  stamp(a, 7, 99, NLM_F_ACK);
  stamp(b, 8, 99);
  assert.deepEqual([readHeader(a, 0).seq, readHeader(a, 0).port, readHeader(a, 0).flags & NLM_F_ACK], [7, 99, NLM_F_ACK]);
  const seen: number[] = [];
  const datagram = Buffer.concat([a, b, Buffer.from([1, 2, 3])]); // trailing junk is ignored
  forEachMessage(datagram, (off) => seen.push(datagram.readUInt32LE(off + 8)));
  assert.deepEqual(seen, [7, 8]);
});

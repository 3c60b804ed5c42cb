import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, cidrsOverlap, formatIp, parseCidr, parseIp, type Cidr } from './cidr.ts';

function cidr(text: string): Cidr {
  const r = parseCidr(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.message}`);
  return r.cidr;
}

test('cidr: canonical forms, both families', () => {
  const cases: [string, string][] = [
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.7/32', '192.0.2.7/32'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0000/64', '2001:db8::/64'],
    ['2001:db8:0:1:0:0:0:0/64', '2001:db8:0:1::/64'],
    ['2001:db8:0:0:1:0:0:0/80', '2001:db8:0:0:1::/80'], // the longest zero run is compressed
    ['2001:0:0:1:0:0:1:0/112', '2001::1:0:0:1:0/112'], // the first one on a tie
    ['fd00:0:0:1::/64', 'fd00:0:0:1::/64'],
    ['2001:db8:1:2:3:4:5:0/128', '2001:db8:1:2:3:4:5:0/128'], // a single zero group is not compressed
    ['::/0', '::/0'],
    ['::1/128', '::1/128'],
    ['64:ff9b::192.0.2.0/120', '64:ff9b::c000:200/120'],
  ];
  for (const [input, canonical] of cases) assert.equal(cidr(input).text, canonical, input);
  assert.deepEqual(cidr('2001:db8::/48'), { family: 6, address: '2001:db8::', prefix: 48, text: '2001:db8::/48' });
});

test('cidr: refused inputs say why', () => {
  const cases: [string, RegExp][] = [
    ['10.0.0.1/8', /host bits set — write the network address 10\.0\.0\.0\/8/],
    ['2001:db8::1/64', /host bits set — write the network address 2001:db8::\/64/],
    ['010.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['10.0.0/8', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/08', /prefix length "08"/],
    ['10.0.0.0/', /prefix length ""/],
    ['fd00::/129', /not valid for IPv6 — use 0\.\.128/],
    ['1::2::3/64', /not an IPv4 or IPv6 address/],
    ['1:2:3:4:5:6:7:8:9/64', /not an IPv4 or IPv6 address/],
    ['fe80::%eth0/64', /not an IPv4 or IPv6 address/],
    ['::ffff:10.0.0.0/104', /IPv4-mapped IPv6 prefix — write the IPv4 form 10\.0\.0\.0\/8/],
    [' 10.0.0.0/8', /spaces/],
    ['10.0.0.1', /no prefix length — write 10\.0\.0\.1\/32/],
    ['fd00::1', /no prefix length — write fd00::1\/128/],
  ];
  for (const [input, message] of cases) {
    const r = parseCidr(input);
    assert.ok(!r.ok, input);
    assert.match(r.message, message, input);
  }
});

test('ip: parse and format round trip', () => {
  for (const text of ['0.0.0.0', '255.255.255.255', '::', '::1', '1::', 'fe80::1:2', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff']) {
    assert.equal(formatIp(parseIp(text)!), text);
  }
  assert.equal(parseIp('256.0.0.1'), undefined);
  assert.equal(parseIp('1:2:3:4:5:6:7::')?.value, parseIp('1:2:3:4:5:6:7:0')?.value);
  assert.equal(parseIp('1:2:3:4:5:6:7:8::'), undefined);
});

test('cidr: containment and overlap', () => {
  const v4 = cidr('10.1.0.0/16');
  const v6 = cidr('2001:db8:1::/48');
  assert.ok(cidrContains(v4, '10.1.255.255'));
  assert.ok(!cidrContains(v4, '10.2.0.0'));
  assert.ok(cidrContains(v6, '2001:db8:1:ffff::1'));
  assert.ok(!cidrContains(v6, '2001:db8:2::1'));
  assert.ok(!cidrContains(v4, '::ffff:10.1.0.1')); // families never mix
  assert.ok(!cidrContains(v4, 'garbage'));
  assert.ok(cidrContains(cidr('0.0.0.0/0'), '203.0.113.9'));
  assert.ok(cidrsOverlap(v4, cidr('10.1.2.0/24')));
  assert.ok(cidrsOverlap(cidr('10.0.0.0/8'), v4));
  assert.ok(!cidrsOverlap(v4, cidr('10.2.0.0/16')));
  assert.ok(!cidrsOverlap(cidr('0.0.0.0/0'), cidr('::/0')));
});

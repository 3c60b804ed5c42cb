import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIp as configFormatIp, parseIp } from '../config/index.ts';
import { canonicalIp, formatIp, isLinkLocalV6, networkOf, writeIp } from './ip.ts';

test('IPv4: parses dotted quads, refuses leading zeros, short and long forms, junk', () => {
  const b = new Uint8Array(4);
  assert.equal(writeIp('192.0.2.255', 4, b, 0), true);
  assert.deepEqual([...b], [192, 0, 2, 255]);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..3.4', '1.2.3.4.', 'a.b.c.d', ' 1.2.3.4', '1.2.3.-1', '::1']) {
    assert.equal(writeIp(bad, 4, b, 0), false, bad);
  }
  assert.equal(canonicalIp('0.0.0.0', 4), '0.0.0.0');
});

test('IPv6: parses every legal form to the same bytes; refuses malformed text', () => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::1', 'fe80::1'],
  ];
  for (const [text, canonical] of cases) assert.equal(canonicalIp(text, 6), canonical, text);
  for (const bad of ['', ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', '1:', ':1', '1.2.3.4', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4']) {
    assert.equal(canonicalIp(bad, 6), undefined, bad);
  }
});

test('formatting matches config/cidr.ts formatIp (the planner\'s canonical text) on 20,000 random addresses', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
  const b = new Uint8Array(16);
  for (let i = 0; i < 20_000; i++) {
    // Many zero groups, so that every compression case shows up.
    for (let k = 0; k < 16; k += 2) {
      const zero = rnd() < 128;
      b[k] = zero ? 0 : rnd() & (rnd() < 64 ? 0 : 0xff);
      b[k + 1] = zero ? 0 : rnd();
    }
    const ours = formatIp(6, b, 0);
    const value = [...b].reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
    assert.equal(ours, configFormatIp({ family: 6, value }));
    assert.equal(canonicalIp(ours, 6), ours);
    assert.equal(parseIp(ours)?.value, value);
    const v4 = formatIp(4, b, 0);
    assert.equal(v4, configFormatIp({ family: 4, value: BigInt((b[0]! << 24) >>> 0) + BigInt((b[1]! << 16) | (b[2]! << 8) | b[3]!) }));
  }
});

test('networkOf clears host bits; refuses a prefix out of range', () => {
  assert.equal(networkOf('192.0.2.77', 4, 24), '192.0.2.0');
  assert.equal(networkOf('192.0.2.77', 4, 27), '192.0.2.64');
  assert.equal(networkOf('192.0.2.77', 4, 32), '192.0.2.77');
  assert.equal(networkOf('192.0.2.77', 4, 0), '0.0.0.0');
  assert.equal(networkOf('2001:db8:1:2::77', 6, 64), '2001:db8:1:2::');
  assert.equal(networkOf('2001:db8:1:2::77', 6, 60), '2001:db8:1::');
  assert.equal(networkOf('2001:db8::1', 6, 129), undefined);
  assert.equal(networkOf('192.0.2.1', 4, 33), undefined);
});

test('IPv6 link-local is fe80::/10', () => {
  const b = new Uint8Array(16);
  for (const [text, ll] of [['fe80::1', true], ['febf::1', true], ['fec0::1', false], ['fd00::1', false]] as const) {
    writeIp(text, 6, b, 0);
    assert.equal(isLinkLocalV6(b, 0), ll, text);
  }
});

// Each rendered variant against its golden file. KLA_UPDATE_GOLDEN=1 rewrites
// the goldens instead (then read the diff before committing it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cases, goldenPath, loadFixture, renderCase } from './cases.ts';
import { poolPrefixes } from '../../src/render/common.ts';

const update = process.env.KLA_UPDATE_GOLDEN === '1';

for (const c of cases) {
  test(`golden: ${c.name}`, () => {
    const { text } = renderCase(c);
    const path = goldenPath(c);
    if (update) writeFileSync(path, text);
    assert.ok(existsSync(path), `${path} is missing: run with KLA_UPDATE_GOLDEN=1 to write it`);
    assert.equal(text, readFileSync(path, 'utf8'), `${c.name} differs from ${path} (KLA_UPDATE_GOLDEN=1 rewrites it)`);
  });
}

test('every variant of both daemons has a golden', () => {
  const variants = new Set(cases.map((c) => `${c.daemon} ${renderCase(c).text.match(/source: ([a-z-]+)\)/)?.[1]}`));
  assert.deepEqual([...variants].sort(), ['bird direct', 'bird kernel', 'frr connected', 'frr import-table']);
});

test('the rendered filters carry the configuration: table, protocol, metric, interface, pools', () => {
  const text = (name: string) => renderCase(cases.find((c) => c.name === name)!).text;
  const birdKernel = text('bird-kernel-dual-aggregated');
  assert.match(birdKernel, /kernel table 210;/);
  assert.match(birdKernel, /krt_source = 202 &&/);
  assert.match(birdKernel, /192\.0\.2\.0\/24\{28,28\}/, 'the aggregated prefix of method "both"');
  assert.doesNotMatch(birdKernel, /\{24,|\{0,|0\.0\.0\.0\/0/, 'never the pool itself or a default route');
  assert.match(text('bird-direct-dual-aggregated'), /interface "lb-test0";/);
  const frrTable = text('frr-import-table-dual-aggregated');
  assert.match(frrTable, /^ip import-table 210 route-map KUBE-LB-IMPORT-V4$/m);
  assert.match(frrTable, /^ match metric 77$/m);
  assert.match(frrTable, /^  redistribute table 210 route-map KUBE-LB-REDISTRIBUTE-V4$/m);
  assert.match(frrTable, /IPv6 pools are NOT announced/);
  assert.doesNotMatch(text('frr-import-table-routes-v4'), /match metric/, 'metric 0 cannot be matched in FRR');
  assert.match(text('frr-connected-dual-aggregated'), /^ match interface lb-test0$/m);
});

test('pool prefixes: host routes always, the aggregation only where addresses are written', () => {
  const show = (fixture: string, family: 4 | 6) => poolPrefixes(loadFixture(fixture), family).map((p) => `${p.cidr.text}=${p.length}`);
  assert.deepEqual(show('routes.toml', 4), ['192.0.2.0/24=32', '198.51.100.16/28=32', '198.51.100.7/32=32']);
  assert.deepEqual(show('routes.toml', 6), ['2001:db8:1::/64=128']);
  assert.deepEqual(show('routes-v4.toml', 6), []);
  assert.deepEqual(show('dual-aggregated.toml', 4), ['192.0.2.0/24=32', '192.0.2.0/24=28', '198.51.100.7/32=32']);
  assert.deepEqual(show('dual-aggregated.toml', 6), ['2001:db8:1::/64=128', '2001:db8:1::/64=120']);
});

test('warnings say what the file cannot do', () => {
  const warnings = (name: string) => renderCase(cases.find((c) => c.name === name)!).warnings.join('\n');
  assert.match(warnings('frr-import-table-dual-aggregated'), /no `ipv6 import-table`/);
  assert.equal(warnings('bird-kernel-routes'), '', 'router ID given, a neighbour per family: nothing to warn about');
  assert.equal(warnings('bird-direct-addresses'), '', 'no BGP part: no router-ID warning');
});

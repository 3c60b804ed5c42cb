// Every golden file through the daemon's own offline check: `bird -p -c FILE`
// (BIRD 2.0.12) and `vtysh --dryrun -f FILE` (FRR 8.4), and a deliberately
// broken copy of each through the same check, so a pass means the lines were
// read, not skipped. Needs: bird2 and frr installed (scripts/install-deps.sh).
// vtysh's dry run knows every daemon's commands but not the values their
// data models accept (8.4 passes `match metric 0`, which zebra and bgpd
// refuse): frr.test.ts loads the files into the running daemons as well.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireDaemons } from './daemons.ts';
import { tempDir } from '../helpers/tmp.ts';
import { cases, goldenPath } from './cases.ts';

requireDaemons();
const dir = tempDir('kla-render-syntax-');

function check(daemon: 'bird' | 'frr', file: string) {
  const r =
    daemon === 'bird'
      ? spawnSync('bird', ['-p', '-c', file], { encoding: 'utf8' })
      : spawnSync('vtysh', ['--dryrun', '-f', file], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

for (const c of cases) {
  test(`${c.daemon === 'bird' ? 'bird -p' : 'vtysh --dryrun'} accepts ${c.name}`, () => {
    const r = check(c.daemon, goldenPath(c));
    assert.equal(r.status, 0, r.output);
  });
}

test('bird -p refuses a broken copy (a misspelt attribute in a filter)', () => {
  const text = readFileSync(goldenPath(cases.find((c) => c.name === 'bird-kernel-routes')!), 'utf8');
  assert.ok(text.includes('krt_source = 201'));
  const file = join(dir, 'broken-bird.conf');
  writeFileSync(file, text.replace('krt_source = 201', 'krt_sorce = 201'));
  const r = check('bird', file);
  assert.notEqual(r.status, 0, r.output);
  const line = text.split('\n').findIndex((l) => l.includes('krt_source = 201')) + 1;
  assert.match(r.output, new RegExp(`broken-bird\\.conf:${line}:\\d+ syntax error`));
});

test('vtysh --dryrun refuses a broken copy (a misspelt match inside a route-map)', () => {
  const text = readFileSync(goldenPath(cases.find((c) => c.name === 'frr-import-table-routes-v4')!), 'utf8');
  assert.ok(text.includes(' match source-protocol kernel'));
  const file = join(dir, 'broken-frr.conf');
  writeFileSync(file, text.replace(' match source-protocol kernel', ' match source-protocl kernel'));
  const r = check('frr', file);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, /Unknown command.*source-protocl/);
});

test('vtysh --dryrun refuses a broken copy (an unknown line inside router bgp)', () => {
  const text = readFileSync(goldenPath(cases.find((c) => c.name === 'frr-connected-dual-aggregated')!), 'utf8');
  const file = join(dir, 'broken-frr-bgp.conf');
  writeFileSync(file, text.replace(' no bgp default ipv4-unicast', ' no bgp default ipv4-unicst'));
  const r = check('frr', file);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, /ipv4-unicst/);
});

// `render` through the command line: exit codes and messages, shared by the
// source CLI (test/unit/cli.test.ts) and the built executable
// (test/binary/cli.test.ts). Fixture paths are absolute: the binary runs in
// an empty directory.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempConfig, type Cli } from '../helpers/cli.ts';

const fixture = (name: string) => join(repoRoot, 'test/render/fixtures', name);
const routes = fixture('routes.toml');
const addresses = fixture('addresses.toml');

export interface RenderExitCase {
  readonly name: string;
  readonly args: (dir: string) => string[];
  readonly code: number;
  readonly out?: RegExp;
  readonly err?: RegExp;
}

export const renderExitCases: readonly RenderExitCase[] = [
  { name: 'render bird of a routes config → ok, protocol kernel', args: () => ['render', 'bird', '-c', routes], code: 0, out: /^protocol kernel kube_lb_kernel4 \{$/m },
  { name: 'render frr of an addresses config → ok, redistribute connected', args: () => ['render', 'frr', '-c', addresses], code: 0, out: /redistribute connected route-map KUBE-LB-CONNECTED-V4/ },
  { name: 'render without a daemon → usage', args: () => ['render'], code: 2, err: /Usage: kube-lb-agent render bird\|frr/ },
  { name: 'render of an unknown daemon → usage', args: () => ['render', 'ospf'], code: 2, err: /unknown routing daemon 'ospf'/ },
  { name: 'render bird --source import-table (an FRR source) → usage', args: () => ['render', 'bird', '-c', routes, '--source', 'import-table'], code: 2, err: /Allowed choices are kernel, direct/ },
  { name: 'render frr --source direct (a BIRD source) → usage', args: () => ['render', 'frr', '-c', routes, '--source', 'direct'], code: 2, err: /Allowed choices are import-table, connected/ },
  {
    name: 'render bird --source direct with routing.method "routes" → usage naming the method',
    args: () => ['render', 'bird', '-c', routes, '--source', 'direct'],
    code: 2,
    err: /routing\.method = "routes" in .*routes\.toml writes routes into table 198 and no addresses/,
  },
  { name: 'render bird --neighbor that is no address → usage', args: () => ['render', 'bird', '-c', routes, '--local-as', '65001', '--peer-as', '65000', '--neighbor', '10.0.0.300'], code: 2, err: /--neighbor "10\.0\.0\.300" is not an IPv4 or IPv6 address/ },
  { name: 'render frr --neighbor without the AS numbers → usage', args: () => ['render', 'frr', '-c', routes, '--neighbor', '10.0.0.254'], code: 2, err: /missing: --local-as, --peer-as/ },
  { name: 'render bird --local-as 0 → usage', args: () => ['render', 'bird', '-c', routes, '--local-as', '0', '--peer-as', '65000', '--neighbor', '10.0.0.254'], code: 2, err: /--local-as "0" is not an AS number/ },
  { name: 'render frr --router-id that is IPv6 → usage', args: () => ['render', 'frr', '-c', routes, '--router-id', 'fd00::1'], code: 2, err: /--router-id "fd00::1" is not an IPv4 address/ },
  {
    name: 'render bird of a config with a typo → bad config naming file and line',
    args: (dir) => {
      writeFileSync(join(dir, 'typo.toml'), '[pools.a]\ncidrs = ["192.0.2.0/24"]\n\n[routing]\ntabel = 198\n');
      return ['render', 'bird', '-c', join(dir, 'typo.toml')];
    },
    code: 3,
    err: /typo\.toml:5:\d+: routing\.tabel/,
  },
  { name: 'render frr of a missing file → bad config', args: (dir) => ['render', 'frr', '-c', join(dir, 'nope.toml')], code: 3, err: /nope\.toml/ },
];

export function assertRenderExitCase(cli: Cli, c: RenderExitCase): void {
  const { dir } = tempConfig();
  const r = cli(c.args(dir));
  const detail = `exit ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.status, c.code, detail);
  if (c.out) assert.match(r.stdout, c.out, detail);
  if (c.err) assert.match(r.stderr, c.err, detail);
  if (c.code !== 0) assert.equal(r.stdout, '', 'nothing on stdout when it fails: `render … > bird.conf` must not leave half a file');
}

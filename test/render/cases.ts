// The rendered variants checked against golden files (golden.test.ts), by the
// daemons' own parsers (syntax.test.ts) and, for some, by the running daemons
// (bird.test.ts, frr.test.ts). Rendered through the pure functions with a
// fixed version, so a version bump does not touch the goldens; cli.test.ts
// proves the command prints the same text.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../src/config/index.ts';
import { renderBird, renderFrr, resolveRenderOptions, type Daemon, type RawRenderOptions, type Rendered } from '../../src/render/index.ts';
import { repoRoot } from '../helpers/cli.ts';

export const GOLDEN_DIR = join(repoRoot, 'test/render/golden');
export const GOLDEN_VERSION = '0.0.0-golden';

export interface RenderCase {
  /** Also the golden file's name: golden/<name>.conf */
  readonly name: string;
  readonly daemon: Daemon;
  /** Under test/render/fixtures/. */
  readonly fixture: string;
  readonly options: RawRenderOptions;
}

const bgp = (...neighbor: string[]): RawRenderOptions => ({ routerId: '10.0.0.1', localAs: '65001', peerAs: '65000', neighbor });

export const cases: readonly RenderCase[] = [
  { name: 'bird-kernel-routes', daemon: 'bird', fixture: 'routes.toml', options: bgp('10.0.0.254', 'fd00::fe') },
  { name: 'bird-direct-addresses', daemon: 'bird', fixture: 'addresses.toml', options: {} },
  { name: 'bird-kernel-dual-aggregated', daemon: 'bird', fixture: 'dual-aggregated.toml', options: { source: 'kernel', ...bgp('10.0.0.254', 'fd00::fe') } },
  { name: 'bird-direct-dual-aggregated', daemon: 'bird', fixture: 'dual-aggregated.toml', options: { source: 'direct', ...bgp('10.0.0.254', '10.0.1.254', 'fd00::fe') } },
  { name: 'frr-import-table-routes-v4', daemon: 'frr', fixture: 'routes-v4.toml', options: bgp('10.0.0.254') },
  { name: 'frr-connected-addresses', daemon: 'frr', fixture: 'addresses.toml', options: {} },
  { name: 'frr-import-table-dual-aggregated', daemon: 'frr', fixture: 'dual-aggregated.toml', options: { source: 'import-table', ...bgp('10.0.0.254') } },
  { name: 'frr-connected-dual-aggregated', daemon: 'frr', fixture: 'dual-aggregated.toml', options: { source: 'connected', ...bgp('10.0.0.254', 'fd00::fe') } },
];

export function fixturePath(fixture: string): string {
  return `test/render/fixtures/${fixture}`;
}

export function loadFixture(fixture: string): Config {
  const path = fixturePath(fixture);
  return parseConfig(readFileSync(join(repoRoot, path), 'utf8'), path);
}

export function renderCase(c: RenderCase, version = GOLDEN_VERSION): Rendered {
  const config = loadFixture(c.fixture);
  const options = resolveRenderOptions(c.daemon, c.options, { config, configPath: fixturePath(c.fixture), version });
  return c.daemon === 'bird' ? renderBird(config, options) : renderFrr(config, options);
}

export function goldenPath(c: RenderCase): string {
  return join(GOLDEN_DIR, `${c.name}.conf`);
}

/** The command-line arguments that render `c` (for the CLI and the syntax checks). */
export function caseArgs(c: RenderCase): string[] {
  const o = c.options;
  return [
    'render',
    c.daemon,
    '-c',
    fixturePath(c.fixture),
    ...(o.source ? ['--source', o.source] : []),
    ...(o.routerId ? ['--router-id', o.routerId] : []),
    ...(o.localAs ? ['--local-as', o.localAs] : []),
    ...(o.peerAs ? ['--peer-as', o.peerAs] : []),
    ...(o.neighbor ?? []).flatMap((n) => ['--neighbor', n]),
  ];
}

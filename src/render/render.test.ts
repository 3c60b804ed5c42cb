import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/index.ts';
import { isAgentError } from '../errors.ts';
import { regenerateCommand, shellWord } from './common.ts';
import { renderBird, renderFrr, resolveRenderOptions, type Daemon, type RawRenderOptions } from './index.ts';

const config = (extra: string) => parseConfig(`[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8::/64"]\n${extra}`, 'test.toml');
const resolve = (daemon: Daemon, raw: RawRenderOptions, extra = '') =>
  resolveRenderOptions(daemon, raw, { config: config(extra), configPath: '/etc/kube-lb-agent/config.toml', version: '1.2.3' });
const usage = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => isAgentError(e, 'USAGE') && re.test((e as Error).message));

test('the source defaults from routing.method', () => {
  assert.equal(resolve('bird', {}).source, 'kernel');
  assert.equal(resolve('bird', {}, '[routing]\nmethod = "both"').source, 'kernel');
  assert.equal(resolve('bird', {}, '[routing]\nmethod = "addresses"').source, 'direct');
  assert.equal(resolve('frr', {}).source, 'import-table');
  assert.equal(resolve('frr', {}, '[routing]\nmethod = "addresses"').source, 'connected');
  assert.equal(resolve('frr', { source: 'connected' }, '[routing]\nmethod = "both"').source, 'connected');
});

test('a source that the method does not feed, or of the other daemon, is a usage error', () => {
  usage(() => resolve('bird', { source: 'direct' }), /routing\.method = "routes"/);
  usage(() => resolve('frr', { source: 'import-table' }, '[routing]\nmethod = "addresses"'), /use --source connected/);
  usage(() => resolve('bird', { source: 'connected' }), /not a BIRD source/);
  usage(() => resolve('frr', {}, '[routing]\ntable = 1000'), /takes tables 1\.\.252, and routing\.table = 1000/);
  assert.equal(resolve('frr', {}, '[routing]\ntable = 252').source, 'import-table');
  assert.equal(resolve('bird', {}, '[routing]\ntable = 1000').source, 'kernel', 'BIRD reads any table');
});

test('neighbours: canonical, one family each, no zone, no link-local, no duplicates', () => {
  const bgp = resolve('bird', { localAs: '65001', peerAs: '4200000000', neighbor: ['10.0.0.1', 'FD00:0::00FE'] }).bgp!;
  assert.deepEqual(bgp.neighbors, [{ address: '10.0.0.1', family: 4 }, { address: 'fd00::fe', family: 6 }]);
  assert.equal(bgp.peerAs, 4200000000);
  const base = { localAs: '1', peerAs: '2' };
  usage(() => resolve('bird', { ...base, neighbor: ['fe80::1%eth0'] }), /zone/);
  usage(() => resolve('bird', { ...base, neighbor: ['fe80::1'] }), /link-local/);
  usage(() => resolve('bird', { ...base, neighbor: ['fd00::fe', 'fd00:0::fe'] }), /given twice/);
  usage(() => resolve('bird', { ...base, neighbor: ['10.0.0.01'] }), /not an IPv4 or IPv6 address/);
  usage(() => resolve('bird', { localAs: '4294967296', peerAs: '2', neighbor: ['10.0.0.1'] }), /not an AS number/);
  usage(() => resolve('bird', { localAs: '1', neighbor: ['10.0.0.1'] }), /missing: --peer-as/);
  assert.equal(resolve('bird', {}).bgp, undefined, 'no BGP option: a commented example');
  usage(() => resolve('frr', { routerId: '0.0.0.0' }), /not a valid BGP router ID/);
  assert.equal(resolve('frr', { routerId: '10.0.0.1' }).routerId, '10.0.0.1');
});

test('the regenerate command quotes what the shell would split', () => {
  assert.equal(shellWord('/etc/kube-lb-agent/config.toml'), '/etc/kube-lb-agent/config.toml');
  assert.equal(shellWord("/tmp/my config's.toml"), `'/tmp/my config'\\''s.toml'`);
  const opts = resolveRenderOptions('bird', {}, { config: config(''), configPath: '/tmp/a b.toml', version: 'x' });
  assert.equal(regenerateCommand(opts, 'out'), "kube-lb-agent render bird -c '/tmp/a b.toml' --source kernel > out");
});

test('no pool at all: nothing is learned or exported, and a warning says so', () => {
  const empty = parseConfig('', 'empty.toml');
  for (const daemon of ['bird', 'frr'] as const) {
    const opts = resolveRenderOptions(daemon, {}, { config: empty, configPath: 'empty.toml', version: 'x' });
    const r = daemon === 'bird' ? renderBird(empty, opts) : renderFrr(empty, opts);
    assert.match(r.warnings.join('\n'), /has no pool/);
    assert.doesNotMatch(r.text, /^(protocol kernel|protocol direct|ip import-table|ip prefix-list|\s*redistribute)/m);
  }
});

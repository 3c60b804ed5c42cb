// The good paths: defaults, a file that sets every key, the shipped conffile
// (which must document every key the schema knows), warnings, read errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import toml from 'toml';
import { isAgentError } from '../errors.ts';
import { ConfigError, defaultConfig, loadConfig, parseConfig, parseConfigWithWarnings, poolSpec, resolveNodeName, sections, type Config } from './index.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

const SHIPPED = resolve(import.meta.dirname, '../../packaging/config.toml');

const expectedDefaults: Config = {
  node: { name: '', selector: { text: '', requirements: [] }, kubeProxyHealthz: '' },
  kubernetes: {
    kubeconfig: '/etc/kube-lb-agent/kubeconfig',
    requestTimeoutMs: 10_000,
    backoffMaxMs: 30_000,
    leaseNamespace: 'kube-system',
    leaseDurationMs: 15_000,
    leaseRenewMs: 5_000,
    events: false,
  },
  interface: { name: 'kube-lb0', kind: 'dummy' },
  routing: { table: 198, protocol: 201, metric: 0, method: 'routes', prefixRouteInMain: false },
  announce: {
    loadbalancerIp: true,
    externalIp: false,
    clusterIp: false,
    allowOptIn: false,
    class: 'kube-lb-agent',
    defaultClass: true,
    election: 'all',
    requireEndpoints: true,
    requireNodeReady: true,
    honorExcludeLabel: true,
  },
  pools: [],
  http: { listen: { host: '127.0.0.1', port: 20244 } },
  log: { level: 'info', format: 'auto' },
  shutdown: { withdraw: 'auto', drainMs: 2_000 },
  safety: { maxWithdrawFraction: 0.5, holdMs: 60_000 },
  reconcile: { resyncIntervalMs: 60_000 },
  state: { directory: '/var/lib/kube-lb-agent', addonDirectory: '/var/lib/kube-lb-agent/addons' },
};

function isDeeplyFrozen(v: unknown): boolean {
  return v === null || typeof v !== 'object' || (Object.isFrozen(v) && Object.values(v).every(isDeeplyFrozen));
}

test('defaults: the empty file gives every default', () => {
  assert.deepEqual(defaultConfig, expectedDefaults);
  assert.deepEqual(parseConfig('', 'empty.toml'), expectedDefaults);
  assert.ok(isDeeplyFrozen(defaultConfig));
  assert.throws(() => {
    (defaultConfig.routing as { table: number }).table = 1;
  }, TypeError);
});

test('defaults: an empty file warns that nothing will be announced', () => {
  const { warnings } = parseConfigWithWarnings('', 'empty.toml');
  assert.deepEqual(warnings, ['empty.toml: pools: no pools configured: nothing will be announced — add a [pools.<name>] table with cidrs = [...]']);
});

const FULL = `
# Every key set, none to its default.
[node]
name = "worker-1.dc1"
selector = "role=edge, zone in (a, b), !maintenance, tier!=db"
kube_proxy_healthz = "http://127.0.0.1:10256/healthz"

[kubernetes]
kubeconfig = "/etc/kubernetes/kube-lb-agent.conf"
request_timeout = "5s"
backoff_max = "1m"
lease_namespace = "kube-lb"
lease_duration = "1m30s"
lease_renew = "20s"
events = true

[interface]
name = "lb0"
kind = "bridge"

[routing]
table = 4000000000
protocol = 248
metric = 100
method = "both"
prefix_route_in_main = true

[announce]
loadbalancer_ip = false
external_ip = true
cluster_ip = true
allow_opt_in = true
class = "example.com/edge"
default_class = false
election = "leader"
require_endpoints = false
require_node_ready = false
honor_exclude_label = false

[pools.edge]
cidrs = ["192.0.2.0/24", "2001:DB8:0001:0000::/64", "198.51.100.128/25"]
aggregation_v4 = 25
aggregation_v6 = 64

[pools.internal-2]
cidrs = ["10.96.0.0/12"]

[http]
listen = "[::1]:9244"

[log]
level = "debug"
format = "json"

[shutdown]
withdraw = "always"
drain = "500ms"

[safety]
max_withdraw_fraction = 1
hold = "2m"

[reconcile]
resync_interval = "1h"

[state]
directory = "/run/kube-lb-agent"
addon_directory = "/usr/lib/kube-lb-agent"
`;

test('full: a file setting every key gives the typed values', () => {
  const { config, warnings } = parseConfigWithWarnings(FULL, 'full.toml');
  assert.deepEqual(config, {
    node: {
      name: 'worker-1.dc1',
      selector: {
        text: 'role=edge, zone in (a, b), !maintenance, tier!=db',
        requirements: [
          { key: 'role', operator: 'in', values: ['edge'] },
          { key: 'zone', operator: 'in', values: ['a', 'b'] },
          { key: 'maintenance', operator: 'doesnotexist' },
          { key: 'tier', operator: 'notin', values: ['db'] },
        ],
      },
      kubeProxyHealthz: 'http://127.0.0.1:10256/healthz',
    },
    kubernetes: {
      kubeconfig: '/etc/kubernetes/kube-lb-agent.conf',
      requestTimeoutMs: 5_000,
      backoffMaxMs: 60_000,
      leaseNamespace: 'kube-lb',
      leaseDurationMs: 90_000,
      leaseRenewMs: 20_000,
      events: true,
    },
    interface: { name: 'lb0', kind: 'bridge' },
    routing: { table: 4_000_000_000, protocol: 248, metric: 100, method: 'both', prefixRouteInMain: true },
    announce: {
      loadbalancerIp: false,
      externalIp: true,
      clusterIp: true,
      allowOptIn: true,
      class: 'example.com/edge',
      defaultClass: false,
      election: 'leader',
      requireEndpoints: false,
      requireNodeReady: false,
      honorExcludeLabel: false,
    },
    pools: [
      {
        name: 'edge',
        cidrs: [
          { family: 4, address: '192.0.2.0', prefix: 24, text: '192.0.2.0/24' },
          { family: 6, address: '2001:db8:1::', prefix: 64, text: '2001:db8:1::/64' },
          { family: 4, address: '198.51.100.128', prefix: 25, text: '198.51.100.128/25' },
        ],
        aggregationV4: 25,
        aggregationV6: 64,
      },
      { name: 'internal-2', cidrs: [{ family: 4, address: '10.96.0.0', prefix: 12, text: '10.96.0.0/12' }], aggregationV4: 32, aggregationV6: 128 },
    ],
    http: { listen: { host: '::1', port: 9244 } },
    log: { level: 'debug', format: 'json' },
    shutdown: { withdraw: 'always', drainMs: 500 },
    safety: { maxWithdrawFraction: 1, holdMs: 120_000 },
    reconcile: { resyncIntervalMs: 3_600_000 },
    state: { directory: '/run/kube-lb-agent', addonDirectory: '/usr/lib/kube-lb-agent' },
  });
  assert.ok(isDeeplyFrozen(config));
  // Protocol 248 is allowed (migration from kube-vip), and said aloud.
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /^full\.toml:23:1: routing\.protocol: 248 is kube-vip's protocol/);
});

test('full: every schema key is set in the full example, so it tests them all', () => {
  for (const [name, spec] of Object.entries(sections)) {
    for (const { key } of Object.values<{ key: string }>(spec.keys)) {
      assert.match(FULL, new RegExp(`\\[${name}\\][^[]*\\n${key} = `), `${name}.${key}`);
    }
  }
  for (const { key } of Object.values(poolSpec.keys)) assert.match(FULL, new RegExp(`\\n${key} = `), `pools.<name>.${key}`);
});

test('http: "" disables the HTTP server', () => {
  assert.equal(parseConfig('[http]\nlisten = ""\n', 'x.toml').http.listen, null);
  assert.deepEqual(parseConfig('[http]\nlisten = "localhost:8080"\n', 'x.toml').http.listen, { host: 'localhost', port: 8080 });
});

test('warnings: non-fatal findings carry file, position and key', () => {
  const text = [
    '[kubernetes]',
    'lease_renew = "10s"',
    '[announce]',
    'loadbalancer_ip = false',
    '[safety]',
    'hold = "0s"',
    '[pools.a]',
    'cidrs = ["10.0.0.0/16", "10.0.1.0/24", "0.0.0.0/0"]',
    'aggregation_v4 = 16',
    '[pools.b]',
    'cidrs = ["fd00::/64"]',
    '',
  ].join('\n');
  // The third CIDR overlaps both others and the /16 aggregation has no effect with routes.
  const { warnings } = parseConfigWithWarnings(text, 'w.toml');
  assert.deepEqual(warnings, [
    'w.toml:2:1: kubernetes.lease_renew: lease_renew 10s is more than half of lease_duration 15s: one late renewal lets the Lease expire and peers take over — renew at most every 7s500ms',
    'w.toml:3:1: announce: loadbalancer_ip, external_ip and cluster_ip are all false and allow_opt_in is off: nothing will be announced',
    'w.toml:6:1: safety.hold: "0s" applies a mass withdrawal at once: the guard only logs it — keep a hold such as "60s"',
    'w.toml:8:25: pools.a.cidrs: 10.0.1.0/24 overlaps 10.0.0.0/16 of the same pool — list each address once',
    'w.toml:8:40: pools.a.cidrs: 0.0.0.0/0 allows every IPv4 address: any IP a Service claims will be announced',
    'w.toml:8:40: pools.a.cidrs: 0.0.0.0/0 overlaps 10.0.0.0/16 of the same pool — list each address once',
    'w.toml:8:40: pools.a.cidrs: 0.0.0.0/0 overlaps 10.0.1.0/24 of the same pool — list each address once',
    'w.toml:9:1: pools.a.aggregation_v4: /16 has no effect with routing.method = "routes": routes are always /32',
  ]);
});

test('pools: aggregation equal to the pool prefix is fine with addresses', () => {
  const c = parseConfig('[routing]\nmethod = "addresses"\n[pools.a]\ncidrs = ["10.0.0.0/24", "fd00::/56"]\naggregation_v4 = 24\naggregation_v6 = 64\n', 'x.toml');
  assert.equal(c.pools[0]!.aggregationV4, 24);
  assert.equal(c.pools[0]!.aggregationV6, 64);
});

test('pools: IPv4 and IPv6 of the same numbers never overlap', () => {
  const c = parseConfig('[pools.a]\ncidrs = ["0.0.0.0/8"]\n[pools.b]\ncidrs = ["::/8"]\n', 'x.toml');
  assert.equal(c.pools.length, 2);
});

test('shipped config.toml: loads with loadConfig, and equals the defaults', () => {
  const { config, warnings } = loadConfig(SHIPPED);
  assert.deepEqual(config, defaultConfig);
  assert.equal(warnings.length, 1); // no pools yet: the operator must add one
  assert.match(warnings[0]!, /no pools configured/);
});

/** `[section]` headers (also `#[pools.example]`) and `#key = value` lines, in order. */
function documentedKeys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = line.match(/^#?\[([a-z.]+)\]\s*$/);
    if (header) section = header[1]!.startsWith('pools.') ? 'pools.<name>' : header[1]!;
    const assignment = line.match(/^#([a-z][a-z0-9_]*) = (.*)$/);
    if (assignment) out.set(`${section}.${assignment[1]}`, assignment[2]!);
  }
  return out;
}

test('shipped config.toml: documents every schema key, in its section, with its default', () => {
  const text = readFileSync(SHIPPED, 'utf8');
  const documented = documentedKeys(text);
  const expected = new Set<string>();
  for (const [name, spec] of Object.entries(sections)) {
    for (const k of Object.values<{ key: string; default: unknown }>(spec.keys)) {
      const path = `${name}.${k.key}`;
      expected.add(path);
      assert.ok(documented.has(path), `${path} is not documented as #${k.key} = … under [${name}]`);
      const shown: unknown = toml.parse(`v = ${documented.get(path)}`).v;
      assert.deepEqual(shown, k.default, `${path}: the file shows ${documented.get(path)}, the default is ${JSON.stringify(k.default)}`);
    }
  }
  for (const k of Object.values(poolSpec.keys)) {
    const path = `pools.<name>.${k.key}`;
    expected.add(path);
    assert.ok(documented.has(path), `${path} is not documented under the example pool`);
  }
  assert.deepEqual([...documented.keys()].filter((p) => !expected.has(p)), [], 'keys documented that the schema does not know');
  // Each documented key also has a comment of its own above it.
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (/^#[a-z]/.test(line)) assert.match(lines[i - 1] ?? '', /^# \S/, `line ${i + 1} (${line}) has no comment above it`);
  }
});

test('shipped config.toml: the example pool is valid once uncommented', () => {
  const text = readFileSync(SHIPPED, 'utf8').replace(/^#(\[pools\.example\]|[a-z][a-z0-9_]* = )/gm, '$1');
  const { config } = parseConfigWithWarnings(text, 'uncommented.toml');
  assert.deepEqual(
    config.pools.map((p) => [p.name, p.cidrs.map((c) => c.text)]),
    [['example', ['192.0.2.0/24', '2001:db8:1::/64']]],
  );
});

test('schema: every key has a one-line doc and a snake_case name matching its field', () => {
  const all = [...Object.values(sections).map((s) => s.keys), poolSpec.keys];
  for (const keys of all) {
    for (const [field, k] of Object.entries<{ key: string; doc: string }>(keys)) {
      assert.match(k.key, /^[a-z][a-z0-9_]*$/);
      assert.equal(k.key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), field.replace(/Ms$/, ''), `${k.key} ↔ ${field}`);
      assert.ok(k.doc.length > 10 && !k.doc.includes('\n'), `${k.key}: doc`);
    }
  }
});

test('loadConfig: a missing file is CONFIG_READ, naming the path and what to do', () => {
  const dir = tempDir('kla-config-');
  const path = join(dir, 'nope.toml');
  assert.throws(
    () => loadConfig(path),
    (e: unknown) => {
      assert.ok(isAgentError(e, 'CONFIG_READ'));
      assert.equal(e.message, `${path}: cannot read the configuration: no such file — create it (the package installs /etc/kube-lb-agent/config.toml) or pass --config PATH`);
      return true;
    },
  );
  assert.throws(() => loadConfig(dir), /is a directory — pass the path of the file/);
});

test('loadConfig: a bad file names itself in every problem; a BOM is fine', () => {
  const dir = tempDir('kla-config-');
  const path = join(dir, 'config.toml');
  writeFileSync(path, '\uFEFF[routing]\ntable = 254\n');
  assert.throws(
    () => loadConfig(path),
    (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_INVALID' && e.message.startsWith(`${path}:2:9: routing.table:`),
  );
  writeFileSync(path, '\uFEFF[routing]\r\ntable = 200\r\n');
  assert.equal(loadConfig(path).config.routing.table, 200);
});

test('resolveNodeName: node.name wins, else the host name as kubelet lower-cases it', () => {
  assert.equal(resolveNodeName(defaultConfig, ' Worker-7 '), 'worker-7');
  assert.equal(resolveNodeName(parseConfig('[node]\nname = "w1"\n', 'x.toml'), 'Worker-7'), 'w1');
});

test('pools: an aggregation for a family the pool lacks only warns', () => {
  const { warnings } = parseConfigWithWarnings(
    '[routing]\nmethod = "addresses"\n[announce]\nelection = "per-service"\n[pools.a]\ncidrs = ["10.0.0.0/24"]\naggregation_v6 = 64\n',
    'x.toml',
  );
  assert.deepEqual(warnings, ['x.toml:7:1: pools.a.aggregation_v6: /64 has no effect: the pool has no IPv6 CIDRs']);
});

// Table of bad configuration files: each must be refused with the right code
// and a message naming the place (file:line:col where the text has it), the
// key path, what is wrong and what to do.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAgentError } from '../errors.ts';
import { ConfigError, parseConfig } from './index.ts';

interface BadCase {
  readonly name: string;
  readonly toml: string;
  /** Fragments the message must contain, in any order. */
  readonly expect: readonly string[];
  readonly code?: 'CONFIG_SYNTAX' | 'CONFIG_INVALID';
  /** How many problems are reported (default 1). */
  readonly count?: number;
}

const FILE = 'bad.toml';

const cases: readonly BadCase[] = [
  // TOML syntax
  { name: 'syntax: unclosed header', toml: '[routing\ntable = 198\n', code: 'CONFIG_SYNTAX', expect: ['bad.toml:1:9: TOML syntax:', 'fix the TOML at this position'] },
  { name: 'syntax: missing value', toml: '[routing]\ntable =\n', code: 'CONFIG_SYNTAX', expect: ['bad.toml:2:8: TOML syntax:'] },
  { name: 'syntax: key defined twice', toml: '[routing]\ntable = 198\ntable = 199\n', code: 'CONFIG_SYNTAX', expect: ["bad.toml:3:1: TOML syntax: Cannot redefine existing key 'routing.table'"] },
  { name: 'syntax: dotted key (TOML 1.0) gets a hint', toml: 'routing.table = 198\n', code: 'CONFIG_SYNTAX', expect: ['bad.toml:1:8:', 'dotted keys (TOML 1.0) are not supported'] },
  { name: 'syntax: array of mixed types', toml: '[pools.a]\ncidrs = ["10.0.0.0/8", 1]\n', code: 'CONFIG_SYNTAX', expect: ['bad.toml:2:24: TOML syntax: Cannot add value of type Integer to array of type String'] },
  // unknown names
  { name: 'unknown section with hint', toml: '[nodes]\nname = "a"\n', expect: ['bad.toml:1:1: nodes: unknown section [nodes] — did you mean [node]?'] },
  { name: 'unknown section without a near name', toml: '[metrics]\n', expect: ['bad.toml:1:1: metrics: unknown section [metrics] — known sections: node, kubernetes,'] },
  { name: 'unknown key with hint', toml: '[routing]\ntabel = 198\n', expect: ['bad.toml:2:1: routing.tabel: unknown key — did you mean table?'] },
  { name: 'unknown key with dash for underscore', toml: '[kubernetes]\nrequest-timeout = "5s"\n', expect: ['bad.toml:2:1: kubernetes.request-timeout: unknown key — did you mean request_timeout?'] },
  { name: 'key in the wrong section', toml: '[routing]\nlevel = "debug"\n', expect: ['bad.toml:2:1: routing.level: unknown key — level belongs in [log]'] },
  { name: 'key outside any section', toml: 'table = 198\n', expect: ['bad.toml:1:1: table: unknown top-level key — keys belong in a section: write it below [routing]'] },
  { name: 'unknown key in a pool', toml: '[pools.a]\ncidr = ["10.0.0.0/8"]\n', expect: ['bad.toml:2:1: pools.a.cidr: unknown key — did you mean cidrs?', 'bad.toml:1:1: pools.a.cidrs: no CIDRs'], count: 2 },
  { name: 'section written as a value', toml: 'node = "worker-1"\n', expect: ['bad.toml:1:1: node: expected a table, got string "worker-1" — write a [node] header and the keys below it'] },
  // wrong types
  { name: 'string for an integer', toml: '[routing]\ntable = "198"\n', expect: ['bad.toml:2:9: routing.table: expected an integer, got string "198" — write 198 without quotes'] },
  { name: 'float for an integer', toml: '[routing]\nmetric = 1.5\n', expect: ['bad.toml:2:10: routing.metric: expected an integer, got float 1.5'] },
  { name: 'whole float for an integer', toml: '[routing]\nprotocol = 201.0\n', expect: ['bad.toml:2:12: routing.protocol: expected an integer, got float 201.0'] },
  { name: 'integer for a boolean', toml: '[announce]\nexternal_ip = 1\n', expect: ['bad.toml:2:15: announce.external_ip: expected a boolean, got integer 1 — write true or false'] },
  { name: 'quoted boolean', toml: '[announce]\ncluster_ip = "true"\n', expect: ['announce.cluster_ip: expected a boolean, got string "true" — write true without quotes'] },
  { name: 'boolean for a string', toml: '[interface]\nname = true\n', expect: ['bad.toml:2:8: interface.name: expected a string, got boolean true — write it in double quotes'] },
  { name: 'integer for a duration', toml: '[kubernetes]\nrequest_timeout = 10\n', expect: ['bad.toml:2:19: kubernetes.request_timeout: expected a duration string, got integer 10 — write it with a unit, such as "10s"'] },
  { name: 'string for a CIDR list', toml: '[pools.a]\ncidrs = "10.0.0.0/8"\n', expect: ['bad.toml:2:9: pools.a.cidrs: expected an array of CIDR strings, got string "10.0.0.0/8" — write it in brackets: ["10.0.0.0/8"]'] },
  { name: 'date for a duration', toml: '[safety]\nhold = 1979-05-27T07:32:00Z\n', expect: ['safety.hold: expected a duration string, got date-time 1979-05-27T07:32:00.000Z'] },
  // ranges and reserved values
  { name: 'table 0', toml: '[routing]\ntable = 0\n', expect: ['bad.toml:2:9: routing.table: 0 is out of range — use 1..4294967295'] },
  { name: 'table above 2^32-1', toml: '[routing]\ntable = 4294967296\n', expect: ['routing.table: 4294967296 is out of range — use 1..4294967295'] },
  { name: 'reserved table 254 (main)', toml: '[routing]\ntable = 254\n', expect: ["bad.toml:2:9: routing.table: table 254 is the kernel's main table — use a table of the agent's own, such as 198"] },
  { name: 'reserved table 255 (local)', toml: '[routing]\ntable = 255\n', expect: ["table 255 is the kernel's local table"] },
  { name: 'protocol 0', toml: '[routing]\nprotocol = 0\n', expect: ['routing.protocol: 0 is out of range — use 1..255'] },
  { name: 'protocol 256', toml: '[routing]\nprotocol = 256\n', expect: ['routing.protocol: 256 is out of range — use 1..255'] },
  { name: 'protocol 3 (boot) is not ours', toml: '[routing]\nprotocol = 3\n', expect: ['bad.toml:2:12: routing.protocol: protocol 3 belongs to boot', 'use a number of its own, such as 201'] },
  { name: "protocol 12 is BIRD's", toml: '[routing]\nprotocol = 12\n', expect: ['protocol 12 belongs to bird'] },
  { name: "protocol 186 is FRR's bgp", toml: '[routing]\nprotocol = 186\n', expect: ["protocol 186 belongs to bgp (FRR's zebra"] },
  { name: 'negative metric', toml: '[routing]\nmetric = -1\n', expect: ['routing.metric: -1 is out of range — use 0..4294967295'] },
  { name: 'fraction 0', toml: '[safety]\nmax_withdraw_fraction = 0\n', expect: ['bad.toml:2:25: safety.max_withdraw_fraction: 0 is out of range — use a number greater than 0 and at most 1'] },
  { name: 'fraction above 1', toml: '[safety]\nmax_withdraw_fraction = 1.5\n', expect: ['safety.max_withdraw_fraction: 1.5 is out of range'] },
  { name: 'aggregation_v4 33', toml: '[pools.a]\ncidrs = ["10.0.0.0/24"]\naggregation_v4 = 33\n', expect: ['bad.toml:3:18: pools.a.aggregation_v4: 33 is out of range — use 0..32'] },
  { name: 'aggregation_v6 129', toml: '[pools.a]\ncidrs = ["fd00::/64"]\naggregation_v6 = 129\n', expect: ['pools.a.aggregation_v6: 129 is out of range — use 0..128'] },
  // durations
  { name: 'duration without unit', toml: '[kubernetes]\nbackoff_max = "30"\n', expect: ['bad.toml:2:15: kubernetes.backoff_max: "30" has no unit — write a number and a unit (ms, s, m, h)'] },
  { name: 'duration in words', toml: '[reconcile]\nresync_interval = "1 minute"\n', expect: ['reconcile.resync_interval: "1 minute" is not a duration'] },
  { name: 'duration with units out of order', toml: '[reconcile]\nresync_interval = "30s1m"\n', expect: ['"30s1m" repeats a unit or puts a smaller unit first'] },
  { name: 'duration out of range', toml: '[shutdown]\ndrain = "5m"\n', expect: ['shutdown.drain: "5m" is out of range — use 0s..1m'] },
  // CIDRs and pools
  { name: 'not an address', toml: '[pools.a]\ncidrs = ["10.0.0.0/8", "10.0.300.0/24"]\n', expect: ['bad.toml:2:24: pools.a.cidrs: "10.0.300.0" is not an IPv4 or IPv6 address'] },
  { name: 'prefix too long', toml: '[pools.a]\ncidrs = ["10.0.0.0/33"]\n', expect: ['prefix length "33" in "10.0.0.0/33" is not valid for IPv4 — use 0..32'] },
  { name: 'no prefix length', toml: '[pools.a]\ncidrs = ["192.0.2.7"]\n', expect: ['"192.0.2.7" has no prefix length — write 192.0.2.7/32 for this one address'] },
  { name: 'range instead of CIDR', toml: '[pools.a]\ncidrs = ["10.0.0.1-10.0.0.9"]\n', expect: ['is a range — write it as one or more CIDRs'] },
  { name: 'IPv4 host bits set', toml: '[pools.a]\ncidrs = ["10.1.2.3/16"]\n', expect: ['bad.toml:2:10: pools.a.cidrs: "10.1.2.3/16" has host bits set — write the network address 10.1.0.0/16'] },
  { name: 'IPv6 host bits set', toml: '[pools.a]\ncidrs = ["2001:DB8:0:0:1::/64"]\n', expect: ['"2001:DB8:0:0:1::/64" has host bits set — write the network address 2001:db8::/64'] },
  { name: 'empty pool', toml: '[pools.a]\ncidrs = []\n', expect: ['bad.toml:2:9: pools.a.cidrs: no CIDRs — list at least one'] },
  { name: 'pool without cidrs', toml: '[pools.a]\naggregation_v4 = 32\n', expect: ['bad.toml:1:1: pools.a.cidrs: no CIDRs — list at least one'] },
  { name: 'bad pool name', toml: '[pools.Edge_1]\ncidrs = ["10.0.0.0/8"]\n', expect: ['bad.toml:1:1: pools.Edge_1: pool name "Edge_1" is not a DNS label', 'such as "edge-1"'] },
  { name: 'pool key directly under [pools]', toml: '[pools]\ncidrs = ["10.0.0.0/8"]\n', expect: ['bad.toml:2:1: pools.cidrs: cidrs is a key of one pool — write a [pools.<name>] header, such as [pools.default], above it'] },
  { name: 'pools as an array', toml: 'pools = ["10.0.0.0/8"]\n', expect: ['bad.toml:1:1: pools: expected a table, got an array — write a [pools.<name>] header'] },
  { name: 'overlapping pools', toml: '[pools.a]\ncidrs = ["10.0.0.0/16"]\n[pools.b]\ncidrs = ["10.0.128.0/24"]\n', expect: ['bad.toml:4:10: pools.b.cidrs: 10.0.128.0/24 overlaps 10.0.0.0/16 of pool a — an address may belong to one pool only'] },
  {
    name: 'aggregation shorter than the pool',
    toml: '[routing]\nmethod = "addresses"\n[pools.a]\ncidrs = ["10.0.0.0/24"]\naggregation_v4 = 16\n',
    expect: ["bad.toml:5:1: pools.a.aggregation_v4: /16 is shorter than the pool's 10.0.0.0/24", 'use 24..32'],
  },
  {
    name: 'aggregation with per-service election',
    toml: '[routing]\nmethod = "both"\n[announce]\nelection = "per-service"\n[pools.a]\ncidrs = ["fd00::/64"]\naggregation_v6 = 64\n',
    expect: ['bad.toml:7:1: pools.a.aggregation_v6: /64 with announce.election = "per-service"', 'use aggregation 128, or election "all" or "leader"'],
  },
  // enums
  { name: 'bad method', toml: '[routing]\nmethod = "adresses"\n', expect: ['bad.toml:2:10: routing.method: "adresses" is not one of "routes", "addresses", "both" — did you mean "addresses"?'] },
  { name: 'bad election', toml: '[announce]\nelection = "per_service"\n', expect: ['announce.election: "per_service" is not one of "all", "per-service", "leader" — did you mean "per-service"?'] },
  { name: 'bad withdraw', toml: '[shutdown]\nwithdraw = "sometimes"\n', expect: ['shutdown.withdraw: "sometimes" is not one of "auto", "always", "never" — use one of them'] },
  { name: 'bad interface kind', toml: '[interface]\nkind = "veth"\n', expect: ['interface.kind: "veth" is not one of "dummy", "bridge"'] },
  { name: 'bad log level', toml: '[log]\nlevel = "warning"\n', expect: ['log.level: "warning" is not one of "trace", "debug", "info", "warn", "error", "fatal" — did you mean "warn"?'] },
  { name: 'bad log format', toml: '[log]\nformat = "JSON"\n', expect: ['log.format: "JSON" is not one of "auto", "text", "json" — did you mean "json"?'] },
  { name: 'enum as integer', toml: '[log]\nlevel = 3\n', expect: ['log.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", got integer 3 — write one of them in double quotes'] },
  // names, addresses, paths
  { name: 'IPv6 listen without brackets', toml: '[http]\nlisten = "::1:20244"\n', expect: ['bad.toml:2:10: http.listen: "::1:20244" looks like an IPv6 address without brackets — write it as [::1]:20244'] },
  { name: 'listen without port', toml: '[http]\nlisten = "127.0.0.1"\n', expect: ['http.listen: "127.0.0.1" is not host:port'] },
  { name: 'listen port out of range', toml: '[http]\nlisten = "0.0.0.0:70000"\n', expect: ['http.listen: "0.0.0.0:70000" has port 70000 — use a port in 1..65535'] },
  { name: 'listen on a bad IPv4', toml: '[http]\nlisten = "127.0.0.300:80"\n', expect: ['has host "127.0.0.300", which is neither an IPv4 address nor a host name'] },
  { name: 'interface name too long', toml: '[interface]\nname = "kube-lb-announce0"\n', expect: ['bad.toml:2:8: interface.name: "kube-lb-announce0" is 17 bytes long; Linux interface names have at most 15'] },
  { name: 'interface name with a slash', toml: '[interface]\nname = "kube/lb"\n', expect: ['"kube/lb" is not a valid Linux interface name'] },
  { name: 'node name in capitals', toml: '[node]\nname = "Worker-1"\n', expect: ['node.name: "Worker-1" is not a valid Node name'] },
  { name: 'bad selector', toml: '[node]\nselector = "zone in (a,b"\n', expect: ['node.selector: unbalanced parentheses in "zone in (a,b"'] },
  { name: 'selector with a bad key', toml: '[node]\nselector = "-role=edge"\n', expect: ['node.selector: label key "-role" must be at most 63'] },
  { name: 'bad lease namespace', toml: '[kubernetes]\nlease_namespace = "Kube_System"\n', expect: ['kubernetes.lease_namespace: "Kube_System" is not a DNS label', 'such as "kube-system"'] },
  { name: 'relative kubeconfig', toml: '[kubernetes]\nkubeconfig = "kubeconfig"\n', expect: ['kubernetes.kubeconfig: "kubeconfig" is not an absolute path'] },
  { name: 'kube-proxy URL that is not a URL', toml: '[node]\nkube_proxy_healthz = "127.0.0.1:10256"\n', expect: ['node.kube_proxy_healthz: "127.0.0.1:10256" is not an http(s) URL'] },
  { name: 'class with a space', toml: '[announce]\nclass = "kube lb"\n', expect: ['announce.class: label key "kube lb" must be', 'a loadBalancerClass is a label-style name'] },
  // cross-checks
  { name: 'lease_renew equal to lease_duration', toml: '[kubernetes]\nlease_renew = "15s"\n', expect: ['bad.toml:2:1: kubernetes.lease_renew: 15s is not shorter than lease_duration 15s — renew well within the lease, such as every third of it ("5s")'] },
  { name: 'lease_renew above a shortened lease_duration', toml: '[kubernetes]\nlease_duration = "3s"\n', expect: ['bad.toml:2:1: kubernetes.lease_duration: 3s is not longer than lease_renew 5s — make the lease at least three renewals long ("15s")'] },
  // several at once
  {
    name: 'several problems reported together, in file order',
    toml: '[routing]\ntable = 254\nmethod = "route"\n[interfac]\n[log]\nlevel = "loud"\n[pools.a]\ncidrs = ["10.0.0.1/8"]\n',
    count: 5,
    expect: [
      "bad.toml:2:9: routing.table: table 254 is the kernel's main table",
      'bad.toml:3:10: routing.method: "route" is not one of',
      'bad.toml:4:1: interfac: unknown section [interfac] — did you mean [interface]?',
      'bad.toml:6:9: log.level: "loud" is not one of',
      'bad.toml:8:10: pools.a.cidrs: "10.0.0.1/8" has host bits set — write the network address 10.0.0.0/8',
    ],
  },
];

for (const c of cases) {
  test(`bad config: ${c.name}`, () => {
    assert.throws(
      () => parseConfig(c.toml, FILE),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
        assert.ok(isAgentError(e, c.code ?? 'CONFIG_INVALID'), `code ${e.code}, expected ${c.code ?? 'CONFIG_INVALID'}`);
        for (const fragment of c.expect) assert.ok(e.message.includes(fragment), `missing ${JSON.stringify(fragment)} in:\n${e.message}`);
        assert.equal(e.problems.length, c.count ?? 1, e.message);
        assert.equal(e.message.split('\n').length, e.problems.length);
        return true;
      },
    );
  });
}

test('bad config: the cases are distinct and plentiful', () => {
  assert.equal(new Set(cases.map((c) => c.toml)).size, cases.length);
  assert.ok(cases.length >= 20);
});

test('bad config: problems are structured data too', () => {
  try {
    parseConfig('[routing]\ntabel = 198\n[pools.a]\ncidrs = ["10.0.0.0/8"]\naggregation_v4 = "24"\n', FILE);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.file, FILE);
    assert.deepEqual(e.problems, [
      { path: 'routing.tabel', line: 2, column: 1, message: 'unknown key — did you mean table?' },
      { path: 'pools.a.aggregation_v4', line: 5, column: 18, message: 'expected an integer, got string "24" — write 24 without quotes' },
    ]);
    assert.ok(Object.isFrozen(e.problems));
  }
});

// FRR (frr.conf for zebra + bgpd, checked with 8.4): learn the agent's routes
// from its kernel table (`ip import-table`, IPv4 only in 8.4) or its addresses
// (`redistribute connected` matching its interface), keep only prefixes
// inside the pools, and export exactly those over BGP with explicit
// policies in and out (nothing in, the pools out). What FRR cannot tell
// apart is said in the file itself.

import type { Config, IpFamily } from '../config/index.ts';
// From desired.ts itself, not kernel/index.ts: `render` must not load the netlink addon.
import { kernelMetric } from '../kernel/desired.ts';
import { familyName, headerLines, HOST_BITS, poolLines, poolPrefixes, routerIdWarning, type DaemonCommands, type PoolPrefix, type Rendered } from './common.ts';
import type { RenderOptions } from './options.ts';

// bgpd=yes in /etc/frr/daemons: Debian's frr starts only zebra and staticd by default.
const COMMANDS: DaemonCommands = { target: '/etc/frr/frr.conf', check: (f) => `vtysh --dryrun -f ${f}`, reload: 'systemctl reload frr' };

const ipWord = (f: IpFamily) => (f === 4 ? 'ip' : 'ipv6');
const listName = (f: IpFamily) => `KUBE-LB-POOLS-V${f}`;

function prefixList(family: IpFamily, prefixes: readonly PoolPrefix[]): string[] {
  const host = HOST_BITS[family];
  const what = prefixes.some((p) => p.length !== host) ? `/${host} host routes and the pools' aggregated prefixes` : `/${host} host routes`;
  return [
    `! ${familyName(family)}: ${what} inside the pools; nothing shorter, no default route.`,
    ...prefixes.map((p, i) => {
      // FRR refuses "ge" equal to the prefix's own length: an exact match is written without it.
      const range = p.length === p.cidr.prefix ? '' : ` ge ${p.length} le ${p.length}`;
      return `${ipWord(family)} prefix-list ${listName(family)} seq ${(i + 1) * 5} permit ${p.cidr.text}${range}`;
    }),
  ];
}

function importTable(config: Config): string[] {
  const { table, protocol, metric } = config.routing;
  const m = kernelMetric(4, metric);
  // FRR's `match metric` starts at 1 (and 8.4's zebra aborts when it shows a 0), so metric 0 cannot be matched.
  const byMetric = m > 0;
  return [
    `! The agent's IPv4 routes: zebra imports table ${table} into its RIB (as "table" routes, distance 15),`,
    '! and bgpd redistributes them.',
    `! LIMIT: FRR cannot select routes by kernel route protocol: zebra reads every route in table ${table}`,
    `! as a "kernel" route and keeps no protocol number, so the agent's protocol ${protocol} cannot be told`,
    "! apart from another's. What is checked: the prefix (inside a pool, above), zebra's source (kernel:",
    ...(byMetric
      ? [
          `! not an FRR daemon) and the metric (routing.metric ${m}). A route that something else puts into`,
          `! table ${table} with a prefix inside a pool and metric ${m} IS exported: keep table ${table} to the agent.`,
        ]
      : [
          '! not an FRR daemon). A route that something else puts into table ' + table + ' with a prefix inside a',
          `! pool IS exported: keep table ${table} to the agent. routing.metric is 0, which FRR cannot match;`,
          '! give it a value of its own (e.g. 201) and render again to also select by metric.',
        ]),
    "! zebra also installs the imported routes into the kernel's main table (proto zebra, metric 20,",
    `! dev ${config.interface.name}): the node's own traffic to those IPs follows them.`,
    'route-map KUBE-LB-IMPORT-V4 permit 10',
    ` match ip address prefix-list ${listName(4)}`,
    ' match source-protocol kernel',
    'exit',
    '!',
    `ip import-table ${table} route-map KUBE-LB-IMPORT-V4`,
    '!',
    ...(byMetric ? ['! bgpd sees the kernel metric as the MED.'] : []),
    'route-map KUBE-LB-REDISTRIBUTE-V4 permit 10',
    ` match ip address prefix-list ${listName(4)}`,
    ...(byMetric ? [` match metric ${m}`] : []),
    'exit',
  ];
}

function connected(config: Config, families: readonly IpFamily[]): string[] {
  const lines = [
    `! The agent's addresses on ${config.interface.name} (routing.method "${config.routing.method}"), as zebra's connected routes;`,
    '! an address elsewhere, even inside a pool, and the link-local address are not exported.',
    ...(config.routing.prefixRouteInMain
      ? []
      : [
          '! The agent adds its addresses with noprefixroute (routing.prefix_route_in_main = false); FRR 8.4',
          '! makes connected routes of them all the same. Later FRR releases honour noprefixroute (FRR pull',
          '! request 14957) and then see none: check `show ip route connected` after an upgrade of FRR.',
        ]),
  ];
  for (const f of families) {
    lines.push(
      `route-map KUBE-LB-CONNECTED-V${f} permit 10`,
      ` match interface ${config.interface.name}`,
      ` match ${ipWord(f)} address prefix-list ${listName(f)}`,
      'exit',
      '!',
    );
  }
  lines.pop();
  return lines;
}

function exportMaps(families: readonly IpFamily[]): string[] {
  const lines = ['! Only the pools go to the peers; nothing comes in from them.'];
  for (const f of families) {
    lines.push(`route-map KUBE-LB-EXPORT-V${f} permit 10`, ` match ${ipWord(f)} address prefix-list ${listName(f)}`, 'exit', '!');
  }
  lines.push('route-map KUBE-LB-NOTHING deny 10', 'exit');
  return lines;
}

interface Peer {
  readonly address: string;
  readonly family: IpFamily;
}

function routerBgp(opts: RenderOptions, config: Config, peers: readonly Peer[], exported: readonly IpFamily[], localAs: string, peerAs: string): string[] {
  const lines = [`router bgp ${localAs}`];
  if (opts.routerId) lines.push(` bgp router-id ${opts.routerId}`);
  else {
    lines.push(
      ' ! bgp router-id 192.0.2.1',
      ` ! (unset: zebra's router ID, the highest IPv4 address of the node, possibly a Service IP on ${config.interface.name}`,
      ' !  that later goes away, and the sessions restart: set it with --router-id)',
    );
  }
  lines.push(' no bgp default ipv4-unicast');
  for (const p of peers) lines.push(` neighbor ${p.address} remote-as ${peerAs}`);
  for (const f of [4, 6] as const) {
    const mine = peers.filter((p) => p.family === f);
    if (mine.length === 0) continue;
    lines.push(' !', ` address-family ${ipWord(f) === 'ip' ? 'ipv4' : 'ipv6'} unicast`);
    if (exported.includes(f)) {
      lines.push(
        opts.source === 'import-table'
          ? `  redistribute table ${config.routing.table} route-map KUBE-LB-REDISTRIBUTE-V4`
          : `  redistribute connected route-map KUBE-LB-CONNECTED-V${f}`,
      );
    }
    for (const p of mine) {
      lines.push(`  neighbor ${p.address} activate`, `  neighbor ${p.address} route-map KUBE-LB-NOTHING in`);
      lines.push(`  neighbor ${p.address} route-map ${exported.includes(f) ? `KUBE-LB-EXPORT-V${f}` : 'KUBE-LB-NOTHING'} out`);
    }
    lines.push(' exit-address-family');
  }
  lines.push('exit');
  return lines;
}

export function renderFrr(config: Config, opts: RenderOptions): Rendered {
  const warnings: string[] = [];
  const rid = routerIdWarning(config, opts);
  if (rid) warnings.push(rid);
  const prefixes = { 4: poolPrefixes(config, 4), 6: poolPrefixes(config, 6) };
  const families = ([4, 6] as const).filter((f) => prefixes[f].length > 0);
  // The families whose routes this file can learn and export.
  const exported = opts.source === 'import-table' ? families.filter((f) => f === 4) : families;
  const out: string[] = headerLines(config, opts, COMMANDS).map((l) => `! ${l}`);
  out.push('! FRR starts bgpd only with bgpd=yes in /etc/frr/daemons.', '!', 'frr version 8.4', 'frr defaults traditional', 'log syslog informational', 'service integrated-vtysh-config', '!');

  if (families.length === 0) {
    warnings.push(`${opts.configPath} has no pool: the rendered configuration learns and exports nothing`);
    out.push(`! ${opts.configPath} has no [pools.<name>]: nothing is learned, nothing is exported.`, '!');
  }
  for (const f of [4, 6] as const) {
    if (prefixes[f].length === 0 && families.length > 0) out.push(`! No pool has ${familyName(f)} CIDRs: nothing ${familyName(f)} is learned or exported.`, '!');
  }
  if (opts.source === 'import-table' && prefixes[6].length > 0) {
    warnings.push(
      `FRR 8.4 has no \`ipv6 import-table\`: the IPv6 pools are NOT announced with --source import-table — set routing.method = "both" and use --source connected`,
    );
    out.push(
      `! IPv6: FRR 8.4 has no \`ipv6 import-table\`, so the agent's IPv6 routes in table ${config.routing.table} cannot be`,
      '! learned: the IPv6 pools are NOT announced by this file. Set routing.method = "both" in the',
      '! agent\'s configuration and render with --source connected to announce them.',
      '!',
    );
  }
  if (exported.length > 0) out.push(...poolLines(config, opts.configPath).map((l) => `! ${l}`));
  for (const f of exported) out.push(...prefixList(f, prefixes[f]), '!');
  if (exported.length > 0) {
    out.push(...(opts.source === 'import-table' ? importTable(config) : connected(config, exported)), '!');
  }
  out.push(...exportMaps(exported), '!');

  if (opts.bgp) {
    const { localAs, peerAs, neighbors } = opts.bgp;
    out.push('! One session per neighbour, carrying the address family of its address.');
    out.push(...routerBgp(opts, config, neighbors, exported, String(localAs), String(peerAs)), '!');
    for (const f of exported) {
      if (!neighbors.some((n) => n.family === f)) warnings.push(`no ${familyName(f)} --neighbor: the ${familyName(f)} pools are not exported (each session carries its neighbour's address family)`);
    }
    for (const n of neighbors) {
      if (!exported.includes(n.family)) warnings.push(`--neighbor ${n.address}: this file exports no ${familyName(n.family)} route, so this session announces nothing`);
    }
  } else {
    out.push(
      '! BGP: rerun with --local-as, --peer-as and --neighbor (repeatable) to write this part,',
      '! or fill in the placeholders and remove the "! ". One session per neighbour, carrying',
      '! the address family of its address.',
    );
    const peers = (exported.length ? exported : ([4] as const)).map((f) => ({ address: `<ROUTER_IPV${f}>`, family: f }));
    out.push(...routerBgp(opts, config, peers, exported, '<LOCAL_AS>', '<PEER_AS>').map((l) => `! ${l}`), '!');
  }
  out.push('end', '');
  return { text: out.join('\n'), warnings };
}

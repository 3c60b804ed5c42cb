// BIRD 2 (`bird -c FILE`, checked with 2.0.12): learn the agent's routes from
// its kernel table (`protocol kernel`, one per family, filtered on
// krt_source = routing.protocol) or its addresses (`protocol direct` on its
// interface), keep only prefixes inside the pools, and export exactly those
// over BGP. Nothing is imported from the peers and nothing is written into
// the kernel.

import type { Config, IpFamily } from '../config/index.ts';
import { familyName, headerLines, HOST_BITS, poolLines, poolPrefixes, routerIdWarning, type DaemonCommands, type PoolPrefix, type Rendered } from './common.ts';
import type { Neighbor, RenderOptions } from './options.ts';

const COMMANDS: DaemonCommands = { target: '/etc/bird/bird.conf', check: (f) => `bird -p -c ${f}`, reload: 'birdc configure' };

function setName(family: IpFamily): string {
  return `KUBE_LB_POOLS_V${family}`;
}

function pattern(p: PoolPrefix): string {
  return `${p.cidr.text}{${p.length},${p.length}}`;
}

/** The protocol each family's routes come from, as BIRD's `proto` attribute names it. */
function sourceProto(opts: RenderOptions, family: IpFamily): string {
  return opts.source === 'kernel' ? `kube_lb_kernel${family}` : 'kube_lb_direct';
}

function poolSet(family: IpFamily, prefixes: readonly PoolPrefix[]): string[] {
  const host = HOST_BITS[family];
  const what = prefixes.some((p) => p.length !== host) ? `/${host} host routes and the pools' aggregated prefixes` : `/${host} host routes`;
  return [
    `# ${familyName(family)}: ${what} inside the pools; nothing shorter, no default route.`,
    `define ${setName(family)} = [`,
    ...prefixes.map((p, i) => `  ${pattern(p)}${i < prefixes.length - 1 ? ',' : ''}`),
    '];',
  ];
}

function kernelSource(config: Config, family: IpFamily): string[] {
  const { table, protocol } = config.routing;
  const ch = family === 4 ? 'ipv4' : 'ipv6';
  return [
    `filter kube_lb_learn_v${family} {`,
    `  if krt_source = ${protocol} && net ~ ${setName(family)} then accept;`,
    '  reject;',
    '}',
    '',
    `protocol kernel kube_lb_kernel${family} {`,
    `  kernel table ${table};`,
    '  learn;                          # the agent\'s routes are "alien" to BIRD: learn them',
    `  ${ch} {`,
    `    import filter kube_lb_learn_v${family};`,
    `    export none;                  # BIRD never writes into table ${table}`,
    '  };',
    '}',
  ];
}

function directSource(config: Config, families: readonly IpFamily[]): string[] {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`filter kube_lb_learn_v${f} {`, `  if net ~ ${setName(f)} then accept;`, '  reject;', '}', '');
  }
  lines.push('protocol direct kube_lb_direct {', `  interface "${config.interface.name}";`);
  for (const f of families) lines.push(`  ipv${f} { import filter kube_lb_learn_v${f}; };`);
  lines.push('}');
  return lines;
}

function exportFilter(opts: RenderOptions, family: IpFamily): string[] {
  return [
    `filter kube_lb_export_v${family} {`,
    `  if proto = "${sourceProto(opts, family)}" && net ~ ${setName(family)} then accept;`,
    '  reject;',
    '}',
  ];
}

interface Session {
  readonly name: string;
  readonly address: string;
  readonly family: IpFamily;
  readonly localAs: string;
  readonly peerAs: string;
}

function bgpProtocol(s: Session, exported: boolean): string[] {
  return [
    `protocol bgp ${s.name} {`,
    `  description "${s.address}";`,
    `  local as ${s.localAs};`,
    `  neighbor ${s.address} as ${s.peerAs};`,
    `  ipv${s.family} {`,
    '    import none;                  # nothing is learned from the router',
    exported ? `    export filter kube_lb_export_v${s.family};` : `    export none;                  # no ${familyName(s.family)} pool`,
    '    next hop self;',
    '  };',
    '}',
  ];
}

function sessions(neighbors: readonly Neighbor[], localAs: string, peerAs: string): Session[] {
  return neighbors.map((n, i) => ({ name: `kube_lb_bgp${i + 1}`, address: n.address, family: n.family, localAs, peerAs }));
}

export function renderBird(config: Config, opts: RenderOptions): Rendered {
  const warnings: string[] = [];
  const rid = routerIdWarning(config, opts);
  if (rid) warnings.push(rid);
  const prefixes = { 4: poolPrefixes(config, 4), 6: poolPrefixes(config, 6) };
  const families = ([4, 6] as const).filter((f) => prefixes[f].length > 0);
  const out: string[] = headerLines(config, opts, COMMANDS).map((l) => `# ${l}`);
  out.push('');
  if (opts.routerId) out.push(`router id ${opts.routerId};`);
  else {
    out.push(
      `# router id 192.0.2.1;  # unset: BIRD takes one of the node's IPv4 addresses, possibly a Service IP on ${config.interface.name}`,
      '#                        # that later goes away (and the sessions restart): set it with --router-id.',
    );
  }
  out.push('', 'log syslog all;', '', '# Interfaces: BIRD needs them for the routes on ' + config.interface.name + ' and to reach the peers.', 'protocol device {', '}', '');

  if (families.length === 0) {
    warnings.push(`${opts.configPath} has no pool: the rendered configuration learns and exports nothing`);
    out.push(`# ${opts.configPath} has no [pools.<name>]: nothing is learned, nothing is exported.`, '');
  }
  for (const f of [4, 6] as const) {
    if (prefixes[f].length === 0 && families.length > 0) out.push(`# No pool has ${familyName(f)} CIDRs: nothing ${familyName(f)} is learned or exported.`, '');
  }
  out.push(...poolLines(config, opts.configPath).map((l) => `# ${l}`));
  for (const f of families) out.push(...poolSet(f, prefixes[f]), '');

  if (families.length > 0) {
    if (opts.source === 'kernel') {
      out.push(
        `# The agent's routes: table ${config.routing.table}, route protocol ${config.routing.protocol} (krt_source). Routes of any other`,
        `# protocol in that table (\`ip route add … table ${config.routing.table}\`, kube-vip's 248) are not learned.`,
      );
      for (const f of families) out.push(...kernelSource(config, f), '');
    } else {
      out.push(`# The agent's addresses on ${config.interface.name} (routing.method "${config.routing.method}"); its link-local address is outside every pool.`);
      out.push(...directSource(config, families), '');
    }
    out.push('# Only what the agent wrote, and only inside the pools, goes to the peers.');
    for (const f of families) out.push(...exportFilter(opts, f), '');
  }

  if (opts.bgp) {
    const { localAs, peerAs, neighbors } = opts.bgp;
    out.push('# One session per neighbour, carrying the address family of its address.');
    for (const s of sessions(neighbors, String(localAs), String(peerAs))) out.push(...bgpProtocol(s, prefixes[s.family].length > 0), '');
    for (const f of families) {
      if (!neighbors.some((n) => n.family === f)) warnings.push(`no ${familyName(f)} --neighbor: the ${familyName(f)} pools are not exported (each session carries its neighbour's address family)`);
    }
    for (const n of neighbors) {
      if (prefixes[n.family].length === 0) warnings.push(`--neighbor ${n.address}: no pool has ${familyName(n.family)} CIDRs, so this session exports nothing`);
    }
  } else {
    out.push(
      '# BGP: rerun with --local-as, --peer-as and --neighbor (repeatable) to write this part,',
      '# or fill in the placeholders and remove the "#". One session per neighbour, carrying',
      '# the address family of its address.',
    );
    const examples = (families.length ? families : ([4] as const)).map((f, i) => ({
      name: `kube_lb_bgp${i + 1}`,
      address: `<ROUTER_IPV${f}>`,
      family: f,
      localAs: '<LOCAL_AS>',
      peerAs: '<PEER_AS>',
    }));
    for (const s of examples) out.push(...bgpProtocol(s, families.includes(s.family)).map((l) => `#${l ? ` ${l}` : ''}`), '#');
    out.pop();
    out.push('');
  }
  return { text: out.join('\n'), warnings };
}

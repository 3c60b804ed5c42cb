// The options of `render`, checked against each other and against the
// agent's configuration. Anything that would yield a config announcing
// nothing, or something else than the agent writes, is a usage error here
// (AgentError 'USAGE'), never a silently different file.

import { formatIp, parseIp, type Config, type IpFamily } from '../config/index.ts';
import { AgentError } from '../errors.ts';

export type Daemon = 'bird' | 'frr';
export const BIRD_SOURCES = ['kernel', 'direct'] as const;
export const FRR_SOURCES = ['import-table', 'connected'] as const;
export type BirdSource = (typeof BIRD_SOURCES)[number];
export type FrrSource = (typeof FRR_SOURCES)[number];
export type Source = BirdSource | FrrSource;

/** As the command line gives them. */
export interface RawRenderOptions {
  readonly source?: string;
  readonly routerId?: string;
  readonly localAs?: string;
  readonly peerAs?: string;
  readonly neighbor?: readonly string[];
}

export interface Neighbor {
  /** Canonical address. */
  readonly address: string;
  readonly family: IpFamily;
}

export interface BgpOptions {
  readonly localAs: number;
  readonly peerAs: number;
  readonly neighbors: readonly Neighbor[];
}

export interface RenderOptions {
  readonly daemon: Daemon;
  readonly source: Source;
  /** Canonical IPv4 address, or undefined: the daemon picks one. */
  readonly routerId?: string;
  /** undefined: the BGP part is printed as a commented example. */
  readonly bgp?: BgpOptions;
  /** Says where the file came from, in its header. */
  readonly configPath: string;
  /** e.g. "0.1.0". */
  readonly version: string;
}

/** Where the agent's routes are in the kernel: routes in the table, addresses on the interface. */
export function sourceReads(source: Source): 'routes' | 'addresses' {
  return source === 'kernel' || source === 'import-table' ? 'routes' : 'addresses';
}

function defaultSource(daemon: Daemon, config: Config): Source {
  const routes = config.routing.method !== 'addresses';
  if (daemon === 'bird') return routes ? 'kernel' : 'direct';
  return routes ? 'import-table' : 'connected';
}

function usage(message: string): never {
  throw new AgentError('USAGE', message);
}

const AS_MAX = 2 ** 32 - 1;
/** `ip import-table (1-252)` in FRR 8.4. */
const FRR_IMPORT_TABLE_MAX = 252;

function parseAs(flag: string, text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > AS_MAX) {
    usage(`${flag} ${JSON.stringify(text)} is not an AS number — use 1..${AS_MAX} (asplain)`);
  }
  return Number(text);
}

function parseNeighbor(text: string): Neighbor {
  if (text.includes('%')) {
    usage(`--neighbor ${JSON.stringify(text)}: link-local neighbours with a zone are not supported — use the peer's global address`);
  }
  const ip = parseIp(text);
  if (!ip) usage(`--neighbor ${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
  if (ip.family === 6 && ip.value >> 118n === 0x3fan) {
    usage(`--neighbor ${JSON.stringify(text)} is link-local — use the peer's global address`);
  }
  // Canonical text: the daemons print it this way, and duplicates compare equal.
  return { address: formatIp(ip), family: ip.family };
}

/** Checks the raw options; throws AgentError('USAGE') with a message naming the option. */
export function resolveRenderOptions(
  daemon: Daemon,
  raw: RawRenderOptions,
  ctx: { readonly config: Config; readonly configPath: string; readonly version: string },
): RenderOptions {
  const { config } = ctx;
  const allowed: readonly string[] = daemon === 'bird' ? BIRD_SOURCES : FRR_SOURCES;
  if (raw.source !== undefined && !allowed.includes(raw.source)) {
    usage(`--source ${raw.source} is not a ${daemon === 'bird' ? 'BIRD' : 'FRR'} source — use ${allowed.join(' or ')}`);
  }
  const source = (raw.source ?? defaultSource(daemon, config)) as Source;
  const method = config.routing.method;
  if (sourceReads(source) === 'routes' && method === 'addresses') {
    usage(
      `--source ${source} reads routes in table ${config.routing.table}, but routing.method = "addresses" in ${ctx.configPath} puts the agent's IPs on ${config.interface.name} as addresses, not as routes — use --source ${daemon === 'bird' ? 'direct' : 'connected'}, or set routing.method = "routes" or "both"`,
    );
  }
  if (sourceReads(source) === 'addresses' && method === 'routes') {
    usage(
      `--source ${source} reads the addresses on ${config.interface.name}, but routing.method = "routes" in ${ctx.configPath} writes routes into table ${config.routing.table} and no addresses — use --source ${daemon === 'bird' ? 'kernel' : 'import-table'}, or set routing.method = "addresses" or "both"`,
    );
  }

  if (source === 'import-table' && config.routing.table > FRR_IMPORT_TABLE_MAX) {
    usage(
      `--source import-table: FRR's \`ip import-table\` takes tables 1..${FRR_IMPORT_TABLE_MAX}, and routing.table = ${config.routing.table} in ${ctx.configPath} — use a table of at most ${FRR_IMPORT_TABLE_MAX} (198 is the default), or routing.method "both" with --source connected`,
    );
  }

  let routerId: string | undefined;
  if (raw.routerId !== undefined) {
    const ip = parseIp(raw.routerId);
    if (!ip || ip.family !== 4) usage(`--router-id ${JSON.stringify(raw.routerId)} is not an IPv4 address (a BGP router ID is written as one, even on IPv6-only nodes)`);
    if (ip.value === 0n) usage('--router-id 0.0.0.0 is not a valid BGP router ID — use one of the node\'s own IPv4 addresses');
    routerId = formatIp(ip);
  }

  const neighbors = (raw.neighbor ?? []).map(parseNeighbor);
  const seen = new Set<string>();
  for (const n of neighbors) {
    if (seen.has(n.address)) usage(`--neighbor ${n.address} is given twice`);
    seen.add(n.address);
  }
  const given = [raw.localAs !== undefined, raw.peerAs !== undefined, neighbors.length > 0];
  let bgp: BgpOptions | undefined;
  if (given.some(Boolean)) {
    if (!given.every(Boolean)) {
      const missing = [
        raw.localAs === undefined && '--local-as',
        raw.peerAs === undefined && '--peer-as',
        neighbors.length === 0 && '--neighbor',
      ].filter(Boolean);
      usage(`BGP needs --local-as, --peer-as and at least one --neighbor together (missing: ${missing.join(', ')}); give none of them for a commented example`);
    }
    bgp = { localAs: parseAs('--local-as', raw.localAs!), peerAs: parseAs('--peer-as', raw.peerAs!), neighbors };
  }
  return {
    daemon,
    source,
    ...(routerId !== undefined ? { routerId } : {}),
    ...(bgp ? { bgp } : {}),
    configPath: ctx.configPath,
    version: ctx.version,
  };
}

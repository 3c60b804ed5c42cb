// The one table of every configuration key: its TOML name, default (as it is
// written in the file), type and meaning. Validation, the defaults and the
// docs test all read this table; nothing else lists the keys.

import { absolutePathProblem, dnsLabelProblem, httpUrlProblem, ifnameProblem, lbClassProblem, nodeNameProblem } from './names.ts';
import { boolean, cidrList, duration, fraction, integer, listen, oneOf, selector, string, type ValueType } from './values.ts';
import type * as T from './types.ts';

/** A default as written in TOML. */
export type TomlDefault = string | number | boolean | readonly string[];

export interface KeySpec<V> {
  /** The TOML key. */
  readonly key: string;
  readonly default: TomlDefault;
  readonly type: ValueType<V>;
  /** One line: what the key means. */
  readonly doc: string;
}

/** A section's keys, indexed by the typed field they fill; the compiler checks every field has one. */
export type KeySpecs<S> = { readonly [F in keyof S]: KeySpec<S[F]> };

export interface SectionSpec<S> {
  readonly doc: string;
  readonly keys: KeySpecs<S>;
}

type Sections = Omit<T.Config, 'pools'>;
type RawState = { readonly directory: string; readonly addonDirectory: string };

const SECOND = 1000;
const HOUR = 3_600_000;

// Table numbers the kernel itself uses (include/uapi/linux/rtnetlink.h).
const KERNEL_TABLES: Readonly<Record<number, string>> = { 253: 'default', 254: 'main', 255: 'local' };

// Protocol numbers whose routes someone else writes, and usually deletes when
// it finds them without having written them: owning one of these, the agent's
// cleanup would delete their routes and they would delete ours.
const TAKEN_PROTOCOLS: Readonly<Record<number, string>> = {
  1: 'redirect (routes the kernel learns from ICMP redirects)',
  2: 'kernel (routes the kernel adds for addresses)',
  3: 'boot (routes added by `ip route add` without a protocol)',
  4: 'static (administrators\' and network managers\' static routes)',
  9: 'ra (routes the kernel learns from IPv6 router advertisements)',
  11: 'zebra (FRR)',
  12: 'bird (BIRD deletes routes of this protocol that it did not write)',
  16: 'dhcp (DHCP clients, systemd-networkd)',
  18: 'keepalived',
  42: 'babel',
  ...Object.fromEntries(
    ['bgp', 'isis', 'ospf', 'rip', 'ripng', 'nhrp', 'eigrp', 'ldp', 'sharp', 'pbr', 'static', 'openfabric', 'srte'].map((name, i) => [
      186 + i,
      `${name} (FRR's zebra removes routes of this protocol at start)`,
    ]),
  ),
};

function section<S>(doc: string, keys: KeySpecs<S>): SectionSpec<S> {
  return { doc, keys };
}

export const sections: {
  readonly [K in keyof Sections]: SectionSpec<K extends 'state' ? RawState : Sections[K]>;
} = {
  node: section<T.NodeConfig>('This node.', {
    name: {
      key: 'name',
      default: '',
      type: string({ allowed: 'a Kubernetes Node name, or ""', check: nodeNameProblem }),
      doc: 'The name of this node\'s Kubernetes Node object; "" = the host name, lower-cased, as kubelet uses it.',
    },
    selector: {
      key: 'selector',
      default: '',
      type: selector(),
      doc: 'Label selector the Node must match for this agent to announce anything; "" = any node.',
    },
    kubeProxyHealthz: {
      key: 'kube_proxy_healthz',
      default: '',
      type: string({ allowed: 'an http(s) URL, or ""', check: httpUrlProblem }),
      doc: 'Announce only while this local kube-proxy health URL answers healthy (e.g. "http://127.0.0.1:10256/healthz"); "" = don\'t check.',
    },
  }),
  kubernetes: section<T.KubernetesConfig>('How the agent reaches the Kubernetes API.', {
    kubeconfig: {
      key: 'kubeconfig',
      default: '/etc/kube-lb-agent/kubeconfig',
      type: string({ allowed: 'an absolute path', check: (s) => absolutePathProblem(s, false) }),
      doc: 'Kubeconfig file with the agent\'s credentials (see packaging/rbac.yaml for the rights it needs).',
    },
    requestTimeoutMs: {
      key: 'request_timeout',
      default: '10s',
      type: duration({ min: 100, max: 10 * 60 * SECOND }),
      doc: 'Time limit for one API request (watches excepted).',
    },
    backoffMaxMs: {
      key: 'backoff_max',
      default: '30s',
      type: duration({ min: SECOND, max: HOUR }),
      doc: 'Longest wait between attempts to reach the API (backoff is exponential, with jitter).',
    },
    leaseNamespace: {
      key: 'lease_namespace',
      default: 'kube-system',
      type: string({ allowed: 'a namespace name', check: dnsLabelProblem }),
      doc: 'Namespace of the agents\' Leases (kube-lb-agent-<node>), which tell peers that an agent is alive.',
    },
    leaseDurationMs: {
      key: 'lease_duration',
      default: '15s',
      type: duration({ min: SECOND, max: HOUR }),
      doc: 'How long a Lease counts as alive after its last renewal: a crashed agent\'s peers take over after this.',
    },
    leaseRenewMs: {
      key: 'lease_renew',
      default: '5s',
      type: duration({ min: 100, max: HOUR }),
      doc: 'How often the agent renews its own Lease; must be shorter than lease_duration.',
    },
    events: {
      key: 'events',
      default: false,
      type: boolean(),
      doc: 'Post Kubernetes Events (core/v1, reasons AnnouncementStarted and AnnouncementStopped) on a Service when this node starts or stops announcing it; rate-limited per Service and in all, repeats counted on one Event. Needs the events rule of rbac.yaml.',
    },
  }),
  interface: section<T.InterfaceConfig>('The interface the agent owns.', {
    name: {
      key: 'name',
      default: 'kube-lb0',
      type: string({ allowed: 'a Linux interface name, at most 15 bytes', check: ifnameProblem }),
      doc: 'Interface the routes point at (and addresses go on); the agent owns it exclusively.',
    },
    kind: {
      key: 'kind',
      default: 'dummy',
      type: oneOf(['dummy', 'bridge']),
      doc: 'Link kind created when the interface is missing; "bridge" for kernels without the dummy driver.',
    },
  }),
  routing: section<T.RoutingConfig>('How announcements are written into the kernel.', {
    table: {
      key: 'table',
      default: 198,
      type: integer({
        min: 1,
        max: 2 ** 32 - 1,
        allowed: 'an integer, 1..4294967295, except 253, 254, 255',
        refuse: (n) =>
          KERNEL_TABLES[n] && `table ${n} is the kernel's ${KERNEL_TABLES[n]} table — use a table of the agent's own, such as 198`,
      }),
      doc: 'Kernel routing table the agent writes its routes into, and which BIRD or FRR imports.',
    },
    protocol: {
      key: 'protocol',
      default: 201,
      type: integer({
        min: 1,
        max: 255,
        allowed: 'an integer, 1..255, except numbers other programs own (1-4, 9, 11, 12, 16, 18, 42, 186-198)',
        refuse: (n) =>
          TAKEN_PROTOCOLS[n] &&
          `protocol ${n} belongs to ${TAKEN_PROTOCOLS[n]}, and the agent deletes every route of its protocol it did not decide on — use a number of its own, such as 201`,
      }),
      doc: 'Route protocol that marks the agent\'s routes: it touches only routes with this number (248 adopts kube-vip\'s).',
    },
    metric: {
      key: 'metric',
      default: 0,
      type: integer({ min: 0, max: 2 ** 32 - 1 }),
      doc: 'Metric (priority) of the agent\'s routes.',
    },
    method: {
      key: 'method',
      default: 'routes',
      type: oneOf(['routes', 'addresses', 'both']),
      doc: 'Routes in the table (BIRD `protocol kernel`, FRR `ip import-table`), addresses on the interface (BIRD `protocol direct`), or both.',
    },
    prefixRouteInMain: {
      key: 'prefix_route_in_main',
      default: false,
      type: boolean(),
      doc: 'Let the kernel add an address\'s prefix route to the main table, as it does by default; false = the prefix goes into the agent\'s table only.',
    },
  }),
  announce: section<T.AnnounceConfig>('Which Service IPs are announced.', {
    loadbalancerIp: {
      key: 'loadbalancer_ip',
      default: true,
      type: boolean(),
      doc: 'Announce status.loadBalancer.ingress IPs of type: LoadBalancer Services.',
    },
    externalIp: { key: 'external_ip', default: false, type: boolean(), doc: 'Announce spec.externalIPs.' },
    clusterIp: { key: 'cluster_ip', default: false, type: boolean(), doc: 'Announce spec.clusterIPs.' },
    allowOptIn: {
      key: 'allow_opt_in',
      default: false,
      type: boolean(),
      doc: 'Let a Service\'s annotations turn on what is off here (opting out is always allowed).',
    },
    class: {
      key: 'class',
      default: 'kube-lb-agent',
      type: string({ allowed: 'a label-style name', check: lbClassProblem }),
      doc: 'spec.loadBalancerClass of the Services this agent handles.',
    },
    defaultClass: {
      key: 'default_class',
      default: true,
      type: boolean(),
      doc: 'Also handle Services that have no loadBalancerClass.',
    },
    election: {
      key: 'election',
      default: 'all',
      type: oneOf(['all', 'per-service', 'leader']),
      doc: 'Which eligible nodes announce an IP: all (ECMP), one per IP (per-service), or one for all (leader).',
    },
    requireEndpoints: {
      key: 'require_endpoints',
      default: true,
      type: boolean(),
      doc: 'With externalTrafficPolicy: Cluster, announce only while some endpoint anywhere can serve.',
    },
    requireNodeReady: {
      key: 'require_node_ready',
      default: true,
      type: boolean(),
      doc: 'Announce only while this Node\'s Ready condition is True.',
    },
    honorExcludeLabel: {
      key: 'honor_exclude_label',
      default: true,
      type: boolean(),
      doc: 'Announce nothing from a Node labelled node.kubernetes.io/exclude-from-external-load-balancers.',
    },
  }),
  http: section<T.HttpConfig>('The HTTP endpoint: /healthz, /readyz, /metrics, /status.', {
    listen: {
      key: 'listen',
      default: '127.0.0.1:20244',
      type: listen(),
      doc: 'Address and port to listen on; "" disables HTTP.',
    },
  }),
  log: section<T.LogConfig>('Logging.', {
    level: {
      key: 'level',
      default: 'info',
      type: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
      doc: 'Least severe level logged.',
    },
    format: {
      key: 'format',
      default: 'auto',
      type: oneOf(['auto', 'text', 'json']),
      doc: 'auto = journald lines with priorities under systemd, readable text on a terminal; or force text or json.',
    },
  }),
  shutdown: section<T.ShutdownConfig>('What happens to the announcements when the agent stops.', {
    withdraw: {
      key: 'withdraw',
      default: 'auto',
      type: oneOf(['auto', 'always', 'never']),
      doc: 'auto = keep routes on a restart job, withdraw on a stop job (asks systemd); always; never.',
    },
    drainMs: {
      key: 'drain',
      default: '2s',
      type: duration({ min: 0, max: 60 * SECOND }),
      doc: 'After withdrawing at stop, wait this long so BIRD or FRR send the withdrawals before exit.',
    },
  }),
  safety: section<T.SafetyConfig>('The guard against withdrawing everything by mistake.', {
    maxWithdrawFraction: {
      key: 'max_withdraw_fraction',
      default: 0.5,
      type: fraction({ minExclusive: 0, max: 1 }),
      doc: 'A change withdrawing more than this share of the announcements at once is held (1 = never hold).',
    },
    holdMs: {
      key: 'hold',
      default: '60s',
      type: duration({ min: 0, max: HOUR }),
      doc: 'A held mass withdrawal is applied once it has persisted this long.',
    },
  }),
  reconcile: section<T.ReconcileConfig>('The control loop.', {
    resyncIntervalMs: {
      key: 'resync_interval',
      default: '60s',
      type: duration({ min: SECOND, max: 24 * HOUR }),
      doc: 'Full re-plan and kernel comparison at least this often, as a safety net for missed events.',
    },
  }),
  state: section<RawState>('Files the agent keeps.', {
    directory: {
      key: 'directory',
      default: '/var/lib/kube-lb-agent',
      type: string({ allowed: 'an absolute path', check: (s) => absolutePathProblem(s, false) }),
      doc: 'State directory (the boot_id record); systemd\'s StateDirectory= creates it.',
    },
    addonDirectory: {
      key: 'addon_directory',
      default: '',
      type: string({ allowed: 'an absolute path, or ""', check: (s) => absolutePathProblem(s, true) }),
      doc: 'Where the executable extracts its native addon; must allow exec; "" = <directory>/addons.',
    },
  }),
};

/** `[pools.<name>]`: the keys of one pool. */
export const poolSpec: SectionSpec<Omit<T.Pool, 'name'>> = section<Omit<T.Pool, 'name'>>(
  'Address pools: only IPs inside a pool are ever announced. One [pools.<name>] table per pool; the name is a DNS label.',
  {
    cidrs: {
      key: 'cidrs',
      default: [],
      type: cidrList({ nonEmpty: true }),
      doc: 'The pool\'s IPv4 and IPv6 prefixes (required, at least one; network addresses).',
    },
    aggregationV4: {
      key: 'aggregation_v4',
      default: 32,
      type: integer({ min: 0, max: 32 }),
      doc: 'Prefix length of IPv4 addresses put on the interface (method addresses/both); at least the pool\'s longest IPv4 prefix.',
    },
    aggregationV6: {
      key: 'aggregation_v6',
      default: 128,
      type: integer({ min: 0, max: 128 }),
      doc: 'Prefix length of IPv6 addresses put on the interface (method addresses/both); at least the pool\'s longest IPv6 prefix.',
    },
  },
);

export const POOLS_SECTION = 'pools';

/** Every section name, pools included, in the order of the docs. */
export const sectionNames: readonly string[] = [...Object.keys(sections), POOLS_SECTION];

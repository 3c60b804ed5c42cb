// Every reason a decision can carry, each with its one-line meaning, in the
// order a Service IP meets the rules. This table is the only place a reason
// is defined: the `Reason` type is its keys, and the README, `explain` and
// `/status` print it from here.

export const REASONS = {
  announced: 'this node announces the IP for this Service',
  'waiting-for-sync': 'the cluster view has not listed everything yet: nothing new is announced and what the kernel holds is kept',
  'class-mismatch': 'spec.loadBalancerClass names another implementation (or is unset while announce.default_class is off)',
  'advertise-disabled': 'an annotation (kube-lb-agent.io/advertise-*, kube-router.io/service.advertise.*) opts this kind of IP out',
  'opt-in-not-allowed': 'an annotation opts in to a kind of IP the config turns off, and announce.allow_opt_in is off',
  'proxy-ip-mode': 'the ingress has ipMode: Proxy: the load balancer delivers to the nodes itself, so the IP is not routed here',
  'invalid-ip': 'not an IPv4 or IPv6 address; only this Service is affected',
  'ip-not-in-pool': 'outside every configured pool: never announced',
  'node-unknown': "this node's Node object is not in the cluster view (check node.name)",
  'node-excluded': 'this Node is labelled node.kubernetes.io/exclude-from-external-load-balancers (announce.honor_exclude_label)',
  'node-selector-mismatch': "this Node's labels do not match node.selector",
  'node-network-unavailable': "this Node's NetworkUnavailable condition is True",
  'node-not-ready': "this Node's Ready condition is not True (announce.require_node_ready)",
  'kube-proxy-unhealthy': 'the local kube-proxy does not answer healthy at node.kube_proxy_healthz, so this node cannot serve (decided by the agent after the plan)',
  'no-serving-endpoint': "no endpoint of the IP's family can serve anywhere (Local, or Cluster with announce.require_endpoints)",
  'no-local-endpoint': "traffic policy Local and no endpoint of the IP's family on this node can serve",
  'shared-ip-conflict': 'another Service sharing this IP can serve, but not from this node, so the IP is not announced here',
  'not-elected': 'another node announces this IP (announce.election = per-service or leader)',
} as const satisfies Record<string, string>;

export type Reason = keyof typeof REASONS;

/** The reasons in table order, for printing: `[reason, meaning]`. */
export const reasonTable: readonly (readonly [Reason, string])[] = Object.entries(REASONS) as [Reason, string][];

/** Reasons the agent gives after the plan (the planner never does): the kube-proxy gate. */
export const AGENT_REASONS: readonly Reason[] = ['kube-proxy-unhealthy'];

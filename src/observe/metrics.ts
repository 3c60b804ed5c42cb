// The agent's Prometheus metrics, in a registry of their own (never the global
// one, so tests and a second agent in one process do not share counters).
//
// Two ways in, each where it is cheapest to be right:
// - pulled at scrape time: the state gauges (announced IPs, API, synced,
//   phase, held withdrawals, decisions by reason) read the same AgentStatus
//   /status serves, and watch restarts read the informers' own counts — so a
//   scrape can never disagree with /status, and the agent has nothing to call;
// - pushed by the agent at the moment something happens: reconcile duration
//   and errors, kernel operations, a withdrawal being held, event-to-kernel
//   latency — events a snapshot cannot see once they are over.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentPhase, AgentStatus } from '../agent/status.ts';
import { buildInfo, type BuildInfo } from '../build-info.ts';
import type { ApiState, InformerStatus } from '../cluster/index.ts';
import { REASONS, type Reason } from '../plan/reasons.ts';

export const METRIC_PREFIX = 'kube_lb_agent_';
/** How often the event-loop lag histogram samples (prom-client's default is 10 ms). */
export const EVENT_LOOP_SAMPLE_MS = 1000;

/** 100 µs … 10 s: a single-Service change takes well under a millisecond, a first convergence of 20,000 routes seconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const KERNEL_OPS = ['route_add', 'route_replace', 'route_del', 'addr_add', 'addr_replace', 'addr_del', 'link_create', 'link_up'] as const;
export type KernelOpKind = (typeof KERNEL_OPS)[number];

/** The counts of one reconciler pass (structurally the kernel layer's `PassCounts`). */
export interface KernelPassCounts {
  readonly routesAdded: number;
  readonly routesReplaced: number;
  readonly routesDeleted: number;
  readonly addressesAdded: number;
  readonly addressesReplaced: number;
  readonly addressesDeleted: number;
}

const API_STATES: readonly ApiState[] = ['connecting', 'up', 'down'];
const PHASES: readonly AgentPhase[] = ['booting', 'syncing', 'converged', 'holding', 'stopping'];
const FAMILIES = { 4: 'ipv4', 6: 'ipv6' } as const;

/** The informers' resource names (`endpointSlices`, `agentLeases`) as the Kubernetes resources they watch. */
const RESOURCE_LABEL: Readonly<Record<string, string>> = {
  services: 'services',
  endpointSlices: 'endpointslices',
  nodes: 'nodes',
  agentLeases: 'leases',
};

export interface MetricsOptions {
  /** Defaults to this build's. */
  readonly build?: BuildInfo;
  /** The current AgentStatus, read at every scrape; null or absent before the agent has one. */
  readonly status?: () => AgentStatus | null;
  /** The informers' statuses (`ClusterView.status().informers`), read at every scrape for watch restarts. */
  readonly informers?: () => readonly InformerStatus[];
}

export interface AgentMetrics {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  /** One reconcile finished (or failed) after `seconds`. */
  observeReconcile(seconds: number, outcome: 'ok' | 'error'): void;
  /** What one reconciler pass changed in the kernel. */
  kernelPass(counts: KernelPassCounts): void;
  /** Kernel operations outside a pass (the interface created, set up). */
  kernelOp(op: KernelOpKind, n?: number): void;
  /** The mass-withdrawal guard started holding a withdrawal. */
  withdrawalHeld(): void;
  /** An informer or monitor event reached the kernel change it caused after `seconds`. */
  observeEventToKernel(seconds: number): void;
  /** What became of one Kubernetes Event the agent recorded (kubernetes.events). */
  kubernetesEvent(outcome: EventOutcome): void;
}

/** Structurally cluster/events.ts's outcomes (kept here so metrics load nothing of the cluster client). */
export type EventOutcome = 'posted' | 'aggregated' | 'rate_limited' | 'queue_full' | 'api_error' | 'shutdown';
const EVENT_OUTCOMES: readonly EventOutcome[] = ['posted', 'aggregated', 'rate_limited', 'queue_full', 'api_error', 'shutdown'];

export function createMetrics(opts: MetricsOptions = {}): AgentMetrics {
  const registry = new Registry();
  const registers = [registry];
  const name = (n: string) => METRIC_PREFIX + n;
  const status = opts.status ?? (() => null);

  // process_* and nodejs_* under our prefix: a node exporter's textfile
  // collector or a federating Prometheus may carry several Node processes.
  // The event-loop lag histogram samples once a second, not every 10 ms (the
  // library's default): at 10 ms its timer woke the idle agent ~200 times a
  // second, most of the agent's idle CPU (strace: 3,927 epoll_pwait in 20 s).
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

  const build = opts.build ?? buildInfo;
  new Gauge({
    name: name('build_info'),
    help: 'Always 1; the labels say which build of kube-lb-agent runs',
    labelNames: ['version', 'commit', 'node_version'],
    registers,
  }).set({ version: build.version, commit: build.commit, node_version: process.version }, 1);

  new Gauge({
    name: name('announced_ips'),
    help: 'Service IPs this node announces (routes or addresses in its table), by address family',
    labelNames: ['family'],
    registers,
    collect() {
      const s = status();
      const n = { 4: 0, 6: 0 };
      for (const a of s?.announcements ?? []) n[a.family]++;
      for (const f of [4, 6] as const) this.set({ family: FAMILIES[f] }, n[f]);
    },
  });

  new Gauge({
    name: name('service_ips'),
    help: 'Service IPs considered in the last plan, by the reason they are or are not announced here',
    labelNames: ['reason'],
    registers,
    collect() {
      const counts = new Map<Reason, number>();
      for (const d of status()?.decisions ?? []) counts.set(d.reason, (counts.get(d.reason) ?? 0) + 1);
      for (const reason of Object.keys(REASONS) as Reason[]) this.set({ reason }, counts.get(reason) ?? 0);
    },
  });

  new Gauge({
    name: name('api_up'),
    help: 'Whether the last call to the Kubernetes API got an answer (1) or not (0)',
    registers,
    collect() {
      this.set(status()?.api.state === 'up' ? 1 : 0);
    },
  });

  new Gauge({
    name: name('api_state'),
    help: 'The Kubernetes API connection state: 1 for the current state, 0 for the others',
    labelNames: ['state'],
    registers,
    collect() {
      const now = status()?.api.state;
      for (const state of API_STATES) this.set({ state }, state === now ? 1 : 0);
    },
  });

  new Gauge({
    name: name('synced'),
    help: 'Whether every informer has listed (1): withdrawals are computed only then',
    registers,
    collect() {
      this.set(status()?.synced ? 1 : 0);
    },
  });

  new Gauge({
    name: name('phase'),
    help: "The agent's phase: 1 for the current phase, 0 for the others",
    labelNames: ['phase'],
    registers,
    collect() {
      const now = status()?.phase;
      for (const phase of PHASES) this.set({ phase }, phase === now ? 1 : 0);
    },
  });

  new Gauge({
    name: name('withdrawals_held'),
    help: 'Announcements a held mass withdrawal would remove (0 when the guard holds nothing)',
    registers,
    collect() {
      const g = status()?.guard;
      this.set(g?.holding ? g.wouldWithdraw : 0);
    },
  });

  new Gauge({
    name: name('last_reconcile_timestamp_seconds'),
    help: 'Unix time of the last completed reconcile (0 before the first)',
    registers,
    collect() {
      const ms = status()?.kernel.lastReconcileMs;
      this.set(ms ? ms / 1000 : 0);
    },
  });

  const heldTotal = new Counter({
    name: name('withdrawals_held_total'),
    help: 'Times the mass-withdrawal guard started holding a withdrawal',
    registers,
  });

  const reconcileDuration = new Histogram({
    name: name('reconcile_duration_seconds'),
    help: 'Time one reconcile took, from plan to kernel, failed ones included',
    buckets: [...LATENCY_BUCKETS],
    registers,
  });

  const reconcileErrors = new Counter({
    name: name('reconcile_errors_total'),
    help: 'Reconciles that failed',
    registers,
  });

  const kernelOps = new Counter({
    name: name('kernel_operations_total'),
    help: 'Changes the agent made in the kernel, by kind',
    labelNames: ['op'],
    registers,
  });
  for (const op of KERNEL_OPS) kernelOps.inc({ op }, 0);

  const lastRestarts = new Map<string, number>();
  new Counter({
    name: name('watch_restarts_total'),
    help: 'Watches of the Kubernetes API that ended and were started again, by resource',
    labelNames: ['resource'],
    registers,
    collect() {
      for (const resource of Object.values(RESOURCE_LABEL)) this.inc({ resource }, 0);
      for (const inf of opts.informers?.() ?? []) {
        const resource = RESOURCE_LABEL[inf.resource] ?? inf.resource.toLowerCase();
        const seen = lastRestarts.get(resource) ?? 0;
        // A new informer counts from 0 again: its whole count is new.
        const delta = inf.watchRestarts >= seen ? inf.watchRestarts - seen : inf.watchRestarts;
        lastRestarts.set(resource, inf.watchRestarts);
        if (delta > 0) this.inc({ resource }, delta);
      }
    },
  });

  const eventToKernel = new Histogram({
    name: name('event_to_kernel_seconds'),
    help: 'Time from an informer or kernel-monitor event to the kernel change it caused',
    buckets: [...LATENCY_BUCKETS],
    registers,
  });

  const kubernetesEvents = new Counter({
    name: name('kubernetes_events_total'),
    help: 'Kubernetes Events recorded on Services (kubernetes.events), by outcome: posted, aggregated into a queued one, or dropped (rate_limited, queue_full, api_error, shutdown)',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of EVENT_OUTCOMES) kubernetesEvents.inc({ outcome }, 0);

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeReconcile(seconds, outcome) {
      reconcileDuration.observe(seconds);
      if (outcome === 'error') reconcileErrors.inc();
    },
    kernelPass(c) {
      const add = (op: KernelOpKind, n: number) => n > 0 && kernelOps.inc({ op }, n);
      add('route_add', c.routesAdded);
      add('route_replace', c.routesReplaced);
      add('route_del', c.routesDeleted);
      add('addr_add', c.addressesAdded);
      add('addr_replace', c.addressesReplaced);
      add('addr_del', c.addressesDeleted);
    },
    kernelOp(op, n = 1) {
      if (n > 0) kernelOps.inc({ op }, n);
    },
    withdrawalHeld() {
      heldTotal.inc();
    },
    observeEventToKernel(seconds) {
      eventToKernel.observe(seconds);
    },
    kubernetesEvent(outcome) {
      kubernetesEvents.inc({ outcome });
    },
  };
}

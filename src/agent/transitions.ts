// What changed for each Service between two announced sets: this node
// started announcing some of its IPs, or stopped, and why. Pure: the agent
// turns the result into Kubernetes Events (cluster/events.ts), tests read it
// directly.
//
// An announcement adopted from the kernel after a restart carries no
// Services (the kernel does not know them). The first trusted plan then
// names them; that is not a start — the route never left — so an adopted IP
// yields no "started" for the Services it turns out to carry, and no
// "stopped" for Services it never named.

import type { ServiceKey } from '../cluster/snapshot.ts';
import type { Announcement, Decision, Plan } from '../plan/index.ts';
import type { Reason } from '../plan/reasons.ts';

/**
 * Why this node stopped announcing an IP for a Service: the plan's reason
 * for that Service and IP, or what the plan cannot say itself.
 */
export type StopReason =
  | Exclude<Reason, 'announced' | 'waiting-for-sync'>
  /** The plan holds no decision for the Service: deleted, or it has no IP this agent considers any more. */
  | 'service-gone'
  /** The Service is there but this IP is no longer one of its IPs (status or spec changed). */
  | 'ip-removed'
  /** The plan would announce it, but this node cannot serve (the local kube-proxy is unhealthy). */
  | 'node-cannot-serve'
  /** The agent is stopping (a stop job) and withdraws everything. */
  | 'agent-stopping'
  /** The system is shutting down (logind's PrepareForShutdown). */
  | 'system-shutdown';

export const STOP_REASONS: Readonly<Record<Exclude<StopReason, Reason>, string>> = {
  'service-gone': 'the Service was deleted or has no IP this agent announces any more',
  'ip-removed': 'the IP is no longer one of the Service\'s IPs',
  'node-cannot-serve': 'the local kube-proxy is not healthy (node.kube_proxy_healthz)',
  'agent-stopping': 'the agent was stopped and withdrew its routes',
  'system-shutdown': 'the system is shutting down',
};

export type Transition =
  | { readonly kind: 'started'; readonly service: ServiceKey; readonly ips: readonly string[] }
  | { readonly kind: 'stopped'; readonly service: ServiceKey; readonly ips: readonly string[]; readonly reason: StopReason };

export interface TransitionsInput {
  readonly previous: readonly Announcement[];
  readonly next: readonly Announcement[];
  /** The plan behind `next`, for the reasons of stops; null: every stop is `fallback`. */
  readonly plan: Plan | null;
  /** The reason of a stop the plan cannot explain (default: derived from the plan as documented above). */
  readonly fallback?: StopReason;
}

/**
 * Per Service, the IPs it started and stopped being announced for, one
 * transition per Service and kind (and per reason for stops), IPs in the
 * announcements' order. Sorted by Service, then started before stopped,
 * then by reason.
 */
export function transitions(input: TransitionsInput): Transition[] {
  const started = new Map<ServiceKey, string[]>();
  const stopped = new Map<string, { service: ServiceKey; reason: StopReason; ips: string[] }>();
  const why = input.fallback !== undefined ? () => input.fallback! : reasonFrom(input.plan);
  const stop = (s: ServiceKey, ip: string) => {
    const reason = why(s, ip);
    const key = `${s}\u0000${reason}`;
    const entry = stopped.get(key);
    if (entry) entry.ips.push(ip);
    else stopped.set(key, { service: s, reason, ips: [ip] });
  };

  // Most cycles change a few IPs of thousands: compare the (sorted) Service
  // lists first and build sets only for the IPs that differ.
  const prev = new Map<string, readonly ServiceKey[]>();
  for (const a of input.previous) prev.set(a.ip, a.services);
  const seen = new Set<string>();
  for (const a of input.next) {
    seen.add(a.ip);
    const was = prev.get(a.ip);
    if (was !== undefined && sameList(was, a.services)) continue;
    // Adopted (no Services known) on either side: not a start, nor a stop (see the top of this file).
    if (was?.length === 0 || a.services.length === 0) continue;
    const before = new Set(was ?? []);
    const after = new Set(a.services);
    for (const s of a.services) if (!before.has(s)) push(started, s, a.ip);
    for (const s of before) if (!after.has(s)) stop(s, a.ip);
  }
  for (const a of input.previous) {
    if (seen.has(a.ip)) continue;
    for (const s of a.services) stop(s, a.ip);
  }

  const out: Transition[] = [];
  for (const [service, ips] of started) out.push({ kind: 'started', service, ips });
  for (const { service, reason, ips } of stopped.values()) out.push({ kind: 'stopped', service, ips, reason });
  return out.sort(compareTransitions);
}

/** Every Service announced in `list` as stopped for `reason` (the agent withdrawing everything). */
export function allStopped(list: readonly Announcement[], reason: StopReason): Transition[] {
  return transitions({ previous: list, next: [], plan: null, fallback: reason });
}

function sameList(a: readonly ServiceKey[], b: readonly ServiceKey[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function push(m: Map<ServiceKey, string[]>, k: ServiceKey, ip: string): void {
  const l = m.get(k);
  if (l) l.push(ip);
  else m.set(k, [ip]);
}

/** The reason a Service stopped being announced with an IP, read from the plan's decisions. */
function reasonFrom(plan: Plan | null): (service: ServiceKey, ip: string) => StopReason {
  if (!plan) return () => 'service-gone';
  let index: Map<ServiceKey, Decision[]> | undefined;
  return (service, ip) => {
    index ??= byService(plan.decisions);
    const ds = index.get(service);
    if (!ds) return 'service-gone';
    // A Service may list one IP twice (as its LoadBalancer and an external IP):
    // a refusal on any source explains the stop.
    const mine = ds.filter((d) => d.ip === ip);
    if (mine.length === 0) return 'ip-removed';
    const refused = mine.find((d) => !d.announce && d.reason !== 'waiting-for-sync');
    if (refused) return refused.reason as StopReason;
    return 'node-cannot-serve';
  };
}

function byService(decisions: readonly Decision[]): Map<ServiceKey, Decision[]> {
  const out = new Map<ServiceKey, Decision[]>();
  for (const d of decisions) {
    const l = out.get(d.service);
    if (l) l.push(d);
    else out.set(d.service, [d]);
  }
  return out;
}

function compareTransitions(a: Transition, b: Transition): number {
  if (a.service !== b.service) return a.service < b.service ? -1 : 1;
  if (a.kind !== b.kind) return a.kind === 'started' ? -1 : 1;
  const ra = a.kind === 'stopped' ? a.reason : '';
  const rb = b.kind === 'stopped' ? b.reason : '';
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** "192.0.2.10" or "192.0.2.10, 2001:db8::10". */
export function describeIps(ips: readonly string[]): string {
  return ips.join(', ');
}

/** The Kubernetes Event a transition becomes on its Service (cluster/events.ts posts it). */
export function transitionEvent(t: Transition, node: string): { service: ServiceKey; reason: 'AnnouncementStarted' | 'AnnouncementStopped'; message: string } {
  const what = `${t.ips.length === 1 ? '' : 'IPs '}${describeIps(t.ips)}`;
  if (t.kind === 'started') return { service: t.service, reason: 'AnnouncementStarted', message: `announcing ${what} from node ${node}` };
  return { service: t.service, reason: 'AnnouncementStopped', message: `stopped announcing ${what} from node ${node}: ${t.reason}` };
}

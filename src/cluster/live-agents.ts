// Which nodes' agents are alive, judged from their Leases at a given time.
// Pure: the caller passes the clock, so the planner's input stays data.
//
// renewTime is written with the renewing node's clock and compared with ours:
// nodes are expected to keep time with NTP (as Kubernetes' certificates and
// Lease-based node heartbeats already require); a skew of s seconds moves a
// crashed agent's takeover by s.

import type { AgentLeaseView } from './snapshot.ts';

/** A Lease is fresh while renewTime + leaseDurationSeconds is after `nowMs` and its holder is its own node. */
export function isFresh(lease: AgentLeaseView, nowMs: number): boolean {
  return expiryOf(lease) > nowMs;
}

/** Nodes whose agent's Lease is fresh at `nowMs`. */
export function liveAgents(leases: Iterable<AgentLeaseView> | ReadonlyMap<string, AgentLeaseView>, nowMs: number): Set<string> {
  const live = new Set<string>();
  for (const lease of values(leases)) if (isFresh(lease, nowMs)) live.add(lease.node);
  return live;
}

/** The earliest time after `nowMs` at which a fresh Lease expires (the live set can change then), or null. */
export function nextExpiry(leases: Iterable<AgentLeaseView> | ReadonlyMap<string, AgentLeaseView>, nowMs: number): number | null {
  let next: number | null = null;
  for (const lease of values(leases)) {
    const at = expiryOf(lease);
    if (at > nowMs && (next === null || at < next)) next = at;
  }
  return next;
}

function expiryOf(lease: AgentLeaseView): number {
  // A Lease held by someone else (or released: no holder) says nothing about this node's agent.
  if (lease.holder !== lease.node || lease.renewTimeMs === null || lease.durationSeconds === null) return -Infinity;
  return lease.renewTimeMs + lease.durationSeconds * 1000;
}

function values(leases: Iterable<AgentLeaseView> | ReadonlyMap<string, AgentLeaseView>): Iterable<AgentLeaseView> {
  return leases instanceof Map ? leases.values() : (leases as Iterable<AgentLeaseView>);
}

// Serving rules for one IP, which several Services may share (different
// ports, one address). The IP is announced from a node only where every
// sharing Service that can serve anywhere can be served from that node: a
// Local Service needs an endpoint there, a Cluster Service is served from any
// node. A Service with no serving endpoint anywhere does not veto — it would
// otherwise withdraw the IP from the Services that can serve (kube-vip #823).

import type { ServiceKey, ServiceView } from '../cluster/snapshot.ts';
import type { Reach } from './endpoints.ts';
import type { ValidIp } from './ips.ts';
import type { Reason } from './reasons.ts';
import type { IpSource } from './types.ts';

/** One Service's claim on an IP that passed every Service-level rule, on an eligible node. */
export interface Claim {
  readonly service: ServiceView;
  readonly source: IpSource;
  readonly ip: ValidIp;
  readonly local: boolean;
  readonly reach: Reach;
  /** Why this claim alone cannot be served from this node; undefined = it can. */
  readonly own: Reason | undefined;
}

/** The serving rule for one claim on this node. */
export function servingRefusal(reach: Reach, local: boolean, requireEndpoints: boolean): Reason | undefined {
  if (!reach.anywhere) {
    // Nowhere to send the traffic: announcing would draw it into a black hole.
    return local || requireEndpoints ? 'no-serving-endpoint' : undefined;
  }
  if (local && !reach.here) return 'no-local-endpoint';
  return undefined;
}

/** Claims that can serve somewhere but not from this node: each keeps the IP off this node. Sorted, unique. */
export function vetoes(claims: readonly Claim[]): ServiceKey[] {
  const keys = new Set<ServiceKey>();
  for (const c of claims) if (c.reach.anywhere && c.own !== undefined) keys.add(c.service.key);
  return [...keys].sort();
}

/**
 * The nodes among `candidates` from which every sharing claim that can serve
 * anywhere can be served — where the IP could be announced at all, so where
 * an election may place it.
 */
export function servableOn(claims: readonly Claim[], candidates: readonly string[]): readonly string[] {
  const constraining = claims.filter((c) => c.local && c.reach.anywhere);
  if (constraining.length === 0) return candidates;
  return candidates.filter((n) => constraining.every((c) => c.reach.nodes.has(n)));
}

// Where a Service can serve, per address family: kube-proxy sends traffic for
// an IPv4 Service IP only to IPv4 endpoints and IPv6 to IPv6, so a
// dual-stack Service whose IPv6 pods are all down must not draw IPv6
// traffic. FQDN slices are ignored, as kube-proxy ignores them.

import type { EndpointSliceView, EndpointView } from '../cluster/snapshot.ts';
import type { IpFamily } from '../config/index.ts';

/**
 * An endpoint that can take traffic: ready, or still serving while it
 * terminates (kube-proxy falls back to those when nothing is ready). The API
 * says an unset `ready` reads as true, an unset `serving` as `ready`, and an
 * unset `terminating` as false.
 */
export function canServe(e: EndpointView): boolean {
  if (e.ready !== false) return true;
  return e.terminating === true && e.serving === true;
}

export interface Reach {
  /** Some endpoint anywhere (on a node or not) can serve. */
  readonly anywhere: boolean;
  /** The nodes holding an endpoint that can serve. */
  readonly nodes: ReadonlySet<string>;
}

const NOWHERE: Reach = { anywhere: false, nodes: new Set() };

/** Where the Service whose slices these are can serve IPs of `family`. */
export function reachOf(slices: readonly EndpointSliceView[] | undefined, family: IpFamily): Reach {
  if (!slices) return NOWHERE;
  const addressType = family === 4 ? 'IPv4' : 'IPv6';
  let anywhere = false;
  let nodes: Set<string> | undefined;
  for (const slice of slices) {
    if (slice.addressType !== addressType) continue;
    for (const e of slice.endpoints) {
      if (!canServe(e)) continue;
      anywhere = true;
      if (e.nodeName !== null) (nodes ??= new Set()).add(e.nodeName);
    }
  }
  return anywhere ? { anywhere, nodes: nodes ?? NOWHERE.nodes } : NOWHERE;
}

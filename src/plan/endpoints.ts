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

/** Where one Service can serve IPs of one family, as seen from this node. */
export class Reach {
  /** Some endpoint anywhere (on a node or not) can serve. */
  readonly anywhere: boolean;
  /** An endpoint on this node can serve. */
  readonly here: boolean;
  readonly #slices: readonly EndpointSliceView[];
  readonly #addressType: string;
  #nodes: ReadonlySet<string> | undefined;

  constructor(slices: readonly EndpointSliceView[], addressType: string, anywhere: boolean, here: boolean) {
    this.#slices = slices;
    this.#addressType = addressType;
    this.anywhere = anywhere;
    this.here = here;
  }

  /** The nodes holding an endpoint that can serve; only elections ask, so it is built on first use. */
  get nodes(): ReadonlySet<string> {
    if (this.#nodes === undefined) {
      const nodes = new Set<string>();
      for (const slice of this.#slices) {
        if (slice.addressType !== this.#addressType) continue;
        for (const e of slice.endpoints) if (e.nodeName !== null && canServe(e)) nodes.add(e.nodeName);
      }
      this.#nodes = nodes;
    }
    return this.#nodes;
  }
}

const NOWHERE = new Reach([], '', false, false);

/** Where the Service whose slices these are can serve IPs of `family`, seen from node `self`. */
export function reachOf(slices: readonly EndpointSliceView[] | undefined, family: IpFamily, self: string): Reach {
  if (!slices) return NOWHERE;
  const addressType = family === 4 ? 'IPv4' : 'IPv6';
  let anywhere = false;
  let here = false;
  for (const slice of slices) {
    if (slice.addressType !== addressType) continue;
    for (const e of slice.endpoints) {
      if (!canServe(e)) continue;
      anywhere = true;
      if (e.nodeName === self) {
        here = true;
        break;
      }
    }
    if (here) break;
  }
  return anywhere ? new Reach(slices, addressType, anywhere, here) : NOWHERE;
}

// Where a Service can serve, per address family: kube-proxy sends traffic for
// an IPv4 Service IP only to IPv4 endpoints and IPv6 to IPv6, so a
// dual-stack Service whose IPv6 pods are all down must not draw IPv6
// traffic. FQDN slices are ignored, as kube-proxy ignores them.

import type { EndpointSliceView, EndpointView, ServiceKey, Snapshot } from '../cluster/snapshot.ts';
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

/** Computes each Service's reach once per family for one plan. */
export class Endpoints {
  readonly #snapshot: Snapshot;
  readonly #cache = new Map<string, Reach>();

  constructor(snapshot: Snapshot) {
    this.#snapshot = snapshot;
  }

  reach(service: ServiceKey, family: IpFamily): Reach {
    const key = `${family}${service}`;
    let r = this.#cache.get(key);
    if (r === undefined) {
      r = compute(this.#snapshot.endpointSlices.get(service), family === 4 ? 'IPv4' : 'IPv6');
      this.#cache.set(key, r);
    }
    return r;
  }
}

function compute(slices: readonly EndpointSliceView[] | undefined, addressType: 'IPv4' | 'IPv6'): Reach {
  if (!slices) return NOWHERE;
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

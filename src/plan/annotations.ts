// The per-Service annotations the planner honours: ours (kube-lb-agent.io/)
// and kube-router's, so a cluster migrating from kube-router keeps its
// opt-outs. Values are read as Go's strconv.ParseBool reads them, as
// kube-router does; an unreadable value counts as "false" (kube-router does
// the same), which is also the safe side: it can only withdraw.

import type { ServiceView } from '../cluster/snapshot.ts';
import type { IpSource } from './types.ts';

export const ADVERTISE_ANNOTATIONS: Readonly<Record<IpSource, readonly string[]>> = {
  loadbalancer: ['kube-lb-agent.io/advertise-loadbalancer-ip', 'kube-router.io/service.advertise.loadbalancerip'],
  external: ['kube-lb-agent.io/advertise-external-ip', 'kube-router.io/service.advertise.externalip'],
  cluster: ['kube-lb-agent.io/advertise-cluster-ip', 'kube-router.io/service.advertise.clusterip'],
};

/** kube-router's older opt-out of LoadBalancer IPs: present = skip, whatever its value. */
export const SKIP_LB_IPS_ANNOTATION = 'kube-router.io/service.skiplbips';

/** kube-router's "treat as externalTrafficPolicy: Local", for every kind of IP. */
export const LOCAL_ANNOTATION = 'kube-router.io/service.local';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** true / false, or undefined when the text is not a boolean. */
export function parseBool(text: string): boolean | undefined {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return undefined;
}

export interface AdvertiseAnnotation {
  /** undefined = no annotation for this source; false when any says false or is unreadable. */
  readonly value: boolean | undefined;
  /** Annotations whose value could not be read, as `key: "value"`. */
  readonly unreadable: readonly string[];
}

const NONE: AdvertiseAnnotation = { value: undefined, unreadable: [] };

/** What the Service's annotations say about announcing IPs of `source`; opting out wins over opting in. */
export function advertiseAnnotation(service: ServiceView, source: IpSource): AdvertiseAnnotation {
  const annotations = service.annotations;
  let value: boolean | undefined;
  let unreadable: string[] | undefined;
  for (const key of ADVERTISE_ANNOTATIONS[source]) {
    const text = annotations[key];
    if (text === undefined) continue;
    let v = parseBool(text);
    if (v === undefined) {
      (unreadable ??= []).push(`${key}: ${JSON.stringify(text)}`);
      v = false;
    }
    value = value === false ? false : v;
  }
  if (source === 'loadbalancer' && annotations[SKIP_LB_IPS_ANNOTATION] !== undefined) value = false;
  return value === undefined && !unreadable ? NONE : { value, unreadable: unreadable ?? [] };
}

/**
 * Whether only this node's endpoints count for IPs of `source`. Kubernetes
 * applies externalTrafficPolicy to external traffic — LoadBalancer IPs and
 * external IPs — and internalTrafficPolicy to cluster IPs; kube-proxy drops
 * what arrives for a Local one on a node without a local endpoint.
 * kube-router's annotation makes every kind local, as kube-router does.
 */
export function isLocal(service: ServiceView, source: IpSource): boolean {
  const text = service.annotations[LOCAL_ANNOTATION];
  if (text !== undefined && parseBool(text) === true) return true;
  return source === 'cluster' ? service.internalTrafficPolicy === 'Local' : service.externalTrafficPolicy === 'Local';
}

/** Unreadable kube-router.io/service.local values, for a warning; they count as not local. */
export function unreadableLocal(service: ServiceView): string | undefined {
  const text = service.annotations[LOCAL_ANNOTATION];
  return text !== undefined && parseBool(text) === undefined ? `${LOCAL_ANNOTATION}: ${JSON.stringify(text)}` : undefined;
}

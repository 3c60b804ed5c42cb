// Which IPs of a Service are considered, and the rules that depend on the
// Service alone: the kind of IP turned on (config, annotations), the
// loadBalancerClass, ipMode, a valid address, inside a pool. What a Service
// got wrong affects only that Service: its bad IP becomes its own decision.

import type { ServiceView } from '../cluster/snapshot.ts';
import { cidrContains, formatIp, parseIp, type AnnounceConfig, type IpAddress, type Pool } from '../config/index.ts';
import { advertiseAnnotation, unreadableLocal } from './annotations.ts';
import type { Reason } from './reasons.ts';
import type { IpSource, PlanWarning } from './types.ts';

export interface ValidIp {
  readonly address: IpAddress;
  /** Canonical text: the key IPs are grouped, elected and announced by. */
  readonly text: string;
  /** undefined = outside every pool. */
  readonly pool: Pool | undefined;
}

/** One IP of one Service from one source, as the Service-level rules leave it. */
export interface Candidate {
  readonly source: IpSource;
  /** Canonical text when valid, else as written. */
  readonly text: string;
  /** Present when the address is valid. */
  readonly ip: ValidIp | undefined;
  /** The first Service-level rule that refuses the IP; undefined = none does. */
  readonly refusal: Reason | undefined;
}

/** Parses and places IPs, remembering each text for one plan (shared IPs and repeats are common). */
export class IpReader {
  readonly #pools: readonly Pool[];
  readonly #seen = new Map<string, ValidIp | null>();

  constructor(pools: readonly Pool[]) {
    this.#pools = pools;
  }

  read(raw: string): ValidIp | undefined {
    let v = this.#seen.get(raw);
    if (v === undefined) {
      const address = parseIp(raw);
      // parseIp refuses leading zeros in IPv4, so a valid IPv4 text is already canonical.
      v = address ? { address, text: address.family === 4 ? raw : formatIp(address), pool: this.#poolOf(address) } : null;
      this.#seen.set(raw, v);
    }
    return v ?? undefined;
  }

  #poolOf(address: IpAddress): Pool | undefined {
    // Config refuses pools that overlap, so at most one holds the address.
    return this.#pools.find((p) => p.cidrs.some((c) => cidrContains(c, address)));
  }
}

const CONFIG_KEY: Readonly<Record<IpSource, keyof AnnounceConfig & ('loadbalancerIp' | 'externalIp' | 'clusterIp')>> = {
  loadbalancer: 'loadbalancerIp',
  external: 'externalIp',
  cluster: 'clusterIp',
};

interface Raw {
  readonly source: IpSource;
  readonly raw: string;
  readonly proxy: boolean;
}

function rawIps(service: ServiceView, source: IpSource): Raw[] {
  switch (source) {
    case 'loadbalancer':
      // Status is kept only for type LoadBalancer; an ingress with a hostname and no IP has nothing to route.
      if (service.type !== 'LoadBalancer') return [];
      return service.ingress.filter((i) => i.ip !== '').map((i) => ({ source, raw: i.ip, proxy: i.ipMode === 'Proxy' }));
    case 'external':
      return service.externalIPs.map((raw) => ({ source, raw, proxy: false }));
    case 'cluster':
      return service.clusterIPs.map((raw) => ({ source, raw, proxy: false }));
  }
}

/**
 * loadBalancerClass says which implementation owns the Service's load
 * balancer, i.e. its status.loadBalancer IPs; external and cluster IPs belong
 * to no load-balancer implementation, so the class does not filter them
 * (kube-router announces those whatever the class, too).
 */
function classMatches(service: ServiceView, announce: AnnounceConfig): boolean {
  const cls = service.loadBalancerClass;
  return cls === null ? announce.defaultClass : cls === announce.class;
}

const SOURCES: readonly IpSource[] = ['loadbalancer', 'external', 'cluster'];

/** The Service's candidate IPs, each with the Service-level rule that refuses it, if any. */
export function candidatesOf(service: ServiceView, announce: AnnounceConfig, reader: IpReader, warnings: PlanWarning[]): Candidate[] {
  const out: Candidate[] = [];
  const key = service.key;
  for (const source of SOURCES) {
    const raws = rawIps(service, source);
    if (raws.length === 0) continue;
    const configOn = announce[CONFIG_KEY[source]];
    const annotation = advertiseAnnotation(service, source);
    for (const u of annotation.unreadable) {
      warnings.push({ code: 'invalid-annotation', service: key, message: `${key}: ${u} is not true or false — read as "false" (not announced)` });
    }
    // A kind of IP the config turns off is not considered at all unless an annotation asks for it.
    if (!configOn && annotation.value !== true) continue;
    let serviceRefusal: Reason | undefined;
    if (source === 'loadbalancer' && !classMatches(service, announce)) serviceRefusal = 'class-mismatch';
    else if (annotation.value === false) serviceRefusal = 'advertise-disabled';
    else if (!configOn && !announce.allowOptIn) serviceRefusal = 'opt-in-not-allowed';
    const done = new Set<string>();
    for (const r of raws) {
      const ip = reader.read(r.raw);
      const text = ip ? ip.text : r.raw;
      if (done.has(text)) continue;
      done.add(text);
      let refusal = serviceRefusal;
      if (refusal === undefined) {
        if (r.proxy) refusal = 'proxy-ip-mode';
        else if (!ip) {
          refusal = 'invalid-ip';
          warnings.push({
            code: 'invalid-ip',
            service: key,
            message: `${key}: ${JSON.stringify(r.raw)} (${source} IP) is not an IPv4 or IPv6 address — not announced; only this Service is affected`,
          });
        } else if (!ip.pool) {
          refusal = 'ip-not-in-pool';
          warnings.push({
            code: 'ip-not-in-pool',
            service: key,
            message: `${key}: ${ip.text} (${source} IP) is outside every pool — not announced; add it to a [pools.<name>] table or fix the Service`,
          });
        }
      }
      out.push({ source, text, ip, refusal });
    }
  }
  const local = out.length > 0 ? unreadableLocal(service) : undefined;
  if (local) {
    warnings.push({ code: 'invalid-annotation', service: key, message: `${key}: ${local} is not true or false — read as "false" (traffic policy from the Service)` });
  }
  return out;
}

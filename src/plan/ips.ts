// Which IPs of a Service are considered, and the rules that depend on the
// Service alone: the kind of IP turned on (config, annotations), the
// loadBalancerClass, ipMode, a valid address, inside a pool. What a Service
// got wrong affects only that Service: its bad IP becomes its own decision.

import type { LoadBalancerIngress, ServiceView } from '../cluster/snapshot.ts';
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

/**
 * What a plan learns from an IP's text — address, canonical form, pool —
 * kept from one plan to the next by a caller that plans again and again:
 * parsing is a third of a plan's time, and most IPs do not change between two
 * plans. Only speed depends on it; plans are identical with or without it.
 * It keeps the IPs the last plan used, and forgets all when the pools change.
 */
export class PlanMemo {
  #pools: readonly Pool[] | undefined;
  #previous = new Map<string, ValidIp | null>();
  #current = new Map<string, ValidIp | null>();

  /** Starts a plan over `pools`: what the last plan did not use is dropped. */
  begin(pools: readonly Pool[]): void {
    // Config is frozen and replaced whole: the same array means the same pools.
    this.#previous = pools === this.#pools ? this.#current : new Map();
    this.#current = new Map();
    this.#pools = pools;
  }

  get(raw: string): ValidIp | null | undefined {
    let v = this.#current.get(raw);
    if (v === undefined) {
      v = this.#previous.get(raw);
      if (v !== undefined) this.#current.set(raw, v);
    }
    return v;
  }

  set(raw: string, v: ValidIp | null): void {
    this.#current.set(raw, v);
  }
}

/** Parses and places IPs for one plan, through a memo (the caller's, or one for this plan alone). */
export class IpReader {
  readonly #pools: readonly Pool[];
  readonly #memo: PlanMemo;

  constructor(pools: readonly Pool[], memo: PlanMemo = new PlanMemo()) {
    this.#pools = pools;
    this.#memo = memo;
    memo.begin(pools);
  }

  read(raw: string): ValidIp | undefined {
    let v = this.#memo.get(raw);
    if (v === undefined) {
      const address = parseIp(raw);
      // parseIp refuses leading zeros in IPv4, so a valid IPv4 text is already canonical;
      // an IPv6 text already canonical is kept as it is (one string, not two, per IP held).
      v = address ? { address, text: address.family === 4 ? raw : sameText(formatIp(address), raw), pool: this.#poolOf(address) } : null;
      this.#memo.set(raw, v);
    }
    return v ?? undefined;
  }

  #poolOf(address: IpAddress): Pool | undefined {
    // Config refuses pools that overlap, so at most one holds the address.
    for (const pool of this.#pools) {
      for (const cidr of pool.cidrs) if (cidrContains(cidr, address)) return pool;
    }
    return undefined;
  }
}

function sameText(canonical: string, raw: string): string {
  return canonical === raw ? raw : canonical;
}

const CONFIG_KEY: Readonly<Record<IpSource, keyof AnnounceConfig & ('loadbalancerIp' | 'externalIp' | 'clusterIp')>> = {
  loadbalancer: 'loadbalancerIp',
  external: 'externalIp',
  cluster: 'clusterIp',
};

/** The IPs of `source` as written (ingress entries keep their ipMode). */
function rawIps(service: ServiceView, source: IpSource): readonly (string | LoadBalancerIngress)[] {
  switch (source) {
    case 'loadbalancer':
      // Status is kept only for type LoadBalancer.
      return service.type === 'LoadBalancer' ? service.ingress : NONE;
    case 'external':
      return service.externalIPs;
    case 'cluster':
      return service.clusterIPs;
  }
}

const NONE: readonly string[] = [];

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

/** Whether `text` is among out[first..]: the IPs of one source, a handful at most. */
function listed(out: readonly Candidate[], first: number, text: string): boolean {
  for (let i = first; i < out.length; i++) if (out[i]!.text === text) return true;
  return false;
}

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
    const first = out.length;
    for (const r of raws) {
      const raw = typeof r === 'string' ? r : r.ip;
      // An ingress with a hostname and no IP has nothing to route.
      if (raw === '') continue;
      const ip = reader.read(raw);
      const text = ip ? ip.text : raw;
      if (listed(out, first, text)) continue;
      let refusal = serviceRefusal;
      if (refusal === undefined) {
        if (typeof r !== 'string' && r.ipMode === 'Proxy') refusal = 'proxy-ip-mode';
        else if (!ip) {
          refusal = 'invalid-ip';
          warnings.push({
            code: 'invalid-ip',
            service: key,
            message: `${key}: ${JSON.stringify(raw)} (${source} IP) is not an IPv4 or IPv6 address — not announced; only this Service is affected`,
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

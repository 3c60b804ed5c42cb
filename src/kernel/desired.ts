// What the kernel should hold: the agent's routes in its table and its
// addresses on its interface. The kernel layer's own type — it knows nothing
// of Services — and the pure function from the planner's announcements (any
// list of the same shape) and the Config to it. The agent calls this, then
// `reconcile(desired)`.
//
// The prefix-route decision (addresses with aggregation): an address
// 192.0.2.10/24 on kube-lb0 would make the kernel add 192.0.2.0/24 dev kube-lb0
// to the MAIN table. That route would send this node's own traffic for every
// other IP of the /24 — served by other nodes — into kube-lb0, a black hole.
// So addresses are added with IFA_F_NOPREFIXROUTE, and the prefix, which the
// aggregation exists to announce, is written as one of our routes in OUR
// table instead (BIRD `protocol kernel` / FRR `ip import-table` learn it
// there; BIRD `protocol direct` and FRR `redistribute connected` take it from
// the address itself). `routing.prefix_route_in_main = true` restores the
// kernel's default (its prefix route in main, proto kernel) for those who
// redistribute the main table's connected routes.

import { LayeredMap } from '../collections/layered-map.ts';
import type { Config } from '../config/index.ts';
import { canonicalIp, networkOf, type Family } from './ip.ts';

export interface DesiredRoute {
  readonly family: Family;
  /** Canonical network address. */
  readonly dst: string;
  readonly prefix: number;
  /** As the kernel stores it: IPv6 turns metric 0 into 1024, so 0 is never desired for IPv6. */
  readonly metric: number;
}

export interface DesiredAddress {
  readonly family: Family;
  /** Canonical address. */
  readonly ip: string;
  readonly prefix: number;
}

export interface KernelDesired {
  /** By `routeKey(dst, prefix)`. */
  readonly routes: ReadonlyMap<string, DesiredRoute>;
  /** By `addressKey(ip, prefix)`. */
  readonly addresses: ReadonlyMap<string, DesiredAddress>;
  /** Where this state differs from the one it was derived from; lets a reconcile look at those keys only. */
  readonly delta?: DesiredDelta;
}

/**
 * The keys whose entry differs between `base` and the state holding this
 * delta (added, changed or gone). `base` is held weakly, so a chain of old
 * states never stays in memory; the reconciler holds the state it was last
 * given, so for it a live `base` is enough to know the delta applies.
 */
export interface DesiredDelta {
  readonly base: WeakRef<KernelDesired>;
  readonly routes: ReadonlySet<string>;
  readonly addresses: ReadonlySet<string>;
}

/** The fields of a plan announcement the kernel needs (structurally the planner's `Announcement`). */
export interface AnnouncedIp {
  readonly ip: string;
  readonly family: Family;
  /** 32 or 128. */
  readonly prefix: number;
  /** The pool holding the IP, for its aggregation. */
  readonly pool: string;
}

export interface DesiredProblem {
  readonly ip: string;
  readonly reason: 'invalid-ip' | 'unknown-pool';
}

export interface DesiredResult {
  readonly desired: KernelDesired;
  /** Entries left out; each affects only itself. */
  readonly problems: readonly DesiredProblem[];
}

export const EMPTY_DESIRED: KernelDesired = Object.freeze({ routes: new Map(), addresses: new Map() });

const IPV6_DEFAULT_METRIC = 1024;

/** The kernel stores IPv6 routes added with metric 0 as 1024 (IP6_RT_PRIO_USER). */
export function kernelMetric(family: Family, metric: number): number {
  return family === 6 && metric === 0 ? IPV6_DEFAULT_METRIC : metric;
}

/**
 * The maps' key for a route: the destination itself for a host route (/32,
 * /128) — the very string the planner and the dump produce, so no string is
 * built per route — and `dst/prefix` otherwise (an aggregated prefix).
 */
export function routeKey(dst: string, prefix: number): string {
  return prefix === 128 || (prefix === 32 && dst.indexOf(':') < 0) ? dst : `${dst}/${prefix}`;
}

/** Likewise for addresses: the address for a host prefix, else `ip/prefix`. */
export function addressKey(ip: string, prefix: number): string {
  return prefix === 128 || (prefix === 32 && ip.indexOf(':') < 0) ? ip : `${ip}/${prefix}`;
}

/**
 * Pure: the kernel state for `announced` under `config.routing` (method,
 * metric) and the pools' aggregations. Method "routes": one host route per IP.
 * "addresses": one address per IP with its pool's aggregation, plus the
 * aggregated prefix as a route when shorter than a host route (see above).
 * "both": all of it.
 *
 * With `previous` (the state last built), the result carries the delta from
 * it and reuses its unchanged entries: reconciling one changed Service among
 * 20,000 then looks at one key instead of diffing the whole table.
 */
export function desiredState(announced: readonly AnnouncedIp[], config: Config, previous?: KernelDesired): DesiredResult {
  const { method, metric } = config.routing;
  const wantRoutes = method === 'routes' || method === 'both';
  const wantAddresses = method === 'addresses' || method === 'both';
  const pools = new Map(config.pools.map((p) => [p.name, p]));
  const routes = new Map<string, DesiredRoute>();
  const addresses = new Map<string, DesiredAddress>();
  const problems: DesiredProblem[] = [];
  const prevRoutes = previous?.routes;
  const prevAddresses = previous?.addresses;
  const changedRoutes = new Set<string>();
  const changedAddresses = new Set<string>();

  // Entries are readonly by type, not frozen one by one: 20,000 freezes cost
  // more than the rest of this function. An unchanged entry is the previous
  // state's own object.
  // A key met twice (an IP announced twice, an aggregate shared by many) is simply set again: the same outcome.
  const addRoute = (family: Family, dst: string, prefix: number) => {
    const key = routeKey(dst, prefix);
    const m = kernelMetric(family, metric);
    const p = prevRoutes?.get(key);
    if (p !== undefined && p.metric === m) routes.set(key, p);
    else {
      routes.set(key, { family, dst, prefix, metric: m });
      changedRoutes.add(key);
    }
  };

  for (const a of announced) {
    const host = a.family === 4 ? 32 : 128;
    const ip = a.family === 4 || a.family === 6 ? canonicalIp(a.ip, a.family) : undefined;
    if (ip === undefined || a.prefix !== host) {
      problems.push({ ip: a.ip, reason: 'invalid-ip' });
      continue;
    }
    if (wantRoutes) addRoute(a.family, ip, host);
    if (!wantAddresses) continue;
    const pool = pools.get(a.pool);
    if (!pool) {
      problems.push({ ip: a.ip, reason: 'unknown-pool' });
      continue;
    }
    const aggregation = a.family === 4 ? pool.aggregationV4 : pool.aggregationV6;
    const key = addressKey(ip, aggregation);
    const p = prevAddresses?.get(key);
    if (p !== undefined) addresses.set(key, p);
    else {
      addresses.set(key, { family: a.family, ip, prefix: aggregation });
      changedAddresses.add(key);
    }
    if (aggregation < host) addRoute(a.family, networkOf(ip, a.family, aggregation)!, aggregation);
  }
  if (!previous) return { desired: built(Object.freeze({ routes, addresses }), config), problems };
  addGone(previous.routes, routes, changedRoutes);
  addGone(previous.addresses, addresses, changedAddresses);
  const delta: DesiredDelta = Object.freeze({ base: new WeakRef(previous), routes: changedRoutes, addresses: changedAddresses });
  return { desired: built(Object.freeze({ routes, addresses, delta }), config), problems };
}

/** The config each desired state was built under: a delta applies only under the same one. */
const configOf = new WeakMap<KernelDesired, Config>();

function built(desired: KernelDesired, config: Config): KernelDesired {
  configOf.set(desired, config);
  return desired;
}

/** One IP's announcement before and after a change; absent = not announced. */
export interface AnnouncedChange {
  readonly before: AnnouncedIp | undefined;
  readonly after: AnnouncedIp | undefined;
}

/**
 * `desiredState` of the announcements `previous` was built from with some
 * IPs' announcements changed: O(changes), where desiredState is O(all). The
 * result equals desiredState(the changed list, config, previous). Undefined
 * when it cannot be derived — `previous` built under another config, or a
 * change touching an aggregated prefix (a prefix route many IPs share) — and
 * the caller builds the whole state instead.
 */
export function desiredStateDelta(previous: KernelDesired, changes: Iterable<AnnouncedChange>, config: Config): DesiredResult | undefined {
  if (configOf.get(previous) !== config) return undefined;
  const { method, metric } = config.routing;
  const wantRoutes = method === 'routes' || method === 'both';
  const wantAddresses = method === 'addresses' || method === 'both';
  const routeEdits = new Map<string, DesiredRoute | undefined>();
  const addressEdits = new Map<string, DesiredAddress | undefined>();
  const problems: DesiredProblem[] = [];
  // What an announcement puts in the kernel; null = a problem (nothing), undefined = an aggregate (give up).
  const entriesOf = (a: AnnouncedIp, problem: boolean): { route?: DesiredRoute; address?: DesiredAddress } | null | undefined => {
    const host = a.family === 4 ? 32 : 128;
    const ip = a.family === 4 || a.family === 6 ? canonicalIp(a.ip, a.family) : undefined;
    if (ip === undefined || a.prefix !== host) {
      if (problem) problems.push({ ip: a.ip, reason: 'invalid-ip' });
      return null;
    }
    const out: { route?: DesiredRoute; address?: DesiredAddress } = {};
    if (wantRoutes) out.route = { family: a.family, dst: ip, prefix: host, metric: kernelMetric(a.family, metric) };
    if (!wantAddresses) return out;
    const pool = config.pools.find((p) => p.name === a.pool);
    if (!pool) {
      if (problem) problems.push({ ip: a.ip, reason: 'unknown-pool' });
      return out;
    }
    const aggregation = a.family === 4 ? pool.aggregationV4 : pool.aggregationV6;
    if (aggregation < host) return undefined;
    out.address = { family: a.family, ip, prefix: aggregation };
    return out;
  };
  const list = [...changes];
  for (const c of list) {
    if (!c.before) continue;
    const e = entriesOf(c.before, false);
    if (e === undefined) return undefined;
    if (e?.route) routeEdits.set(routeKey(e.route.dst, e.route.prefix), undefined);
    if (e?.address) addressEdits.set(addressKey(e.address.ip, e.address.prefix), undefined);
  }
  for (const c of list) {
    if (!c.after) continue;
    const e = entriesOf(c.after, true);
    if (e === undefined) return undefined;
    if (e?.route) {
      const key = routeKey(e.route.dst, e.route.prefix);
      const p = previous.routes.get(key);
      routeEdits.set(key, p !== undefined && p.metric === e.route.metric ? p : e.route);
    }
    if (e?.address) {
      const key = addressKey(e.address.ip, e.address.prefix);
      addressEdits.set(key, previous.addresses.get(key) ?? e.address);
    }
  }
  // Keys whose entry is the previous state's own object did not change.
  for (const [k, v] of routeEdits) if (v !== undefined ? previous.routes.get(k) === v : !previous.routes.has(k)) routeEdits.delete(k);
  for (const [k, v] of addressEdits) if (v !== undefined ? previous.addresses.get(k) === v : !previous.addresses.has(k)) addressEdits.delete(k);
  const routes = layered(previous.routes).with(routeEdits);
  const addresses = layered(previous.addresses).with(addressEdits);
  const delta: DesiredDelta = Object.freeze({ base: new WeakRef(previous), routes: new Set(routeEdits.keys()), addresses: new Set(addressEdits.keys()) });
  return { desired: built(Object.freeze({ routes, addresses, delta }), config), problems };
}

function layered<V>(map: ReadonlyMap<string, V>): LayeredMap<string, V> {
  // A desired state's maps are never changed once built, so a plain one can be taken over as it is.
  return map instanceof LayeredMap ? map : LayeredMap.adopt(map);
}

/** Adds to `changed` the keys of `prev` that `next` lacks. */
function addGone(prev: ReadonlyMap<string, unknown>, next: ReadonlyMap<string, unknown>, changed: Set<string>): void {
  // Every key of `next` outside `changed` is in `prev`: if the counts say all of `prev` is accounted for, nothing is gone.
  let kept = next.size;
  for (const k of changed) if (next.has(k)) kept--;
  if (kept === prev.size) return;
  for (const key of prev.keys()) if (!next.has(key)) changed.add(key);
}

// What this node announces, by IP: the guard's "current". After a restart
// within the same boot the agent has no memory of the Services behind the
// routes it finds, so it adopts them from the kernel's observed view with an
// empty Service list and the pool that holds each IP (for its aggregation).

import { cidrContains, parseIp, type Config } from '../config/index.ts';
import type { ObservedView } from '../kernel/index.ts';
import type { Announcement } from '../plan/index.ts';

export function announcedByIp(list: readonly Announcement[]): Map<string, Announcement> {
  return new Map(list.map((a) => [a.ip, a]));
}

/** Host routes of our protocol and host-length addresses on our interface, as announcements. */
export function adoptFromKernel(observed: ObservedView, config: Config): Map<string, Announcement> {
  const out = new Map<string, Announcement>();
  const add = (ip: string, family: 4 | 6) => {
    if (out.has(ip)) return;
    const parsed = parseIp(ip);
    const pool = parsed ? config.pools.find((p) => p.cidrs.some((c) => cidrContains(c, parsed))) : undefined;
    out.set(ip, { ip, prefix: family === 4 ? 32 : 128, family, pool: pool?.name ?? '', services: [] });
  };
  for (const routes of observed.routes.values()) {
    for (const r of routes) {
      const host = r.family === 4 ? 32 : 128;
      if (r.protocol === config.routing.protocol && r.prefix === host) add(r.dst, r.family);
    }
  }
  for (const a of observed.addresses.values()) {
    if (a.linkLocal) continue;
    // An aggregated address (/24) stands for one announced IP too: its own address.
    add(a.ip, a.family);
  }
  return out;
}

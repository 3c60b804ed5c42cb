// Checks that involve more than one key. Each runs only when the keys it reads
// were valid, so one mistake is not reported twice. Errors stop the agent;
// warnings are for `check-config` and the log.

import { bitsOf, cidrsOverlap, type Cidr } from './cidr.ts';
import { formatDuration } from './duration.ts';
import type { Position } from './problems.ts';
import type { Config, Pool } from './types.ts';
import type { ReadContext } from './validate.ts';

const KUBE_VIP_PROTOCOL = 248;

export function crossCheck(config: Config, ctx: ReadContext): void {
  const f = ctx.findings;
  const valid = (...paths: string[]) => paths.every((p) => !ctx.invalid.has(p));
  /** The first of `paths` that was written in the file, for the message's position. */
  const at = (...paths: string[]): Position | undefined => paths.map((p) => ctx.positions.get(p)).find((p) => p !== undefined);

  const k = config.kubernetes;
  if (valid('kubernetes.lease_renew', 'kubernetes.lease_duration')) {
    // Blame the key the file wrote: a shortened lease_duration can fall below the default renewal.
    const renewWritten = ctx.positions.has('kubernetes.lease_renew') || !ctx.positions.has('kubernetes.lease_duration');
    const path = renewWritten ? 'kubernetes.lease_renew' : 'kubernetes.lease_duration';
    const where = at(path, 'kubernetes');
    const renew = formatDuration(k.leaseRenewMs);
    const lease = formatDuration(k.leaseDurationMs);
    const third = formatDuration(Math.floor(k.leaseDurationMs / 3));
    if (k.leaseRenewMs >= k.leaseDurationMs) {
      f.error(
        path,
        where,
        renewWritten
          ? `${renew} is not shorter than lease_duration ${lease} — renew well within the lease, such as every third of it ("${third}"), or peers will take the agent for dead`
          : `${lease} is not longer than lease_renew ${renew} — make the lease at least three renewals long ("${formatDuration(k.leaseRenewMs * 3)}"), or lower lease_renew`,
      );
    } else if (k.leaseRenewMs * 2 > k.leaseDurationMs) {
      f.warn(
        path,
        where,
        `lease_renew ${renew} is more than half of lease_duration ${lease}: one late renewal lets the Lease expire and peers take over — renew at most every ${formatDuration(Math.floor(k.leaseDurationMs / 2))}`,
      );
    }
  }

  if (config.routing.protocol === KUBE_VIP_PROTOCOL && valid('routing.protocol')) {
    f.warn(
      'routing.protocol',
      at('routing.protocol'),
      `${KUBE_VIP_PROTOCOL} is kube-vip's protocol: the agent adopts and may delete kube-vip's routes in table ${config.routing.table} — meant for migrating from kube-vip; never run both on one node`,
    );
  }

  const a = config.announce;
  if (!a.loadbalancerIp && !a.externalIp && !a.clusterIp && !a.allowOptIn) {
    f.warn('announce', at('announce'), 'loadbalancer_ip, external_ip and cluster_ip are all false and allow_opt_in is off: nothing will be announced');
  }

  if (config.safety.holdMs === 0 && valid('safety.hold')) {
    f.warn('safety.hold', at('safety.hold'), '"0s" applies a mass withdrawal at once: the guard only logs it — keep a hold such as "60s"');
  }

  checkPools(config, ctx, at);
}

function checkPools(config: Config, ctx: ReadContext, at: (...paths: string[]) => Position | undefined): void {
  const f = ctx.findings;
  if (config.pools.length === 0) {
    f.warn('pools', at('pools'), 'no pools configured: nothing will be announced — add a [pools.<name>] table with cidrs = [...]');
    return;
  }
  const method = config.routing.method;
  const seen: { pool: Pool; cidr: Cidr }[] = [];
  for (const pool of config.pools) {
    const base = `pools.${pool.name}`;
    if (!ctx.invalid.has(`${base}.cidrs`)) {
      for (const [index, cidr] of pool.cidrs.entries()) {
        const path = `${base}.cidrs`;
        const where = at(`${path}[${index}]`, path, base);
        if (cidr.prefix === 0) {
          f.warn(path, where, `${cidr.text} allows every IPv${cidr.family} address: any IP a Service claims will be announced`);
        }
        for (const other of seen) {
          if (!cidrsOverlap(cidr, other.cidr)) continue;
          if (other.pool === pool) {
            f.warn(path, where, `${cidr.text} overlaps ${other.cidr.text} of the same pool — list each address once`);
          } else {
            // An IP in two pools has two aggregations and two owners in
            // metrics and reasons; no precedence rule would be obvious to the
            // reader of the file, so it is refused.
            f.error(
              path,
              where,
              `${cidr.text} overlaps ${other.cidr.text} of pool ${other.pool.name} — an address may belong to one pool only; split or remove one of them`,
            );
          }
        }
        seen.push({ pool, cidr });
      }
    }
    for (const family of [4, 6] as const) {
      const key = family === 4 ? 'aggregation_v4' : 'aggregation_v6';
      const path = `${base}.${key}`;
      const aggregation = family === 4 ? pool.aggregationV4 : pool.aggregationV6;
      const host = bitsOf(family);
      if (ctx.invalid.has(path) || aggregation === host) continue;
      const where = at(path, base);
      const cidrs = pool.cidrs.filter((c) => c.family === family);
      const longest = cidrs.reduce<Cidr | undefined>((m, c) => (m && m.prefix >= c.prefix ? m : c), undefined);
      if (method === 'routes') {
        f.warn(path, where, `/${aggregation} has no effect with routing.method = "routes": routes are always /${host}`);
      } else if (cidrs.length === 0 && !ctx.invalid.has(`${base}.cidrs`)) {
        f.warn(path, where, `/${aggregation} has no effect: the pool has no IPv${family} CIDRs`);
      } else if (longest && aggregation < longest.prefix && !ctx.invalid.has(`${base}.cidrs`)) {
        // An address with a shorter prefix than its pool's makes the kernel
        // (and BIRD's `protocol direct`) announce addresses outside the pool.
        f.error(
          path,
          where,
          `/${aggregation} is shorter than the pool's ${longest.text}: the address's prefix would announce addresses outside the pool — use ${longest.prefix}..${host}`,
        );
      } else if (config.announce.election === 'per-service') {
        f.error(
          path,
          where,
          `/${aggregation} with announce.election = "per-service": a node announcing one IP announces its whole /${aggregation}, drawing traffic for IPs elected elsewhere — use aggregation ${host}, or election "all" or "leader"`,
        );
      }
    }
  }
}

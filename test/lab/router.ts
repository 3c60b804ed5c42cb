// What the data centre sees: the router's own kernel routing table (main),
// where its BIRD installs what the nodes announce — one ECMP route per VIP,
// one next hop per announcing node. Read with `ip -j route`, and followed as
// it changes with `ip -ts -o monitor route` (one line per change, iproute2's
// time stamp), started before whatever a test does.

import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from './daemon.ts';
import { exec, type LabNode } from './net.ts';
import type { Reaper } from './reaper.ts';

export interface RouterRoute {
  readonly dst: string;
  readonly protocol: string;
  /** Next-hop gateways, sorted. */
  readonly gateways: readonly string[];
}

interface IpJsonRoute {
  dst: string;
  protocol?: string;
  gateway?: string;
  nexthops?: { gateway?: string }[];
}

const bare = (dst: string) => dst.replace(/\/(32|128)$/, '');

/** Every route in the router's main table of this family. */
export async function routerRoutes(routerNs: string, family: 4 | 6): Promise<RouterRoute[]> {
  const { stdout } = await exec('ip', ['-n', routerNs, '-j', `-${family}`, 'route', 'show', 'table', 'main'], { maxBuffer: 16 << 20 });
  const routes = JSON.parse(stdout || '[]') as IpJsonRoute[];
  return routes.map((r) => ({
    dst: bare(r.dst),
    protocol: r.protocol ?? '',
    gateways: (r.nexthops ? r.nexthops.map((n) => n.gateway ?? '') : r.gateway ? [r.gateway] : []).filter(Boolean).sort(),
  }));
}

/** VIP → names of the nodes the router sends it to (only BGP-learned routes), both families. */
export async function routerPaths(routerNs: string, nodes: readonly LabNode[]): Promise<Map<string, string[]>> {
  const byAddr = new Map<string, string>();
  for (const n of nodes) {
    byAddr.set(n.v4, n.name);
    byAddr.set(n.v6, n.name);
  }
  const out = new Map<string, string[]>();
  for (const f of [4, 6] as const) {
    for (const r of await routerRoutes(routerNs, f)) {
      if (r.protocol !== 'bird') continue;
      out.set(r.dst, r.gateways.map((g) => byAddr.get(g) ?? g).sort());
    }
  }
  return out;
}

export function describePaths(paths: Map<string, readonly string[]>, vips?: readonly string[]): string {
  const keys = vips ?? [...paths.keys()].sort();
  return keys.map((v) => `${v} → ${(paths.get(v) ?? []).join(',') || '(none)'}`).join('; ');
}

/** Waits until the router sends `vip` to exactly `want` (node names); [] = no route at all. */
export async function waitPaths(routerNs: string, nodes: readonly LabNode[], vip: string, want: readonly string[], timeoutMs = 20_000): Promise<number> {
  const t0 = Date.now();
  const expected = [...want].sort().join(',');
  let seen = '';
  try {
    await waitFor(`router: ${vip} → ${expected || '(no route)'}`, async () => {
      seen = ((await routerPaths(routerNs, nodes)).get(vip) ?? []).join(',');
      return seen === expected;
    }, timeoutMs, 20);
  } catch (e) {
    throw new Error(`${(e as Error).message}; the router has ${vip} → ${seen || '(no route)'}`);
  }
  return Date.now() - t0;
}

export interface RouteChange {
  /** Epoch ms (fractional) from iproute2's stamp. */
  readonly at: number;
  readonly deleted: boolean;
  readonly dst: string;
  readonly gateways: readonly string[];
  readonly line: string;
}

/** `[2026-11-22T05:46:55.637318] 198.51.100.10 proto bird metric 32 \	nexthop via 10.198.0.11 dev lan0 weight 1 \	nexthop via …` */
export function parseRouteChange(line: string): RouteChange | null {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\]\s+(Deleted\s+)?(?:(?:unicast|blackhole|unreachable|prohibit|local|broadcast|multicast)\s+)?(\S+)\s(.*)$/.exec(line);
  if (!m) return null;
  const gateways = [...m[5]!.matchAll(/\bvia (?:inet6 )?(\S+)/g)].map((g) => g[1]!).sort();
  return { at: new Date(m[1]!).getTime() + Number(m[2]) / 1000, deleted: m[3] !== undefined, dst: bare(m[4]!), gateways, line };
}

export class RouterMonitor {
  readonly changes: RouteChange[] = [];
  readonly #proc: ChildProcess;
  #stderr = '';

  constructor(reaper: Reaper, routerNs: string) {
    this.#proc = reaper.spawn('ip', ['-n', routerNs, '-ts', '-o', 'monitor', 'route']);
    this.#proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.#stderr += s));
    createInterface({ input: this.#proc.stdout! }).on('line', (line) => {
      const c = parseRouteChange(line);
      if (c) this.changes.push(c);
    });
  }

  /** Starts the monitor and proves it listens: a sentinel route added in the router is seen. */
  static async start(reaper: Reaper, routerNs: string): Promise<RouterMonitor> {
    const m = new RouterMonitor(reaper, routerNs);
    const sentinel = ['blackhole', '203.0.113.254/32', 'table', '197'];
    try {
      await waitFor('the router monitor to see its sentinel', async () => {
        if (m.#proc.exitCode !== null) throw new Error(`ip monitor exited: ${m.#stderr}`);
        await exec('ip', ['-n', routerNs, 'route', 'add', ...sentinel]);
        await exec('ip', ['-n', routerNs, 'route', 'del', ...sentinel]);
        return m.changes.some((c) => c.dst === '203.0.113.254');
      }, 5000, 100);
    } catch (e) {
      m.close();
      throw e;
    }
    return m;
  }

  /** Changes of `dst` from index `from` on. */
  of(dst: string, from = 0): RouteChange[] {
    return this.changes.slice(from).filter((c) => c.dst === dst);
  }

  /** The first moment from `sinceMs` on at which `dst` no longer had `gateway` as a next hop; undefined if never. */
  lostAt(dst: string, gateway: string, sinceMs = 0): number | undefined {
    return this.of(dst).find((c) => c.at >= sinceMs && (c.deleted ? c.gateways.includes(gateway) || c.gateways.length === 0 : !c.gateways.includes(gateway)))?.at;
  }

  close(): void {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) {
      try {
        process.kill(this.#proc.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

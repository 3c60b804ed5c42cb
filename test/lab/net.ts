// The lab's wiring: network namespaces <prefix>router, <prefix>node1..N and
// <prefix>client. The nodes sit on one LAN — a bridge in the router's
// namespace, one veth per node — as servers sit on a rack's top-of-rack
// router; the client hangs off a second router port. IPv4 and IPv6
// everywhere (addresses without DAD, so nothing waits). The router forwards
// and hashes ECMP flows on layer 4 (fib_multipath_hash_policy=1), so flows
// from one client spread over the nodes.
//
//   client 10.199.0.2 ── r-client 10.199.0.1 ┐
//          fd00:199::2       fd00:199::1     │ router (forwarding, BIRD AS 65000)
//                          lan0 10.198.0.1  ─┤ bridge, ports r-node1..N
//                               fd00:198::1  │
//   nodeK eth0 10.198.0.(10+K), fd00:198::(10+K)  (agent, BIRD/FRR AS 65001, kube-lb0, kube-ipvs0)

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Reaper } from './reaper.ts';

export const exec = promisify(execFile);

export const ROUTER_V4 = '10.198.0.1';
export const ROUTER_V6 = 'fd00:198::1';
export const CLIENT_V4 = '10.199.0.2';
export const CLIENT_V6 = 'fd00:199::2';
export const ROUTER_AS = 65000;
export const NODE_AS = 65001;

export interface LabNode {
  /** Kubernetes Node name: node1, node2, … */
  readonly name: string;
  readonly ns: string;
  readonly v4: string;
  readonly v6: string;
}

export interface Network {
  readonly prefix: string;
  readonly router: string;
  readonly client: string;
  readonly nodes: readonly LabNode[];
}

/** `ip -n NS …args` → stdout. */
export async function ipn(ns: string, ...args: string[]): Promise<string> {
  return (await exec('ip', ['-n', ns, ...args], { maxBuffer: 64 << 20 })).stdout;
}

/** A command inside the namespace → stdout. */
export async function inNs(ns: string, cmd: string, ...args: string[]): Promise<string> {
  return (await exec('ip', ['netns', 'exec', ns, cmd, ...args], { maxBuffer: 64 << 20 })).stdout;
}

async function sysctl(ns: string, ...settings: string[]): Promise<void> {
  await inNs(ns, 'sysctl', '-q', '-w', ...settings);
}

/** A prefix no namespace on this machine uses yet: two labs (a demo and a test) never collide. */
export async function uniquePrefix(): Promise<string> {
  const existing = (await exec('ip', ['netns', 'list'])).stdout;
  for (;;) {
    const p = `klab-${randomBytes(3).toString('hex')}-`;
    if (!existing.includes(p)) return p;
  }
}

export function nodeAddresses(k: number): { v4: string; v6: string } {
  return { v4: `10.198.0.${10 + k}`, v6: `fd00:198::${10 + k}` };
}

async function addNs(reaper: Reaper, ns: string): Promise<void> {
  await exec('ip', ['netns', 'add', ns]);
  reaper.namespaces.add(ns);
  await ipn(ns, 'link', 'set', 'lo', 'up');
  // No duplicate address detection: addresses are usable at once.
  await sysctl(ns, 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
}

export async function buildNetwork(reaper: Reaper, prefix: string, nodeCount: number): Promise<Network> {
  const router = `${prefix}router`;
  const client = `${prefix}client`;
  const nodes: LabNode[] = [];
  for (let k = 1; k <= nodeCount; k++) nodes.push({ name: `node${k}`, ns: `${prefix}node${k}`, ...nodeAddresses(k) });

  await addNs(reaper, router);
  await sysctl(
    router,
    'net.ipv4.ip_forward=1',
    'net.ipv6.conf.all.forwarding=1',
    'net.ipv4.fib_multipath_hash_policy=1',
    'net.ipv6.fib_multipath_hash_policy=1',
  );
  await ipn(router, 'link', 'add', 'lan0', 'type', 'bridge');
  await ipn(router, 'addr', 'add', `${ROUTER_V4}/24`, 'dev', 'lan0');
  await ipn(router, 'addr', 'add', `${ROUTER_V6}/64`, 'dev', 'lan0', 'nodad');
  await ipn(router, 'link', 'set', 'lan0', 'up');

  await Promise.all(
    nodes.map(async (n) => {
      await addNs(reaper, n.ns);
      const port = `r-${n.name}`;
      await ipn(router, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.ns);
      await ipn(router, 'link', 'set', port, 'master', 'lan0', 'up');
      await ipn(n.ns, 'addr', 'add', `${n.v4}/24`, 'dev', 'eth0');
      await ipn(n.ns, 'addr', 'add', `${n.v6}/64`, 'dev', 'eth0', 'nodad');
      await ipn(n.ns, 'link', 'set', 'eth0', 'up');
      await ipn(n.ns, 'route', 'add', 'default', 'via', ROUTER_V4);
      await ipn(n.ns, '-6', 'route', 'add', 'default', 'via', ROUTER_V6);
    }),
  );

  await addNs(reaper, client);
  await ipn(router, 'link', 'add', 'r-client', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client);
  await ipn(router, 'addr', 'add', '10.199.0.1/24', 'dev', 'r-client');
  await ipn(router, 'addr', 'add', 'fd00:199::1/64', 'dev', 'r-client', 'nodad');
  await ipn(router, 'link', 'set', 'r-client', 'up');
  await ipn(client, 'addr', 'add', `${CLIENT_V4}/24`, 'dev', 'eth0');
  await ipn(client, 'addr', 'add', `${CLIENT_V6}/64`, 'dev', 'eth0', 'nodad');
  await ipn(client, 'link', 'set', 'eth0', 'up');
  await ipn(client, 'route', 'add', 'default', 'via', '10.199.0.1');
  await ipn(client, '-6', 'route', 'add', 'default', 'via', 'fd00:199::1');

  return { prefix, router, client, nodes };
}

/**
 * The VIPs as kube-proxy in IPVS mode holds them: every LoadBalancer IP as a
 * /32 or /128 address on an interface of its own (kube-proxy's `kube-ipvs0`
 * is a dummy; this kernel has no dummy driver, so a port-less bridge), so
 * the node accepts packets for them whichever node the router picks — and
 * whether or not this node announces them, as with kube-proxy. Like
 * kube-proxy's, the interface stays DOWN: the kernel still has local routes
 * for its addresses (both families), but routing daemons see no usable
 * connected route there. (Brought up, FRR's zebra would pick the connected
 * /32 on kube-ipvs0 over the same /32 on kube-lb0 or from table 198, and both
 * FRR variants then export nothing — found here, see the README.) The agent
 * never touches this interface; the routing daemons must not export it.
 */
export async function addServiceAddresses(ns: string, ips: readonly string[]): Promise<void> {
  await ipn(ns, 'link', 'add', 'kube-ipvs0', 'type', 'bridge');
  for (const ip of ips) {
    const v6 = ip.includes(':');
    await ipn(ns, 'addr', 'add', `${ip}/${v6 ? 128 : 32}`, 'dev', 'kube-ipvs0', ...(v6 ? ['nodad'] : []));
  }
}

export async function deleteNamespaces(reaper: Reaper, net: Network | null): Promise<void> {
  if (!net) return;
  for (const ns of [net.client, ...net.nodes.map((n) => n.ns), net.router]) {
    await exec('ip', ['netns', 'del', ns]).catch(() => {});
    reaper.namespaces.delete(ns);
  }
}

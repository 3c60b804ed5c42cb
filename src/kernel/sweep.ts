// Removing everything of ours at once: the boot phase on a fresh boot (nothing
// of ours can be valid yet) and `kube-lb-agent cleanup`. Ours: the routes in
// the table with our protocol — or with `protocol` when clearing another
// owner's leftovers (kube-vip's 248) — and the addresses on our interface
// (except the kernel's IPv6 link-local). Other protocols in the table, the
// main table, other interfaces: never. Deletes name the protocol, so the
// kernel itself refuses to delete anything else.

import { errnoName } from './errors.ts';
import { ensureInterface, getLink, removeInterface, type InterfaceState, type KernelLog } from './interface.ts';
import type { ObservedAddress, ObservedRoute } from './observed.ts';
import type { KernelSettings } from './settings.ts';
import { RtnlSocket } from './socket.ts';
import { Packer } from './packer.ts';
import { dumpAddresses, dumpRoutes } from './dump.ts';
import { packDelAddress, packDelRoute, type LinkFields } from './wire.ts';

export interface SweepOptions {
  readonly interfaceName: string;
  readonly table: number;
  /** Routes of this protocol in the table are removed. */
  readonly protocol: number;
  /** Also delete the interface itself. */
  readonly removeInterface?: boolean;
  /** Leave the addresses alone (clearing another owner's routes only). */
  readonly keepAddresses?: boolean;
  readonly timeoutMs?: number;
}

export interface SweepReport {
  readonly routes: readonly ObservedRoute[];
  readonly addresses: readonly ObservedAddress[];
  readonly interfaceRemoved: boolean;
  /** Deletes the kernel refused (other than "already gone"). */
  readonly failed: readonly { readonly what: string; readonly errno: string }[];
}

export interface Holdings {
  /** The interface; undefined when it does not exist. */
  readonly link: LinkFields | undefined;
  /** Routes of the protocol in the table. */
  readonly routes: readonly ObservedRoute[];
  /** Routes of other protocols in the table: not ours. */
  readonly otherRoutes: readonly ObservedRoute[];
  /** Addresses on the interface, except the kernel's IPv6 link-local one. */
  readonly addresses: readonly ObservedAddress[];
}

/** What is ours in the kernel (and what else is in our table), read only: one dump each. */
export async function listOwned(opts: { interfaceName: string; table: number; protocol: number; timeoutMs?: number }): Promise<Holdings> {
  const sock = new RtnlSocket(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {});
  try {
    return await readHoldings(sock, opts, true);
  } finally {
    sock.close();
  }
}

async function readHoldings(sock: RtnlSocket, opts: { interfaceName: string; table: number; protocol: number }, withAddresses: boolean): Promise<Holdings> {
  const routes: ObservedRoute[] = [];
  const otherRoutes: ObservedRoute[] = [];
  await dumpRoutes(sock, opts.table, (r) => (r.protocol === opts.protocol ? routes : otherRoutes).push(r));
  const link = await getLink(sock, opts.interfaceName);
  const addresses: ObservedAddress[] = [];
  if (link && withAddresses) await dumpAddresses(sock, link.index, (a) => !a.linkLocal && addresses.push(a));
  return { link, routes, otherRoutes, addresses };
}

export async function sweep(opts: SweepOptions): Promise<SweepReport> {
  const sock = new RtnlSocket(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {});
  try {
    const held = await readHoldings(sock, opts, !opts.keepAddresses);
    const routes = held.routes;
    const addresses = [...held.addresses];
    // IPv4 secondaries go with their primary unless promote_secondaries: delete secondaries first.
    addresses.sort((a, b) => (b.flags & 1) - (a.flags & 1));
    const msgs = new Packer();
    for (const r of routes) packDelRoute(msgs, r); // decoded from the kernel: always encodable
    for (const a of addresses) packDelAddress(msgs, a);
    const results = msgs.count ? await sock.batch(msgs, `deleting ${msgs.count} routes and addresses`) : new Int32Array(0);
    const failed: { what: string; errno: string }[] = [];
    const removedRoutes: ObservedRoute[] = [];
    const removedAddresses: ObservedAddress[] = [];
    routes.forEach((r, i) => {
      const code = results[i]!;
      if (code === 0) removedRoutes.push(r);
      else if (errnoName(code) !== 'ESRCH') failed.push({ what: describeRoute(r), errno: errnoName(code) });
    });
    addresses.forEach((a, j) => {
      const code = results[routes.length + j]!;
      if (code === 0) removedAddresses.push(a);
      else if (errnoName(code) !== 'EADDRNOTAVAIL') failed.push({ what: describeAddress(a, opts.interfaceName), errno: errnoName(code) });
    });
    const interfaceRemoved = opts.removeInterface ? await removeInterface(sock, opts.interfaceName) : false;
    return { routes: removedRoutes, addresses: removedAddresses, interfaceRemoved, failed };
  } finally {
    sock.close();
  }
}

export function describeRoute(r: ObservedRoute): string {
  return `route ${r.dst}/${r.prefix} table ${r.table} proto ${r.protocol} metric ${r.metric}${r.tos ? ` tos ${r.tos}` : ''}`;
}

export function describeAddress(a: ObservedAddress, ifname: string): string {
  return `address ${a.ip}/${a.prefix} dev ${ifname}`;
}

export interface BootKernelReport {
  /** What a fresh boot's sweep removed (undefined on a restart within the same boot: everything is kept). */
  readonly swept: SweepReport | undefined;
  readonly interface: InterfaceState;
}

/**
 * The kernel part of the boot phase. Fresh boot: nothing of ours can be valid
 * yet, so every route of ours in the table and every address on the interface
 * goes. Either way the interface then exists and is up. No waiting: the
 * kernel answers at once (kube-vip sleeps a fixed 10 s before its cleanup).
 */
export async function bootKernel(settings: KernelSettings, fresh: boolean, log: KernelLog): Promise<BootKernelReport> {
  const swept = fresh
    ? await sweep({ interfaceName: settings.interfaceName, table: settings.table, protocol: settings.protocol, timeoutMs: settings.timeoutMs })
    : undefined;
  if (swept) {
    const removed = [...swept.routes.map(describeRoute), ...swept.addresses.map((a) => describeAddress(a, settings.interfaceName))];
    for (const what of removed.slice(0, 20)) log.info({ op: 'boot', reason: 'stale' }, `removed ${what}`);
    if (removed.length > 20) log.info({ op: 'boot', reason: 'stale' }, `... and ${removed.length - 20} more`);
    for (const f of swept.failed) log.warn({ op: 'boot', err: f.errno }, `could not remove ${f.what}`);
  }
  const sock = new RtnlSocket({ timeoutMs: settings.timeoutMs });
  try {
    const iface = await ensureInterface(sock, { name: settings.interfaceName, kind: settings.interfaceKind }, log);
    return { swept, interface: iface };
  } finally {
    sock.close();
  }
}

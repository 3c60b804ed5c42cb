// Removing everything of ours at once: the boot phase on a fresh boot (nothing
// of ours can be valid yet) and `kube-lb-agent cleanup`. Ours: the routes in
// the table with our protocol — or with `protocol` when clearing another
// owner's leftovers (kube-vip's 248) — and the addresses on our interface
// (except the kernel's IPv6 link-local). Other protocols in the table, the
// main table, other interfaces: never. Deletes name the protocol, so the
// kernel itself refuses to delete anything else.

import { errnoName } from './errors.ts';
import { getLink, removeInterface } from './interface.ts';
import type { ObservedAddress, ObservedRoute } from './observed.ts';
import { RtnlSocket } from './socket.ts';
import { decodeAddress, decodeRoute, encodeAddressDump, encodeDelAddress, encodeDelRoute, encodeRouteDump } from './wire.ts';

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

export async function sweep(opts: SweepOptions): Promise<SweepReport> {
  const sock = new RtnlSocket(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {});
  try {
    const routes: ObservedRoute[] = [];
    for (const family of [4, 6] as const) {
      await sock.dump(encodeRouteDump(family), `dumping IPv${family} routes`, (buf, off, len) => {
        const r = decodeRoute(buf, off, len, opts.table);
        if (r && r.protocol === opts.protocol) routes.push(r);
      });
    }
    const link = await getLink(sock, opts.interfaceName);
    const addresses: ObservedAddress[] = [];
    if (link && !opts.keepAddresses) {
      for (const family of [4, 6] as const) {
        await sock.dump(encodeAddressDump(family), `dumping IPv${family} addresses`, (buf, off, len) => {
          const a = decodeAddress(buf, off, len, link.index);
          if (a && !a.linkLocal) addresses.push(a);
        });
      }
    }
    // IPv4 secondaries go with their primary unless promote_secondaries: delete secondaries first.
    addresses.sort((a, b) => (b.flags & 1) - (a.flags & 1));
    const msgs: Buffer[] = [];
    for (const r of routes) msgs.push(encodeDelRoute(r)!);
    for (const a of addresses) msgs.push(encodeDelAddress(a)!);
    const results = msgs.length ? await sock.batch(msgs, `deleting ${msgs.length} routes and addresses`) : new Int32Array(0);
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

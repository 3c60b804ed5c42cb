// What the kernel holds of the agent's, read without the agent: for
// `kube-lb-agent status` when the agent does not answer. Read-only — one
// dump of routes and one of addresses, nothing written.
//
// Stand-in: this belongs in kernel/ as a `listOwned()` beside `sweep` (it is
// the sweep's dump without the deletes); it uses the kernel layer's socket
// and wire codec directly until kernel/ exports one.

import type { Link } from '../kernel/links.ts';
import { listOwned } from '../kernel/sweep.ts';
import type { AddressFields, RouteFields } from '../kernel/wire.ts';

export interface KernelReadOptions {
  readonly interfaceName: string;
  readonly table: number;
  readonly protocol: number;
  readonly timeoutMs?: number;
}

export interface KernelHoldings {
  /** The agent's interface; null when it does not exist. */
  readonly link: Link | null;
  /** Routes of `protocol` in `table`, sorted (IPv4 first). */
  readonly routes: readonly RouteFields[];
  /** Routes of other protocols in `table`: not ours, shown so nobody mistakes them for ours. */
  readonly otherRoutes: readonly RouteFields[];
  /** Addresses on the interface, except the kernel's IPv6 link-local one. */
  readonly addresses: readonly AddressFields[];
}

export async function readKernelHoldings(opts: KernelReadOptions): Promise<KernelHoldings> {
  const held = await listOwned({ ...opts, timeoutMs: opts.timeoutMs ?? 2000 });
  const link: Link | null = held.link
    ? { index: held.link.index, name: held.link.name, up: held.link.up, ...(held.link.kind ? { kind: held.link.kind } : {}) }
    : null;
  const byDst = (a: { family: number; dst?: string; ip?: string; prefix: number }, b: typeof a) =>
    a.family - b.family || compareAddress(a.dst ?? a.ip ?? '', b.dst ?? b.ip ?? '') || a.prefix - b.prefix;
  return {
    link,
    routes: [...held.routes].sort(byDst),
    otherRoutes: [...held.otherRoutes].sort(byDst),
    addresses: [...held.addresses].sort(byDst),
  };
}

/** Orders canonical IPv4 texts numerically; IPv6 texts as strings (good enough for a listing). */
function compareAddress(a: string, b: string): number {
  if (a.includes('.') && b.includes('.')) {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

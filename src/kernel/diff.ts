// Pure: the minimal list of kernel operations that turns what is observed
// into what is desired, touching only what is the agent's own.
//
// Ownership, enforced here and again by the kernel:
// - routes: only those in the table whose protocol is ours. A slot
//   (destination, metric) held by another owner's route is a conflict: we
//   neither add there (NLM_F_EXCL would fail anyway) nor replace it.
// - addresses: every address on the interface is ours (the kernel's IPv6
//   link-local never reaches the observed view).
//
// Order: route adds and replaces first (make before break); IPv6 address
// deletes before address adds (IPv6 refuses the same address twice with two
// prefix lengths); IPv4 address deletes after the adds (when an interface
// loses its last IPv4 address the kernel silently drops every IPv4 route
// through it, in every table: never pass through "none" on the way to
// "some"); route deletes last.

import type { DesiredAddress, DesiredRoute, KernelDesired } from './desired.ts';
import type { ObservedAddress, ObservedRoute, ObservedView } from './observed.ts';
import { IFA_F_NOPREFIXROUTE, RT_SCOPE_LINK, RTN_UNICAST } from './wire.ts';

export interface DiffSettings {
  readonly protocol: number;
  /** The interface's index: our routes point at it. */
  readonly ifindex: number;
  /** false: our addresses carry IFA_F_NOPREFIXROUTE (see desired.ts). */
  readonly prefixRouteInMain: boolean;
}

/** Route operations carry their routeKey (the maps' key string: not built again for 20,000 bookings). */
export type KernelOp =
  | { readonly kind: 'add-route'; readonly key: string; readonly route: DesiredRoute }
  /** Same slot, wrong attributes (interface, type, scope, gateway): replaced in place, no gap. */
  | { readonly kind: 'replace-route'; readonly key: string; readonly route: DesiredRoute; readonly was: ObservedRoute }
  | { readonly kind: 'delete-route'; readonly key: string; readonly route: ObservedRoute }
  | { readonly kind: 'add-address'; readonly address: DesiredAddress }
  /** Present with the wrong prefix-route flag. */
  | { readonly kind: 'replace-address'; readonly address: DesiredAddress; readonly was: ObservedAddress }
  | { readonly kind: 'delete-address'; readonly address: ObservedAddress };

export interface RouteConflict {
  readonly route: DesiredRoute;
  /** The other owner's route in the slot. */
  readonly holder: ObservedRoute;
}

export interface KernelDiff {
  readonly ops: readonly KernelOp[];
  readonly conflicts: readonly RouteConflict[];
}

/** Is this route of ours exactly as we write it? (IPv6 has no route scope: the kernel reports universe for all.) */
export function routeConforms(r: ObservedRoute, s: DiffSettings): boolean {
  return r.oif === s.ifindex && r.type === RTN_UNICAST && (r.family === 6 || r.scope === RT_SCOPE_LINK) && !r.gateway && !r.multipath;
}

export function addressConforms(a: ObservedAddress, s: DiffSettings): boolean {
  return ((a.flags & IFA_F_NOPREFIXROUTE) !== 0) === !s.prefixRouteInMain;
}

/** The whole diff: every desired and every observed key. */
export function diff(desired: KernelDesired, observed: ObservedView, s: DiffSettings): KernelDiff {
  const acc = new Accumulator();
  for (const [key, d] of desired.routes) routeSlot(key, d, observed.routes.get(key), s, acc);
  for (const [key, list] of observed.routes) if (!desired.routes.has(key)) routeSlot(key, undefined, list, s, acc);
  for (const [key, d] of desired.addresses) addressSlot(d, observed.addresses.get(key), s, acc);
  for (const [key, a] of observed.addresses) if (!desired.addresses.has(key)) addressSlot(undefined, a, s, acc);
  return acc.result();
}

/**
 * The diff restricted to some keys — those that changed in the desired state
 * or were touched in the kernel since the last pass. Equal to the whole diff
 * whenever every other key was already in sync (the reconciler's invariant);
 * costs O(keys), not O(table).
 */
export function diffKeys(
  desired: KernelDesired,
  observed: ObservedView,
  s: DiffSettings,
  routeKeys: Iterable<string>,
  addressKeys: Iterable<string>,
): KernelDiff {
  const acc = new Accumulator();
  for (const key of routeKeys) routeSlot(key, desired.routes.get(key), observed.routes.get(key), s, acc);
  for (const key of addressKeys) addressSlot(desired.addresses.get(key), observed.addresses.get(key), s, acc);
  return acc.result();
}

class Accumulator {
  readonly upserts: KernelOp[] = [];
  readonly routeDeletes: KernelOp[] = [];
  readonly addressDeletes6: KernelOp[] = [];
  readonly addressAdds: KernelOp[] = [];
  readonly addressDeletes4: KernelOp[] = [];
  readonly conflicts: RouteConflict[] = [];

  result(): KernelDiff {
    const ops = this.upserts;
    for (const op of this.addressDeletes6) ops.push(op);
    for (const op of this.addressAdds) ops.push(op);
    for (const op of this.addressDeletes4) ops.push(op);
    for (const op of this.routeDeletes) ops.push(op);
    return { ops, conflicts: this.conflicts };
  }
}

/** One destination: the desired route there (if any) against the routes the table holds there. */
function routeSlot(key: string, d: DesiredRoute | undefined, list: readonly ObservedRoute[] | undefined, s: DiffSettings, acc: Accumulator): void {
  if (d === undefined) {
    if (list !== undefined) for (const r of list) if (r.protocol === s.protocol) acc.routeDeletes.push({ kind: 'delete-route', key, route: r });
    return;
  }
  if (list === undefined) {
    acc.upserts.push({ kind: 'add-route', key, route: d });
    return;
  }
  let mine: ObservedRoute | undefined;
  let holder: ObservedRoute | undefined;
  for (const r of list) {
    const slot = r.metric === d.metric && r.tos === 0;
    if (r.protocol !== s.protocol) {
      if (slot) holder = r;
    } else if (slot && mine === undefined) {
      mine = r;
    } else {
      acc.routeDeletes.push({ kind: 'delete-route', key, route: r }); // ours, other metric or tos, or a duplicate
    }
  }
  if (mine !== undefined) {
    if (routeConforms(mine, s)) return;
    if (holder === undefined) {
      acc.upserts.push({ kind: 'replace-route', key, route: d, was: mine });
      return;
    }
    // A replace hits the slot's first route, which may be the other owner's: remove ours instead.
    acc.routeDeletes.push({ kind: 'delete-route', key, route: mine });
    acc.conflicts.push({ route: d, holder });
  } else if (holder !== undefined) {
    acc.conflicts.push({ route: d, holder });
  } else {
    acc.upserts.push({ kind: 'add-route', key, route: d });
  }
}

function addressSlot(d: DesiredAddress | undefined, a: ObservedAddress | undefined, s: DiffSettings, acc: Accumulator): void {
  if (d === undefined) {
    if (a !== undefined) (a.family === 4 ? acc.addressDeletes4 : acc.addressDeletes6).push({ kind: 'delete-address', address: a });
  } else if (a === undefined) {
    acc.addressAdds.push({ kind: 'add-address', address: d });
  } else if (!addressConforms(a, s)) {
    acc.addressAdds.push({ kind: 'replace-address', address: d, was: a });
  }
}

/** One line per operation, for logs and `cleanup`'s output. */
export function describeOp(op: KernelOp): string {
  switch (op.kind) {
    case 'add-route':
    case 'replace-route':
      return `${op.kind} ${op.route.dst}/${op.route.prefix} metric ${op.route.metric}`;
    case 'delete-route':
      return `delete-route ${op.route.dst}/${op.route.prefix} metric ${op.route.metric} proto ${op.route.protocol}`;
    case 'add-address':
    case 'replace-address':
    case 'delete-address':
      return `${op.kind} ${op.address.ip}/${op.address.prefix}`;
  }
}

// Turning a diff into netlink requests, and the kernel's answers back into
// the observed state. Encoding writes every request of a pass into one Packer;
// booking reads one answer per operation (an IPv4 replace-address is two
// requests: delete, then add) and says what the answers mean for the next pass.

import type { DesiredAddress, DesiredRoute } from './desired.ts';
import type { KernelOp } from './diff.ts';
import { errnoName } from './errors.ts';
import type { ObservedState, ObservedAddress, ObservedRoute } from './observed.ts';
import { Packer } from './packer.ts';
import {
  IFA_F_NOPREFIXROUTE,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  packDelAddress,
  packDelRoute,
  packNewAddress,
  packNewRoute,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RTN_UNICAST,
} from './wire.ts';

export interface ApplyTarget {
  readonly table: number;
  readonly protocol: number;
  readonly ifindex: number;
  readonly prefixRouteInMain: boolean;
}

export interface PassCounts {
  routesAdded: number;
  routesReplaced: number;
  routesDeleted: number;
  addressesAdded: number;
  addressesReplaced: number;
  addressesDeleted: number;
}

export function zeroCounts(): PassCounts {
  return { routesAdded: 0, routesReplaced: 0, routesDeleted: 0, addressesAdded: 0, addressesReplaced: 0, addressesDeleted: 0 };
}

export interface Encoded {
  readonly msgs: Packer;
  /** Per request: the index of its operation. */
  readonly opOf: readonly number[];
  /** Operations that could not be encoded (an address that is not one). */
  readonly invalid: readonly number[];
}

export function encodeOps(ops: readonly KernelOp[], t: ApplyTarget): Encoded {
  const target = { table: t.table, protocol: t.protocol, oif: t.ifindex };
  const ifaFlags = t.prefixRouteInMain ? 0 : IFA_F_NOPREFIXROUTE;
  const msgs = new Packer(Math.max(256, ops.length * 80));
  const opOf: number[] = [];
  const invalid: number[] = [];
  const packed = (i: number, ok: boolean) => {
    if (ok) opOf.push(i);
    else invalid.push(i);
    return ok;
  };
  const address = (a: { family: 4 | 6; ip: string; prefix: number }) => ({ family: a.family, ip: a.ip, prefix: a.prefix, ifindex: t.ifindex, ifaFlags });
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    switch (op.kind) {
      case 'add-route':
        packed(i, packNewRoute(msgs, op.route, target, NLM_F_CREATE | NLM_F_EXCL));
        break;
      case 'replace-route':
        packed(i, packNewRoute(msgs, op.route, target, NLM_F_CREATE | NLM_F_REPLACE));
        break;
      case 'delete-route':
        packed(i, packDelRoute(msgs, op.route));
        break;
      case 'add-address':
        packed(i, packNewAddress(msgs, address(op.address), NLM_F_CREATE | NLM_F_EXCL));
        break;
      case 'replace-address':
        // IPv6 changes an address's flags in place; IPv4 ignores them on replace: delete, add.
        if (op.address.family === 6) packed(i, packNewAddress(msgs, address(op.address), NLM_F_CREATE | NLM_F_REPLACE));
        else if (packed(i, packDelAddress(msgs, address(op.was)))) {
          if (!packed(i, packNewAddress(msgs, address(op.address), NLM_F_CREATE | NLM_F_EXCL))) opOf.pop(); // keep the delete's entry only
        }
        break;
      case 'delete-address':
        packed(i, packDelAddress(msgs, address(op.address)));
        break;
    }
  }
  return { msgs, opOf, invalid };
}

export interface Booked {
  /** Operations the kernel refused, by index, with its errno. */
  readonly refused: readonly { readonly index: number; readonly errno: string }[];
  /** An answer says the kernel holds what our view lacks (EEXIST on an add): dump again. */
  readonly stale: boolean;
  /** The interface is gone (ENODEV). */
  readonly gone: boolean;
}

/** Books the answers of `encodeOps(ops)` into `observed` and `counts`. */
export function bookAnswers(ops: readonly KernelOp[], enc: Encoded, results: Int32Array, observed: ObservedState, t: ApplyTarget, counts: PassCounts): Booked {
  const refused: { index: number; errno: string }[] = [];
  let stale = false;
  let gone = false;
  let settled = -1;
  const n = enc.opOf.length;
  for (let m = 0; m < n; m++) {
    const i = enc.opOf[m]!;
    if (i === settled) continue; // the second half of a delete+add whose first half failed
    if (m + 1 < n && enc.opOf[m + 1] === i && results[m] === 0) continue; // the first half of a delete+add
    settled = i;
    const errno = results[m]!;
    const outcome = book(ops[i]!, errno, observed, t, counts);
    if (outcome === 'stale') stale = true;
    else if (outcome === 'gone') gone = true;
    else if (outcome === 'refused') refused.push({ index: i, errno: errnoName(errno) });
  }
  return { refused, stale, gone };
}

function book(op: KernelOp, errno: number, observed: ObservedState, t: ApplyTarget, counts: PassCounts): 'done' | 'stale' | 'gone' | 'refused' {
  const name = errno === 0 ? '' : errnoName(errno);
  if (name === 'ENODEV') return 'gone';
  switch (op.kind) {
    case 'add-route':
    case 'replace-route':
      if (errno === 0) {
        observed.addRoute(ourRoute(op.route, t), op.kind === 'replace-route', op.key);
        if (op.kind === 'add-route') counts.routesAdded++;
        else counts.routesReplaced++;
        return 'done';
      }
      return name === 'EEXIST' || name === 'ENOENT' ? 'stale' : 'refused';
    case 'delete-route':
      if (errno === 0 || name === 'ESRCH') {
        observed.deleteRoute(op.route, op.key);
        if (errno === 0) counts.routesDeleted++;
        return 'done';
      }
      return 'refused';
    case 'add-address':
    case 'replace-address':
      if (errno === 0) {
        observed.addAddress(ourAddress(op.address, t));
        if (op.kind === 'add-address') counts.addressesAdded++;
        else counts.addressesReplaced++;
        return 'done';
      }
      return name === 'EEXIST' ? 'stale' : 'refused';
    case 'delete-address':
      if (errno === 0 || name === 'EADDRNOTAVAIL') {
        observed.deleteAddress(op.address);
        if (errno === 0) counts.addressesDeleted++;
        return 'done';
      }
      return 'refused';
  }
}

/** One of our routes as the kernel reports it once written. */
export function ourRoute(r: DesiredRoute, t: ApplyTarget): ObservedRoute {
  return {
    family: r.family,
    dst: r.dst,
    prefix: r.prefix,
    table: t.table,
    metric: r.metric,
    tos: 0,
    protocol: t.protocol,
    scope: r.family === 4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, // IPv6 routes have no scope
    type: RTN_UNICAST,
    oif: t.ifindex,
    gateway: false,
    multipath: false,
  };
}

export function ourAddress(a: DesiredAddress, t: ApplyTarget): ObservedAddress {
  return { family: a.family, ip: a.ip, prefix: a.prefix, ifindex: t.ifindex, flags: t.prefixRouteInMain ? 0 : IFA_F_NOPREFIXROUTE, scope: 0, linkLocal: false };
}

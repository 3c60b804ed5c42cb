// Route messages: the agent's own routes (new, replace, delete) and the
// decoding of dumps and notifications, fast-skipping other tables.

import { afOf, bytesOf, formatIp, type Family, AF_INET, AF_INET6 } from './ip.ts';
import type { Packer } from './packer.ts';
import { align4, attrIp, attrU32, header, NLM_F_DUMP, NLMSG_HDRLEN, RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE, single, u32 } from './wire-frame.ts';

// routes
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_MULTIPATH = 9;
const RTA_TABLE = 15;
export const RT_TABLE_COMPAT = 252;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
export const RTN_UNICAST = 1;
const RTMSG_LEN = 12;

export interface RouteKeyFields {
  readonly family: Family;
  /** Canonical network address. */
  readonly dst: string;
  readonly prefix: number;
  readonly table: number;
  readonly metric: number;
  readonly tos: number;
}

export interface RouteFields extends RouteKeyFields {
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  /** Output interface index; 0 = none (a gateway route, a blackhole, multipath). */
  readonly oif: number;
  readonly gateway: boolean;
  readonly multipath: boolean;
}

/** Where a new route goes: table, protocol, interface (shared by a whole batch: no object per route). */
export interface RouteTarget {
  readonly table: number;
  readonly protocol: number;
  readonly oif: number;
}

type RouteDst = { readonly family: Family; readonly dst: string; readonly prefix: number; readonly metric: number };

/** RTM_NEWROUTE for one of the agent's routes: unicast, scope link, `dev oif`, no gateway, TOS 0. */
export function encodeNewRoute(r: RouteDst & RouteTarget, flags: number): Buffer | undefined {
  return single((p) => packNewRoute(p, r, r, flags));
}

/** encodeNewRoute into a Packer; false (nothing added) when the destination is not an address of its family. */
export function packNewRoute(p: Packer, r: RouteDst, t: RouteTarget, flags: number): boolean {
  const n = bytesOf(r.family);
  const len = NLMSG_HDRLEN + RTMSG_LEN + 8 + (4 + n) + 8 + 8;
  const at = p.add(len);
  const buf = p.buf;
  header(buf, len, RTM_NEWROUTE, flags, at);
  rtmsg(buf, at, r.family, r.prefix, 0, t.table, t.protocol, RT_SCOPE_LINK, RTN_UNICAST);
  let off = attrU32(buf, at + NLMSG_HDRLEN + RTMSG_LEN, RTA_TABLE, t.table);
  off = attrIp(buf, off, RTA_DST, r.family, r.dst);
  if (off < 0) {
    p.dropLast();
    return false;
  }
  off = attrU32(buf, off, RTA_OIF, t.oif);
  attrU32(buf, off, RTA_PRIORITY, r.metric);
  return true;
}

/**
 * RTM_DELROUTE of exactly one route: table, destination, tos, metric and
 * protocol must all match, so the kernel itself refuses to delete another
 * owner's route even when our view of the table is stale.
 */
export function encodeDelRoute(r: RouteKeyFields & { protocol: number }): Buffer | undefined {
  return single((p) => packDelRoute(p, r));
}

export function packDelRoute(p: Packer, r: RouteKeyFields & { protocol: number }): boolean {
  const n = bytesOf(r.family);
  const len = NLMSG_HDRLEN + RTMSG_LEN + 8 + (4 + n) + 8;
  const at = p.add(len);
  const buf = p.buf;
  header(buf, len, RTM_DELROUTE, 0, at);
  rtmsg(buf, at, r.family, r.prefix, r.tos, r.table, r.protocol, RT_SCOPE_NOWHERE, 0); // scope NOWHERE and type 0: match any scope and type
  let off = attrU32(buf, at + NLMSG_HDRLEN + RTMSG_LEN, RTA_TABLE, r.table);
  off = attrIp(buf, off, RTA_DST, r.family, r.dst);
  if (off < 0) {
    p.dropLast();
    return false;
  }
  attrU32(buf, off, RTA_PRIORITY, r.metric);
  return true;
}

function rtmsg(buf: Buffer, at: number, family: Family, prefix: number, tos: number, table: number, protocol: number, scope: number, type: number): void {
  const o = at + NLMSG_HDRLEN;
  buf[o] = afOf(family);
  buf[o + 1] = prefix;
  buf[o + 2] = 0;
  buf[o + 3] = tos;
  buf[o + 4] = table < 256 ? table : RT_TABLE_COMPAT;
  buf[o + 5] = protocol;
  buf[o + 6] = scope;
  buf[o + 7] = type;
  u32(buf, o + 8, 0);
}

/** RTM_GETROUTE dump of one family (the kernel sends every table; we filter). */
export function encodeRouteDump(family: Family): Buffer {
  const len = NLMSG_HDRLEN + RTMSG_LEN;
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_GETROUTE, NLM_F_DUMP);
  buf[NLMSG_HDRLEN] = afOf(family);
  return buf;
}

/**
 * Decodes a route message if it is an IPv4/IPv6 route in `table`; undefined
 * otherwise (cheaply: most messages of a dump are in other tables).
 */
export function decodeRoute(buf: Buffer, off: number, len: number, table: number): RouteFields | undefined {
  const o = off + NLMSG_HDRLEN;
  if (len < NLMSG_HDRLEN + RTMSG_LEN) return undefined;
  const af = buf[o]!;
  if (af !== AF_INET && af !== AF_INET6) return undefined;
  const hdrTable = buf[o + 4]!;
  if (table < 256 && hdrTable !== table && hdrTable !== RT_TABLE_COMPAT) return undefined;
  const family: Family = af === AF_INET ? 4 : 6;
  let rtTable = hdrTable;
  let dst: string | undefined;
  let metric = 0;
  let oif = 0;
  let gateway = false;
  let multipath = false;
  const end = off + len;
  for (let a = o + RTMSG_LEN; a + 4 <= end; ) {
    const alen = buf.readUInt16LE(a);
    if (alen < 4 || a + alen > end) break;
    const atype = buf.readUInt16LE(a + 2) & 0x3fff;
    switch (atype) {
      case RTA_TABLE:
        rtTable = buf.readUInt32LE(a + 4);
        break;
      case RTA_DST:
        dst = formatIp(family, buf, a + 4);
        break;
      case RTA_PRIORITY:
        metric = buf.readUInt32LE(a + 4);
        break;
      case RTA_OIF:
        oif = buf.readUInt32LE(a + 4);
        break;
      case RTA_GATEWAY:
        gateway = true;
        break;
      case RTA_MULTIPATH:
        multipath = true;
        break;
    }
    a += align4(alen);
  }
  if (rtTable !== table) return undefined;
  return {
    family,
    dst: dst ?? (family === 4 ? '0.0.0.0' : '::'),
    prefix: buf[o + 1]!,
    table: rtTable,
    metric,
    tos: buf[o + 3]!,
    protocol: buf[o + 5]!,
    scope: buf[o + 6]!,
    type: buf[o + 7]!,
    oif,
    gateway,
    multipath,
  };
}


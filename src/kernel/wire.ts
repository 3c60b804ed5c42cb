// rtnetlink messages, encoded and decoded by hand: the netlink package's
// generic attribute codec costs microseconds per message, and a full
// reconcile or dump handles 20,000 of them. Only what the agent sends and
// reads is here: routes, addresses, links. Layouts: include/uapi/linux/
// netlink.h, rtnetlink.h, if_addr.h, if_link.h. Netlink is host-endian; the
// agent runs on little-endian machines (x86-64, arm64), checked at load.

import { endianness } from 'node:os';
import { afOf, bytesOf, formatIp, isLinkLocalV6, writeIp, type Family, AF_INET, AF_INET6 } from './ip.ts';
import { Packer } from './packer.ts';

if (endianness() !== 'LE') throw new Error('kernel/wire.ts encodes netlink little-endian; this machine is big-endian');

// nlmsghdr
export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

// message types
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

// multicast groups (RTNLGRP_*)
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;

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

// addresses
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;
const IFADDRMSG_LEN = 8;

// links
const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_AF_SPEC = 26;
const IFLA_INET_CONF = 1;
const IPV4_DEVCONF_PROMOTE_SECONDARIES = 20;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;
export const IFF_UP = 0x1;
const IFINFOMSG_LEN = 16;

const align4 = (n: number) => (n + 3) & ~3;

// ---- header ---------------------------------------------------------------

export interface Header {
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly port: number;
}

export function readHeader(buf: Buffer, off: number): Header {
  return {
    length: buf.readUInt32LE(off),
    type: buf.readUInt16LE(off + 4),
    flags: buf.readUInt16LE(off + 6),
    seq: buf.readUInt32LE(off + 8),
    port: buf.readUInt32LE(off + 12),
  };
}

/** Calls `visit(off, len, type)` for every message in a datagram; stops at a malformed length. */
export function forEachMessage(buf: Buffer, visit: (off: number, len: number, type: number) => void): void {
  for (let off = 0; off + NLMSG_HDRLEN <= buf.length; ) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) return;
    visit(off, len, buf.readUInt16LE(off + 4));
    off += align4(len);
  }
}

/** The errno of an NLMSG_ERROR message (0 = ACK), positive. */
export function readErrorCode(buf: Buffer, off: number): number {
  return -buf.readInt32LE(off + NLMSG_HDRLEN);
}

/** The sequence number of the request an NLMSG_ERROR answers (the copy of its header). */
export function readErrorSeq(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + NLMSG_HDRLEN + 4 + 8);
}

// Plain byte stores: Buffer#writeUInt32LE's checks cost more than the
// encoding itself at 20,000 messages.
function u16(buf: Buffer, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
}

function u32(buf: Buffer, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}

/** Writes seq and port (and extra flags) into the message at `off`. */
export function stamp(buf: Buffer, seq: number, port: number, flags = 0, off = 0): void {
  u32(buf, off + 8, seq);
  u32(buf, off + 12, port);
  if (flags) u16(buf, off + 6, (buf[off + 6]! | (buf[off + 7]! << 8)) | flags);
}

function header(buf: Buffer, length: number, type: number, flags: number, off = 0): void {
  u32(buf, off, length);
  u16(buf, off + 4, type);
  u16(buf, off + 6, flags | NLM_F_REQUEST);
  u32(buf, off + 8, 0);
  u32(buf, off + 12, 0);
}

function attrU32(buf: Buffer, off: number, type: number, value: number): number {
  u16(buf, off, 8);
  u16(buf, off + 2, type);
  u32(buf, off + 4, value >>> 0);
  return off + 8;
}

function attrIp(buf: Buffer, off: number, type: number, family: Family, text: string): number {
  const n = bytesOf(family);
  u16(buf, off, 4 + n);
  u16(buf, off + 2, type);
  if (!writeIp(text, family, buf, off + 4)) return -1;
  return off + 4 + n;
}

/** One message from a pack* function, as its own Buffer (undefined when the input was invalid). */
function single(pack: (p: Packer) => boolean): Buffer | undefined {
  const p = new Packer(128);
  return pack(p) ? p.buf.subarray(0, p.length) : undefined;
}

// ---- routes -----------------------------------------------------------------

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

// ---- addresses --------------------------------------------------------------

export interface AddressFields {
  readonly family: Family;
  /** Canonical address. */
  readonly ip: string;
  readonly prefix: number;
  readonly ifindex: number;
  /** IFA_F_* (from IFA_FLAGS when present: it carries the bits above 0xff). */
  readonly flags: number;
  readonly scope: number;
  /** IPv6 link-local (fe80::/10): the kernel's, not ours. */
  readonly linkLocal: boolean;
}

type AddressSpec = { family: Family; ip: string; prefix: number; ifindex: number };

/** RTM_NEWADDR: permanent, no DAD (usable at once), `ifaFlags` added (NOPREFIXROUTE). */
export function encodeNewAddress(a: AddressSpec & { ifaFlags: number }, flags: number): Buffer | undefined {
  return single((p) => packNewAddress(p, a, flags));
}

export function packNewAddress(p: Packer, a: AddressSpec & { ifaFlags: number }, flags: number): boolean {
  return packAddress(p, RTM_NEWADDR, flags, a, a.ifaFlags | IFA_F_PERMANENT | (a.family === 6 ? IFA_F_NODAD : 0));
}

export function encodeDelAddress(a: AddressSpec): Buffer | undefined {
  return single((p) => packDelAddress(p, a));
}

export function packDelAddress(p: Packer, a: AddressSpec): boolean {
  return packAddress(p, RTM_DELADDR, 0, a, -1);
}

function packAddress(p: Packer, type: number, flags: number, a: AddressSpec, ifaFlags: number): boolean {
  const n = bytesOf(a.family);
  // IPv4: IFA_LOCAL is the address, IFA_ADDRESS the peer (the same on a non-point-to-point link).
  const addrAttrs = a.family === 4 ? 2 : 1;
  const len = NLMSG_HDRLEN + IFADDRMSG_LEN + addrAttrs * (4 + n) + (ifaFlags >= 0 ? 8 : 0);
  const at = p.add(len);
  const buf = p.buf;
  header(buf, len, type, flags, at);
  const o = at + NLMSG_HDRLEN;
  buf[o] = afOf(a.family);
  buf[o + 1] = a.prefix;
  buf[o + 2] = ifaFlags >= 0 ? ifaFlags & 0xff : 0;
  buf[o + 3] = 0; // scope universe
  u32(buf, o + 4, a.ifindex);
  let off = attrIp(buf, o + IFADDRMSG_LEN, IFA_ADDRESS, a.family, a.ip);
  if (off >= 0 && a.family === 4) off = attrIp(buf, off, IFA_LOCAL, a.family, a.ip);
  if (off < 0) {
    p.dropLast();
    return false;
  }
  if (ifaFlags >= 0) attrU32(buf, off, IFA_FLAGS, ifaFlags);
  return true;
}

export function encodeAddressDump(family: Family): Buffer {
  const len = NLMSG_HDRLEN + IFADDRMSG_LEN;
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_GETADDR, NLM_F_DUMP);
  buf[NLMSG_HDRLEN] = afOf(family);
  return buf;
}

/** Decodes an address message if it is an IPv4/IPv6 address on `ifindex` (0 = any). */
export function decodeAddress(buf: Buffer, off: number, len: number, ifindex: number): AddressFields | undefined {
  const o = off + NLMSG_HDRLEN;
  if (len < NLMSG_HDRLEN + IFADDRMSG_LEN) return undefined;
  const af = buf[o]!;
  if (af !== AF_INET && af !== AF_INET6) return undefined;
  const index = buf.readUInt32LE(o + 4);
  if (ifindex !== 0 && index !== ifindex) return undefined;
  const family: Family = af === AF_INET ? 4 : 6;
  let flags = buf[o + 2]!;
  let local = -1;
  let address = -1;
  const end = off + len;
  for (let a = o + IFADDRMSG_LEN; a + 4 <= end; ) {
    const alen = buf.readUInt16LE(a);
    if (alen < 4 || a + alen > end) break;
    const atype = buf.readUInt16LE(a + 2) & 0x3fff;
    if (atype === IFA_LOCAL) local = a + 4;
    else if (atype === IFA_ADDRESS) address = a + 4;
    else if (atype === IFA_FLAGS) flags = buf.readUInt32LE(a + 4);
    a += align4(alen);
  }
  const at = local >= 0 ? local : address;
  if (at < 0) return undefined;
  return {
    family,
    ip: formatIp(family, buf, at),
    prefix: buf[o + 1]!,
    ifindex: index,
    flags,
    scope: buf[o + 3]!,
    linkLocal: family === 6 && isLinkLocalV6(buf, at),
  };
}

// ---- links ------------------------------------------------------------------

export interface LinkFields {
  readonly index: number;
  readonly name: string;
  /** IFLA_INFO_KIND: dummy, bridge, ...; undefined for devices without one. */
  readonly kind: string | undefined;
  readonly up: boolean;
  /** ifi_family: 0 for the link itself; AF_INET6 for IPv6 per-device news. */
  readonly family: number;
}

function attrString(buf: Buffer, off: number, type: number, s: string): number {
  const bytes = Buffer.byteLength(s);
  buf.writeUInt16LE(4 + bytes + 1, off);
  buf.writeUInt16LE(type, off + 2);
  buf.write(s, off + 4);
  buf[off + 4 + bytes] = 0;
  buf.fill(0, off + 4 + bytes + 1, off + align4(4 + bytes + 1));
  return off + align4(4 + bytes + 1);
}

function ifinfomsg(buf: Buffer, index: number, flags: number, change: number): void {
  const o = NLMSG_HDRLEN;
  buf.fill(0, o, o + 4);
  buf.writeInt32LE(index, o + 4);
  buf.writeUInt32LE(flags, o + 8);
  buf.writeUInt32LE(change, o + 12);
}

/** RTM_GETLINK of one link by name (ENODEV when there is none). */
export function encodeGetLink(name: string): Buffer {
  const len = NLMSG_HDRLEN + IFINFOMSG_LEN + align4(4 + Buffer.byteLength(name) + 1);
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_GETLINK, 0);
  ifinfomsg(buf, 0, 0, 0);
  attrString(buf, NLMSG_HDRLEN + IFINFOMSG_LEN, IFLA_IFNAME, name);
  return buf;
}

export function encodeLinkDump(): Buffer {
  const len = NLMSG_HDRLEN + IFINFOMSG_LEN;
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_GETLINK, NLM_F_DUMP);
  return buf;
}

/** RTM_NEWLINK creating `name` of `kind` (fails with EEXIST if it exists, EOPNOTSUPP without the driver). */
export function encodeCreateLink(name: string, kind: string): Buffer {
  const nameLen = align4(4 + Buffer.byteLength(name) + 1);
  const kindLen = align4(4 + Buffer.byteLength(kind) + 1);
  const len = NLMSG_HDRLEN + IFINFOMSG_LEN + nameLen + 4 + kindLen;
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg(buf, 0, 0, 0);
  let off = attrString(buf, NLMSG_HDRLEN + IFINFOMSG_LEN, IFLA_IFNAME, name);
  buf.writeUInt16LE(4 + kindLen, off);
  buf.writeUInt16LE(IFLA_LINKINFO, off + 2);
  attrString(buf, off + 4, IFLA_INFO_KIND, kind);
  return buf;
}

/**
 * RTM_NEWLINK on an existing link: IPv4 promote_secondaries on (deleting the
 * primary address of an aggregated prefix must not take the others with it),
 * IPv6 addr_gen_mode none (no link-local: the interface carries only the
 * agent's addresses). Not `up`: the kernel applies flags before these, and an
 * interface that comes up first has its link-local address already; bring it
 * up with encodeSetLinkUp afterwards.
 */
export function encodeConfigureLink(index: number): Buffer {
  // IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF { [PROMOTE_SECONDARIES] = 1 } }, AF_INET6 { IFLA_INET6_ADDR_GEN_MODE = NONE } }
  const inetConf = 4 + 8;
  const inet = 4 + inetConf;
  const inet6 = 4 + 8; // u8 attribute padded to 8
  const afSpec = 4 + inet + inet6;
  const len = NLMSG_HDRLEN + IFINFOMSG_LEN + afSpec;
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_NEWLINK, 0);
  ifinfomsg(buf, index, 0, 0);
  let off = NLMSG_HDRLEN + IFINFOMSG_LEN;
  const nest = (type: number, size: number) => {
    buf.writeUInt16LE(size, off);
    buf.writeUInt16LE(type | 0x8000, off + 2); // NLA_F_NESTED
    off += 4;
  };
  nest(IFLA_AF_SPEC, afSpec);
  nest(AF_INET, inet);
  nest(IFLA_INET_CONF, inetConf);
  off = attrU32(buf, off, IPV4_DEVCONF_PROMOTE_SECONDARIES, 1);
  nest(AF_INET6, inet6);
  buf.writeUInt16LE(5, off);
  buf.writeUInt16LE(IFLA_INET6_ADDR_GEN_MODE, off + 2);
  buf[off + 4] = IN6_ADDR_GEN_MODE_NONE;
  return buf;
}

/** RTM_NEWLINK setting IFF_UP. */
export function encodeSetLinkUp(index: number): Buffer {
  const len = NLMSG_HDRLEN + IFINFOMSG_LEN;
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_NEWLINK, 0);
  ifinfomsg(buf, index, IFF_UP, IFF_UP);
  return buf;
}

export function encodeDelLink(index: number): Buffer {
  const len = NLMSG_HDRLEN + IFINFOMSG_LEN;
  const buf = Buffer.alloc(len);
  header(buf, len, RTM_DELLINK, 0);
  ifinfomsg(buf, index, 0, 0);
  return buf;
}

export function decodeLink(buf: Buffer, off: number, len: number): LinkFields | undefined {
  const o = off + NLMSG_HDRLEN;
  if (len < NLMSG_HDRLEN + IFINFOMSG_LEN) return undefined;
  let name = '';
  let kind: string | undefined;
  const end = off + len;
  for (let a = o + IFINFOMSG_LEN; a + 4 <= end; ) {
    const alen = buf.readUInt16LE(a);
    if (alen < 4 || a + alen > end) break;
    const atype = buf.readUInt16LE(a + 2) & 0x3fff;
    if (atype === IFLA_IFNAME) name = cString(buf, a + 4, a + alen);
    else if (atype === IFLA_LINKINFO) {
      for (let b = a + 4; b + 4 <= a + alen; ) {
        const blen = buf.readUInt16LE(b);
        if (blen < 4 || b + blen > a + alen) break;
        if ((buf.readUInt16LE(b + 2) & 0x3fff) === IFLA_INFO_KIND) kind = cString(buf, b + 4, b + blen);
        b += align4(blen);
      }
    }
    a += align4(alen);
  }
  return { index: buf.readInt32LE(o + 4), name, kind, up: (buf.readUInt32LE(o + 8) & IFF_UP) !== 0, family: buf[o]! };
}

function cString(buf: Buffer, start: number, end: number): string {
  let z = start;
  while (z < end && buf[z] !== 0) z++;
  return buf.toString('utf8', start, z);
}

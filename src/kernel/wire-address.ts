// Address messages: the agent's addresses on its interface (new, replace,
// delete) and the decoding of dumps and notifications.

import { afOf, bytesOf, formatIp, isLinkLocalV6, type Family, AF_INET, AF_INET6 } from './ip.ts';
import type { Packer } from './packer.ts';
import { align4, attrIp, attrU32, header, NLM_F_DUMP, NLMSG_HDRLEN, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR, single, u32 } from './wire-frame.ts';

// addresses
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;
const IFADDRMSG_LEN = 8;

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


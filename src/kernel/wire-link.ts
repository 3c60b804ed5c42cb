// Link messages: look up, create, configure, bring up and delete the agent's
// interface, and decode link dumps and notifications.

import { AF_INET, AF_INET6 } from './ip.ts';
import { align4, attrU32, header, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLMSG_HDRLEN, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK } from './wire-frame.ts';

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


// The netlink frame: header, flags, message types, multicast groups, the
// attribute helpers the message codecs share, and `single` for one-off
// messages. Netlink is host-endian; the agent runs on little-endian machines
// (x86-64, arm64), checked at load.

import { endianness } from 'node:os';
import { bytesOf, writeIp, type Family } from './ip.ts';
import { Packer } from './packer.ts';

if (endianness() !== 'LE') throw new Error('kernel/wire-frame.ts encodes netlink little-endian; this machine is big-endian');

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

export const align4 = (n: number) => (n + 3) & ~3;

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
export function u16(buf: Buffer, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
}

export function u32(buf: Buffer, off: number, v: number): void {
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

export function header(buf: Buffer, length: number, type: number, flags: number, off = 0): void {
  u32(buf, off, length);
  u16(buf, off + 4, type);
  u16(buf, off + 6, flags | NLM_F_REQUEST);
  u32(buf, off + 8, 0);
  u32(buf, off + 12, 0);
}

export function attrU32(buf: Buffer, off: number, type: number, value: number): number {
  u16(buf, off, 8);
  u16(buf, off + 2, type);
  u32(buf, off + 4, value >>> 0);
  return off + 8;
}

export function attrIp(buf: Buffer, off: number, type: number, family: Family, text: string): number {
  const n = bytesOf(family);
  u16(buf, off, 4 + n);
  u16(buf, off + 2, type);
  if (!writeIp(text, family, buf, off + 4)) return -1;
  return off + 4 + n;
}

/** One message from a pack* function, as its own Buffer (undefined when the input was invalid). */
export function single(pack: (p: Packer) => boolean): Buffer | undefined {
  const p = new Packer(128);
  return pack(p) ? p.buf.subarray(0, p.length) : undefined;
}

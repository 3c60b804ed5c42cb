// IP addresses between their canonical text (the planner's: dotted quad,
// RFC 5952 for IPv6, as config/cidr.ts's formatIp writes them) and the bytes
// netlink carries. Written for the hot path: 20,000 routes are parsed and
// formatted on every full reconcile or dump, so no bigint, no regex, no arrays.

export type Family = 4 | 6;

export const AF_INET = 2;
export const AF_INET6 = 10;

export function bytesOf(family: Family): 4 | 16 {
  return family === 4 ? 4 : 16;
}

export function afOf(family: Family): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/**
 * Writes the address `text` into `out` at `offset` (4 or 16 bytes, network
 * order). Returns false, writing nothing useful, when `text` is not an address
 * of `family`.
 */
export function writeIp(text: string, family: Family, out: Uint8Array, offset: number): boolean {
  return family === 4 ? writeIpv4(text, out, offset) : writeIpv6(text, out, offset);
}

function writeIpv4(text: string, out: Uint8Array, offset: number): boolean {
  let octet = -1;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // end acts as a final '.'
    if (c === 46) {
      if (digits === 0 || n > 3) return false;
      out[offset + n] = octet;
      n++;
      octet = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return false; // leading zero: some tools read it as octal
      octet = (octet < 0 ? 0 : octet) * 10 + (c - 48);
      if (octet > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return n === 4;
}

const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 128; c++) {
  if (c >= 48 && c <= 57) HEX[c] = c - 48;
  else if (c >= 97 && c <= 102) HEX[c] = c - 87;
  else if (c >= 65 && c <= 70) HEX[c] = c - 55;
}

function hexValue(c: number): number {
  return c < 128 ? HEX[c]! : -1;
}

// Scratch space: writeIpv6 runs 10,000 times per full reconcile; no allocation per call.
const GROUPS = new Uint16Array(8);
const V4 = new Uint8Array(4);

function writeIpv6(text: string, out: Uint8Array, offset: number): boolean {
  const groups = GROUPS;
  let count = 0;
  let gap = -1; // index in `groups` where '::' stands
  let i = 0;
  const len = text.length;
  if (len < 2) return false;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === len) {
      out.fill(0, offset, offset + 16);
      return true;
    }
  }
  while (i < len) {
    if (count === 8) return false;
    const start = i;
    let value = 0;
    let digits = 0;
    while (i < len) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = (value << 4) | h;
      if (++digits > 4) return false;
      i++;
    }
    if (i < len && text.charCodeAt(i) === 46) {
      // An embedded IPv4 tail (::ffff:192.0.2.1) takes the last two groups.
      if (count > 6 || !writeIpv4(text.slice(start), V4, 0)) return false;
      groups[count++] = (V4[0]! << 8) | V4[1]!;
      groups[count++] = (V4[2]! << 8) | V4[3]!;
      break;
    }
    if (digits === 0) return false;
    groups[count++] = value;
    if (i === len) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < len && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === len) break;
    } else if (i === len) {
      return false; // a trailing single ':'
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const zeros = 8 - count;
  for (let g = 0, k = 0; g < 8; g++) {
    let v = 0;
    if (gap < 0 || g < gap) v = groups[k++]!;
    else if (g >= gap + zeros) v = groups[k++]!;
    out[offset + 2 * g] = v >> 8;
    out[offset + 2 * g + 1] = v & 255;
  }
  return true;
}

export function formatIp(family: Family, buf: Uint8Array, offset: number): string {
  return family === 4 ? formatIpv4(buf, offset) : formatIpv6(buf, offset);
}

export function formatIpv4(buf: Uint8Array, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** RFC 5952: lower-case hex, the longest run (first on a tie) of two or more zero groups as '::'. */
export function formatIpv6(buf: Uint8Array, offset: number): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let g = 0; g < 8; ) {
    if (buf[offset + 2 * g] !== 0 || buf[offset + 2 * g + 1] !== 0) {
      g++;
      continue;
    }
    let h = g;
    while (h < 8 && buf[offset + 2 * h] === 0 && buf[offset + 2 * h + 1] === 0) h++;
    if (h - g > bestLength) {
      bestStart = g;
      bestLength = h - g;
    }
    g = h;
  }
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? '::' : ':';
      g += bestLength - 1;
      continue;
    }
    s += ((buf[offset + 2 * g]! << 8) | buf[offset + 2 * g + 1]!).toString(16);
    if (g < 7) s += ':';
  }
  return s;
}

const SCRATCH = new Uint8Array(16);

/** The canonical text of `text`, or undefined when it is not an address of `family`. */
export function canonicalIp(text: string, family: Family): string | undefined {
  if (!writeIp(text, family, SCRATCH, 0)) return undefined;
  // A valid IPv4 text is canonical already (no leading zeros are accepted).
  return family === 4 ? text : formatIpv6(SCRATCH, 0);
}

/** The network address of `text/prefix` (host bits cleared), canonical; undefined when invalid. */
export function networkOf(text: string, family: Family, prefix: number): string | undefined {
  const b = new Uint8Array(16);
  if (!writeIp(text, family, b, 0)) return undefined;
  const n = bytesOf(family);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > n * 8) return undefined;
  for (let i = 0; i < n; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    b[i] = b[i]! & ((0xff00 >> keep) & 0xff);
  }
  return formatIp(family, b, 0);
}

/** IPv6 link-local (fe80::/10): the kernel's own, never an announcement. */
export function isLinkLocalV6(buf: Uint8Array, offset: number): boolean {
  return buf[offset] === 0xfe && (buf[offset + 1]! & 0xc0) === 0x80;
}

// IP addresses and CIDR prefixes, both families, parsed strictly and written
// back in one canonical form (RFC 5952 for IPv6), so that the same network is
// always the same string in the config, the logs and the kernel's view.

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address, canonical: `10.0.0.0`, `2001:db8::`. */
  readonly address: string;
  readonly prefix: number;
  /** `address/prefix`, canonical. */
  readonly text: string;
}

export type CidrResult = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly message: string };

const BITS = { 4: 32, 6: 128 } as const;

export function bitsOf(family: IpFamily): number {
  return BITS[family];
}

/** Parses an IPv4 or IPv6 address (no zone, no leading zeros in IPv4 octets). */
export function parseIp(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): IpAddress | undefined {
  const value = ipv4Value(text);
  return value === undefined ? undefined : { family: 4, value };
}

function ipv4Value(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // A leading zero is refused: some tools read 010 as octal 8.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): IpAddress | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    const parts = s.split(':');
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = ipv4Value(part);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(BigInt(`0x${part}`));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<bigint>(missing).fill(0n), ...tail];
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/** Parses `address/prefix`; the address must be the network address. */
export function parseCidr(text: string): CidrResult {
  const fail = (message: string): CidrResult => ({ ok: false, message });
  if (/^\s|\s$/.test(text)) return fail(`${JSON.stringify(text)} has spaces around it — remove them`);
  if (text.includes('-')) return fail(`${JSON.stringify(text)} is a range — write it as one or more CIDRs such as 192.0.2.0/24`);
  const slash = text.indexOf('/');
  if (slash < 0) {
    const ip = parseIp(text);
    if (!ip) return fail(`${JSON.stringify(text)} is not a CIDR — write address/prefix, such as 192.0.2.0/24 or 2001:db8::/64`);
    return fail(`${JSON.stringify(text)} has no prefix length — write ${formatIp(ip)}/${BITS[ip.family]} for this one address`);
  }
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip) {
    return fail(`${JSON.stringify(text.slice(0, slash))} is not an IPv4 or IPv6 address — write address/prefix, such as 192.0.2.0/24 or 2001:db8::/64`);
  }
  const max = BITS[ip.family];
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return fail(`prefix length ${JSON.stringify(prefixText)} in ${JSON.stringify(text)} is not valid for IPv${ip.family} — use 0..${max}`);
  }
  const prefix = Number(prefixText);
  if (ip.family === 6 && ip.value >> 32n === 0xffffn && prefix >= 96) {
    const v4 = formatIp({ family: 4, value: ip.value & 0xffffffffn });
    return fail(`${JSON.stringify(text)} is an IPv4-mapped IPv6 prefix — write the IPv4 form ${v4}/${prefix - 96}`);
  }
  const network = ip.value & mask(ip.family, prefix);
  const address = formatIp({ family: ip.family, value: network });
  if (network !== ip.value) {
    return fail(`${JSON.stringify(text)} has host bits set — write the network address ${address}/${prefix}`);
  }
  return { ok: true, cidr: { family: ip.family, address, prefix, text: `${address}/${prefix}` } };
}

// Parsing the network address again on every lookup would be wasteful in the
// planner's loop over thousands of IPs; Cidr objects are frozen, so cache by identity.
const networks = new WeakMap<Cidr, bigint>();

function networkOf(cidr: Cidr): bigint {
  let n = networks.get(cidr);
  if (n === undefined) {
    n = parseIp(cidr.address)!.value;
    networks.set(cidr, n);
  }
  return n;
}

/** True when `ip` (text or parsed) lies inside `cidr`; different families never match. */
export function cidrContains(cidr: Cidr, ip: string | IpAddress): boolean {
  const addr = typeof ip === 'string' ? parseIp(ip) : ip;
  if (!addr || addr.family !== cidr.family) return false;
  return (addr.value & mask(cidr.family, cidr.prefix)) === networkOf(cidr);
}

/** True when the two prefixes share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, shorter);
  return (networkOf(a) & m) === (networkOf(b) & m);
}

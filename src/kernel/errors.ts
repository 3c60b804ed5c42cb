// The one place where what the kernel and the netlink package say goes wrong
// becomes a typed error. The kernel answers a request with an errno; the
// package throws plain `Error("Request rejected: EEXIST")` or an ErrnoException
// with `code`; our own deadline says ETIMEDOUT. Callers branch on `errno`.

import { constants } from 'node:os';
import { AgentError } from '../errors.ts';

/** The errnos the kernel layer branches on; anything else is kept by name in `NetlinkError.name`. */
export type Errno =
  | 'EEXIST' // add of something that is there (NLM_F_EXCL)
  | 'ESRCH' // delete of a route that is not there
  | 'ENOENT' // replace of something that is not there
  | 'EADDRNOTAVAIL' // delete of an address that is not there
  | 'ENODEV' // the interface is gone
  | 'EOPNOTSUPP' // e.g. no driver for the link kind ("Unknown device type")
  | 'ENOBUFS' // a receive buffer overflowed: replies or notifications were lost
  | 'ETIMEDOUT' // no reply before our deadline
  | 'EPERM' // no CAP_NET_ADMIN
  | 'EINVAL'
  | 'ENETUNREACH'
  | 'EBADF' // the socket is closed
  | 'EOTHER';

const KNOWN: ReadonlySet<string> = new Set<Errno>([
  'EEXIST',
  'ESRCH',
  'ENOENT',
  'EADDRNOTAVAIL',
  'ENODEV',
  'EOPNOTSUPP',
  'ENOBUFS',
  'ETIMEDOUT',
  'EPERM',
  'EINVAL',
  'ENETUNREACH',
  'EBADF',
]);

// Some numbers have two names (EOPNOTSUPP = ENOTSUP, EAGAIN = EWOULDBLOCK): the first seen wins, the kernel's seeded first.
const NAMES = new Map<number, string>();
for (const name of ['EOPNOTSUPP', 'EAGAIN', ...Object.keys(constants.errno)]) {
  const n = (constants.errno as Record<string, number>)[name];
  if (n !== undefined && !NAMES.has(n)) NAMES.set(n, name);
}

export class NetlinkError extends AgentError {
  readonly errno: Errno;
  /** The system's name for the error (`EEXIST`, `EMSGSIZE`, ...), also for those outside `Errno`. */
  readonly sysName: string;
  constructor(what: string, sysName: string, options?: { cause?: unknown; detail?: string }) {
    super('NETLINK', `${what}: ${sysName}${options?.detail ? ` (${options.detail})` : ''}`, options);
    this.sysName = sysName;
    this.errno = KNOWN.has(sysName) ? (sysName as Errno) : 'EOTHER';
  }
}

export function isNetlinkError(e: unknown, errno?: Errno): e is NetlinkError {
  return e instanceof NetlinkError && (errno === undefined || e.errno === errno);
}

/** The name of a positive errno number (as the kernel puts it, negated, in NLMSG_ERROR). */
export function errnoName(n: number): string {
  return NAMES.get(n) ?? `errno ${n}`;
}

export function errnoFromNumber(n: number): Errno {
  const name = errnoName(n);
  return KNOWN.has(name) ? (name as Errno) : 'EOTHER';
}

/** Whatever the package or the kernel threw, as a NetlinkError. */
export function toNetlinkError(what: string, e: unknown): NetlinkError {
  if (e instanceof NetlinkError) return e;
  if (e instanceof Error) {
    const rejected = /^Request rejected: (\w+)$/.exec(e.message);
    if (rejected) return new NetlinkError(what, rejected[1]!, { cause: e });
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return new NetlinkError(what, code, { cause: e, detail: e.message });
    return new NetlinkError(what, 'EOTHER', { cause: e, detail: e.message });
  }
  return new NetlinkError(what, 'EOTHER', { detail: String(e) });
}

// The kernel's notifications of link, address and route changes (both
// families), on a socket of their own with a large receive buffer, decoded at
// the raw layer so that NEW and DEL stay apart (the package's high-level
// 'message' event loses that). Routes are passed on only for the agent's
// table; addresses and links all (they are few), for the owner to filter.
//
// An overflow (ENOBUFS) means notifications were lost — one event may stand
// for many lost messages, and until the socket's queue has been read empty
// the kernel drops more without saying so again (NETLINK_S_CONGESTED): the
// owner closes this monitor, opens a new one and dumps; it does not count.
// Listeners never throw into the addon (that would abort the process).

import { Protocol, RawNetlinkSocket } from 'netlink';
import { toNetlinkError, type NetlinkError } from './errors.ts';
import {
  decodeAddress,
  decodeLink,
  decodeRoute,
  forEachMessage,
  NLM_F_REPLACE,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV4_ROUTE,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_IPV6_ROUTE,
  RTNLGRP_LINK,
  type AddressFields,
  type LinkFields,
  type RouteFields,
} from './wire.ts';

export type ChangeOp = 'new' | 'del';

export interface MonitorEvents {
  /** A route in the table changed. `replace`: a NEWROUTE that replaced the route in its slot. `port`: the requester's netlink port (0 = the kernel). */
  route(op: ChangeOp, route: RouteFields, replace: boolean, port: number): void;
  address(op: ChangeOp, address: AddressFields): void;
  link(op: ChangeOp, link: LinkFields): void;
  /** The receive buffer overflowed: notifications were lost. */
  overflow(): void;
  /** The socket failed for good (not ENOBUFS); it is closed. */
  failed(e: NetlinkError): void;
}

export interface MonitorOptions {
  readonly table: number;
  /** Route notifications caused by requests from this netlink port are skipped undecoded (our own changes, already booked). */
  readonly ownPort?: () => number;
  /** SO_RCVBUF asked for; the kernel caps it at net.core.rmem_max times two. */
  readonly recvBufferSize?: number;
}

export const DEFAULT_MONITOR_BUFFER = 16 << 20;

export class Monitor {
  /** The receive buffer the kernel granted (bytes). */
  readonly recvBufferSize: number;
  readonly #raw: RawNetlinkSocket;
  readonly #events: MonitorEvents;
  readonly #table: number;
  readonly #ownPort: () => number;
  #closed = false;

  constructor(opts: MonitorOptions, events: MonitorEvents) {
    this.#events = events;
    this.#table = opts.table;
    this.#ownPort = opts.ownPort ?? (() => -1);
    try {
      this.#raw = new RawNetlinkSocket(Protocol.ROUTE, { recvBufferSize: opts.recvBufferSize ?? DEFAULT_MONITOR_BUFFER, sendBufferSize: 0 });
      for (const g of [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE]) this.#raw.addMembership(g);
      this.recvBufferSize = this.#raw.getRecvBufferSize();
    } catch (e) {
      throw toNetlinkError('opening the netlink monitor', e);
    }
    this.#raw.on('message', (buf: Buffer) => {
      try {
        this.#receive(buf);
      } catch (e) {
        this.#fail(toNetlinkError('decoding a netlink notification', e));
      }
    });
    this.#raw.on('truncatedMessage', () => this.#safe(() => this.#events.overflow()));
    this.#raw.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ENOBUFS') this.#safe(() => this.#events.overflow());
      else this.#fail(toNetlinkError('netlink monitor', err));
    });
    this.#raw.unref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#raw.close();
    } catch {
      // already closed by the addon
    }
  }

  #receive(buf: Buffer): void {
    forEachMessage(buf, (off, len, type) => {
      switch (type) {
        case RTM_NEWROUTE:
        case RTM_DELROUTE: {
          const port = buf.readUInt32LE(off + 12);
          if (port !== 0 && port === this.#ownPort()) break;
          const r = decodeRoute(buf, off, len, this.#table);
          if (r) this.#events.route(type === RTM_NEWROUTE ? 'new' : 'del', r, (buf.readUInt16LE(off + 6) & NLM_F_REPLACE) !== 0, port);
          break;
        }
        case RTM_NEWADDR:
        case RTM_DELADDR: {
          const a = decodeAddress(buf, off, len, 0);
          if (a) this.#events.address(type === RTM_NEWADDR ? 'new' : 'del', a);
          break;
        }
        case RTM_NEWLINK:
        case RTM_DELLINK: {
          const l = decodeLink(buf, off, len);
          if (l) this.#events.link(type === RTM_NEWLINK ? 'new' : 'del', l);
          break;
        }
      }
    });
  }

  #fail(e: NetlinkError): void {
    if (this.#closed) return;
    this.close();
    this.#safe(() => this.#events.failed(e));
  }

  #safe(fn: () => void): void {
    try {
      fn();
    } catch {
      // never throw into the addon; the owner's handlers log their own trouble
    }
  }
}

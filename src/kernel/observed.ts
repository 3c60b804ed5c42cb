// What the kernel holds, as far as the agent knows: every route in its table
// (its own and other owners', so that it never writes over theirs) and every
// address on its interface except the kernel's IPv6 link-local one. Filled by
// a full dump, then kept current by the monitor's NEW/DEL notifications and
// by the answers to the agent's own requests.

import type { AddressFields, RouteFields } from './wire.ts';
import { addressKey, routeKey } from './desired.ts';

export type ObservedRoute = RouteFields;
export type ObservedAddress = AddressFields;

export interface ObservedView {
  /** By routeKey(dst, prefix); usually one entry, more when metrics or owners differ. */
  readonly routes: ReadonlyMap<string, readonly ObservedRoute[]>;
  /** By addressKey(ip, prefix). */
  readonly addresses: ReadonlyMap<string, ObservedAddress>;
}

const sameSlot = (a: ObservedRoute, b: ObservedRoute) => a.metric === b.metric && a.tos === b.tos;
const sameRoute = (a: ObservedRoute, b: ObservedRoute) =>
  sameSlot(a, b) && a.protocol === b.protocol && a.oif === b.oif && a.type === b.type && a.gateway === b.gateway;

export class ObservedState implements ObservedView {
  readonly routes = new Map<string, ObservedRoute[]>();
  readonly addresses = new Map<string, ObservedAddress>();

  clear(): void {
    this.routes.clear();
    this.addresses.clear();
  }

  /**
   * A route that now exists. `replace`: the kernel replaced the route in the
   * same slot (NLM_F_REPLACE); otherwise it is one more route there, unless
   * it is the same one told again (the answer to our own request, then the
   * monitor's notification of it).
   */
  addRoute(r: ObservedRoute, replace: boolean, key = routeKey(r.dst, r.prefix)): void {
    const list = this.routes.get(key);
    if (!list) {
      this.routes.set(key, [r]);
      return;
    }
    const i = list.findIndex(replace ? (x) => sameSlot(x, r) : (x) => sameRoute(x, r));
    if (i >= 0) list[i] = r;
    else list.push(r);
  }

  deleteRoute(r: ObservedRoute, key = routeKey(r.dst, r.prefix)): void {
    const list = this.routes.get(key);
    if (!list) return;
    let i = list.findIndex((x) => sameRoute(x, r));
    if (i < 0) i = list.findIndex((x) => sameSlot(x, r) && x.protocol === r.protocol);
    if (i < 0) return;
    if (list.length === 1) this.routes.delete(key);
    else list.splice(i, 1);
  }

  addAddress(a: ObservedAddress): void {
    if (!a.linkLocal) this.addresses.set(addressKey(a.ip, a.prefix), a);
  }

  deleteAddress(a: { ip: string; prefix: number }): void {
    this.addresses.delete(addressKey(a.ip, a.prefix));
  }

  /** Routes of `protocol`, in key order of insertion. */
  routesOf(protocol: number): ObservedRoute[] {
    const out: ObservedRoute[] = [];
    for (const list of this.routes.values()) for (const r of list) if (r.protocol === protocol) out.push(r);
    return out;
  }
}

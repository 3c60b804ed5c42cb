// Full dumps: every route in a table (both families) and every address on an
// interface. The kernel sends every table (the package cannot ask for a
// strict, filtered dump), so the table filter runs here, cheaply, per message.

import type { RtnlSocket } from './socket.ts';
import { decodeAddress, decodeRoute, encodeAddressDump, encodeRouteDump, type AddressFields, type RouteFields } from './wire.ts';

export async function dumpRoutes(sock: RtnlSocket, table: number, visit: (r: RouteFields) => void): Promise<void> {
  for (const family of [4, 6] as const) {
    await sock.dump(encodeRouteDump(family), `dumping IPv${family} routes`, (buf, off, len) => {
      const r = decodeRoute(buf, off, len, table);
      if (r) visit(r);
    });
  }
}

/** Addresses on `ifindex`, the kernel's IPv6 link-local one included (`linkLocal` says which). */
export async function dumpAddresses(sock: RtnlSocket, ifindex: number, visit: (a: AddressFields) => void): Promise<void> {
  for (const family of [4, 6] as const) {
    await sock.dump(encodeAddressDump(family), `dumping IPv${family} addresses`, (buf, off, len) => {
      const a = decodeAddress(buf, off, len, ifindex);
      if (a) visit(a);
    });
  }
}

// The part of the Config the kernel layer reads, taken once. Importing this
// file does not load the netlink addon (commands that never touch the kernel
// must not pay for it, and the single executable loads it only once told
// where to extract it).

import type { Config } from '../config/index.ts';

/** Deadline of one netlink request unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;

export interface KernelSettings {
  readonly interfaceName: string;
  /** Link kind to create when the interface is missing (dummy, bridge). */
  readonly interfaceKind: string;
  readonly table: number;
  /** Our routes' protocol: the only routes in the table we touch. */
  readonly protocol: number;
  /** false: addresses get IFA_F_NOPREFIXROUTE and the prefix lives in our table only (see desired.ts). */
  readonly prefixRouteInMain: boolean;
  /** Deadline of one netlink request. */
  readonly timeoutMs: number;
}

export function kernelSettings(config: Config): KernelSettings {
  return Object.freeze({
    interfaceName: config.interface.name,
    interfaceKind: config.interface.kind,
    table: config.routing.table,
    protocol: config.routing.protocol,
    prefixRouteInMain: config.routing.prefixRouteInMain,
    timeoutMs: DEFAULT_TIMEOUT_MS,
  });
}

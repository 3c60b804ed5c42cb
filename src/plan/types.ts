// The planner's input and output. A Plan is data only: the kernel layer
// takes `announcements` whole, `explain` and `/status` show `decisions`, and
// the caller logs `warnings` (each once: log those new since the last plan).

import type { ServiceKey, Snapshot } from '../cluster/snapshot.ts';
import type { Config, IpFamily } from '../config/index.ts';
import type { PlanMemo } from './ips.ts';
import type { Reason } from './reasons.ts';

export interface PlanInput {
  readonly config: Config;
  readonly snapshot: Snapshot;
  /** This node's Kubernetes Node name. */
  readonly nodeName: string;
  /**
   * Nodes whose agent is alive (its Lease fresh, as the caller judges it);
   * null or absent = no Lease known, so a Node's Ready condition alone decides.
   * Only elections read it.
   */
  readonly liveAgents?: ReadonlySet<string> | null;
  /**
   * Also name the elected node on `not-elected` decisions under
   * `per-service`. Costs one hash per candidate node per IP, where the plan
   * itself stops at the first node that beats this one: for `explain`.
   */
  readonly nameWinners?: boolean;
  /**
   * Kept by a caller that plans again and again (the agent's loop), so IPs
   * unchanged since the last plan are not parsed again. Speed only: the plan
   * is the same without it.
   */
  readonly memo?: PlanMemo;
}

/** Where a Service IP comes from. */
export type IpSource = 'loadbalancer' | 'external' | 'cluster';

export interface Announcement {
  /** Canonical text (RFC 5952 for IPv6). */
  readonly ip: string;
  readonly prefix: 32 | 128;
  readonly family: IpFamily;
  /** The pool holding the IP: the kernel layer reads its aggregation for addresses. */
  readonly pool: string;
  /** The Services this node announces the IP for, sorted. */
  readonly services: readonly ServiceKey[];
}

export interface Decision {
  readonly service: ServiceKey;
  /** Canonical text when valid; as written when `invalid-ip`. */
  readonly ip: string;
  readonly source: IpSource;
  readonly announce: boolean;
  readonly reason: Reason;
  /** `shared-ip-conflict`: the sharing Services that cannot be served here, sorted. */
  readonly conflictsWith?: readonly ServiceKey[];
  /** `not-elected`: the node that announces the IP (always under `leader`; with `nameWinners` under `per-service`); null when no node is eligible. */
  readonly winner?: string | null;
}

export type WarningCode = 'invalid-ip' | 'ip-not-in-pool' | 'invalid-annotation' | 'node-unknown';

export interface PlanWarning {
  readonly code: WarningCode;
  /** Absent for node-wide warnings. */
  readonly service?: ServiceKey;
  readonly message: string;
}

export interface Plan {
  /**
   * False when the snapshot was not synced: the plan then announces nothing
   * and every decision is `waiting-for-sync`. The caller must not apply it as
   * a desired state — it keeps what the kernel holds.
   */
  readonly synced: boolean;
  /** Sorted: IPv4 before IPv6, then by address. */
  readonly announcements: readonly Announcement[];
  /** One per Service, IP and source considered; sorted by Service, address, source. */
  readonly decisions: readonly Decision[];
  /** Sorted by Service, then message. */
  readonly warnings: readonly PlanWarning[];
}

// What the agent knows about itself, as data: served as JSON on /status,
// read by `kube-lb-agent status` and `explain`, and the source of /readyz.
// The agent replaces the whole object after each change (a frozen snapshot);
// readers never see a half-updated state.

import type { BuildInfo } from '../build-info.ts';
import type { ApiStatus } from '../cluster/index.ts';
import type { Announcement, Decision } from '../plan/index.ts';

export type AgentPhase =
  /** Boot phase running: fresh boot vs restart, stale routes swept. */
  | 'booting'
  /** Kernel ready; the cluster view has not listed everything yet. Nothing new is announced, nothing withdrawn. */
  | 'syncing'
  /** Synced and the kernel holds what the last plan asked for. */
  | 'converged'
  /** The API is unreachable or a cache is relisting: what is announced stays as it is. */
  | 'holding'
  /** Shutting down (withdrawing or keeping, per the stop decision). */
  | 'stopping';

export interface GuardStatus {
  /** A withdrawal larger than safety.max_withdraw_fraction is being held. */
  readonly holding: boolean;
  /** Epoch ms when the held outcome was first seen; null when not holding. */
  readonly sinceMs: number | null;
  /** Epoch ms when it is applied if it persists; null when not holding. */
  readonly releaseAtMs: number | null;
  /** How many of the current announcements the held change would withdraw. */
  readonly wouldWithdraw: number;
  /** How many announcements are in the kernel now. */
  readonly current: number;
}

export interface KernelStatus {
  readonly interface: string;
  readonly table: number;
  readonly protocol: number;
  /** What the kernel holds of ours (from the reconciler's observed view). */
  readonly routes: number;
  readonly addresses: number;
  /** Epoch ms of the last completed reconcile; null before the first. */
  readonly lastReconcileMs: number | null;
  readonly lastError: string | null;
}

export interface LeaseStatusView {
  readonly name: string;
  readonly held: boolean;
  readonly lastRenewMs: number | null;
  readonly lastError: string | null;
}

export interface AgentStatus {
  readonly node: string;
  readonly build: BuildInfo;
  readonly startedAtMs: number;
  readonly phase: AgentPhase;
  readonly boot: { readonly kind: 'fresh' | 'same'; readonly why: string };
  readonly api: ApiStatus;
  /** Every informer has listed; withdrawals are allowed only when true. */
  readonly synced: boolean;
  readonly lease: LeaseStatusView | null;
  readonly guard: GuardStatus;
  readonly kernel: KernelStatus;
  /** What this node announces (the last applied plan; while holding, what the kernel keeps). */
  readonly announcements: readonly Announcement[];
  /** Every Service IP considered, with its reason (the last plan). */
  readonly decisions: readonly Decision[];
  /** Epoch ms of the last plan; null before the first. */
  readonly lastPlanMs: number | null;
}

export interface Readiness {
  readonly ready: boolean;
  /** Human-readable, one line: what /readyz prints. */
  readonly detail: string;
}

/**
 * /readyz: ready when synced and converged, and also while the API is down
 * but the kernel keeps serving what was announced (say which); not ready
 * while booting, before the first sync, with a reconcile failing, or stopping.
 */
export function readiness(s: AgentStatus): Readiness {
  if (s.phase === 'booting') return { ready: false, detail: 'booting' };
  if (s.phase === 'stopping') return { ready: false, detail: 'stopping' };
  if (s.kernel.lastError) return { ready: false, detail: `kernel: ${s.kernel.lastError}` };
  if (s.phase === 'syncing') return { ready: false, detail: `waiting for the cluster view to sync (API ${s.api.state})` };
  if (s.phase === 'holding') {
    return {
      ready: true,
      detail: `serving ${s.announcements.length} announcement(s) kept from the last synced view; API ${s.api.state}${s.api.lastError ? `: ${s.api.lastError}` : ''}`,
    };
  }
  const held = s.guard.holding ? `; holding a withdrawal of ${s.guard.wouldWithdraw} of ${s.guard.current}` : '';
  return { ready: true, detail: `synced and converged: ${s.announcements.length} announcement(s)${held}` };
}

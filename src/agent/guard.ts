// The guard against mass withdrawal. A plan that would withdraw more than
// `safety.max_withdraw_fraction` of what this node announces at once — the
// shape of an empty Service list from a broken RBAC rule, or a botched
// rollout — is held: additions go through, the withdrawals wait. They are
// applied only if the same outcome persists for `safety.hold`. A withdrawal
// that concerns a single Service (one Service deleted, even dual-stack) is
// never delayed. Pure: the clock comes in as `nowMs`.

import type { Announcement } from '../plan/index.ts';

export interface GuardSettings {
  readonly maxWithdrawFraction: number;
  readonly holdMs: number;
}

export interface GuardState {
  /** The held withdrawal: the IPs it would remove, sorted, joined; null when nothing is held. */
  readonly heldKey: string | null;
  readonly sinceMs: number | null;
}

export const GUARD_IDLE: GuardState = Object.freeze({ heldKey: null, sinceMs: null });

export interface GuardInput {
  readonly settings: GuardSettings;
  readonly state: GuardState;
  /**
   * What the node announces now, by IP. IPs adopted from the kernel after a
   * restart have no known Service (`services: []`): each counts as a
   * Service of its own.
   */
  readonly current: ReadonlyMap<string, Announcement>;
  /** What the plan wants. */
  readonly next: readonly Announcement[];
  readonly nowMs: number;
  /**
   * The IPs of `current` that `next` lacks, when the caller knows them from
   * a plan delta: spares comparing every announcement (O(all)) in a cycle
   * that changed a few. Must be exactly that set; any order.
   */
  readonly withdrawn?: readonly string[];
}

export interface GuardOutcome {
  readonly state: GuardState;
  /** What to hand to the kernel: `next`, plus the held IPs kept as they are. */
  readonly apply: readonly Announcement[];
  readonly holding: boolean;
  /** The IPs the plan would withdraw (held or not). */
  readonly withdrawn: readonly string[];
  readonly releaseAtMs: number | null;
  /** This call applied a withdrawal that had been held. */
  readonly released: boolean;
}

function withdrawals(current: ReadonlyMap<string, Announcement>, next: readonly Announcement[]): string[] {
  const wanted = new Set(next.map((a) => a.ip));
  return [...current.keys()].filter((ip) => !wanted.has(ip)).sort();
}

export function guard(input: GuardInput): GuardOutcome {
  const { settings, state, current, next, nowMs } = input;
  const withdrawn = input.withdrawn ? [...input.withdrawn].sort() : withdrawals(current, next);
  const services = new Set<string>();
  for (const ip of withdrawn) {
    const owners = current.get(ip)?.services ?? [];
    if (owners.length === 0) services.add(`ip:${ip}`);
    for (const s of owners) services.add(s);
  }
  const massive =
    current.size > 0 && withdrawn.length > settings.maxWithdrawFraction * current.size && services.size > 1;

  if (!massive) {
    return { state: GUARD_IDLE, apply: next, holding: false, withdrawn, releaseAtMs: null, released: false };
  }
  const key = withdrawn.join(',');
  const since = state.heldKey === key && state.sinceMs !== null ? state.sinceMs : nowMs;
  if (nowMs - since >= settings.holdMs) {
    return { state: GUARD_IDLE, apply: next, holding: false, withdrawn, releaseAtMs: null, released: true };
  }
  // Held IPs stay exactly as they are announced now.
  const kept = withdrawn.map((ip) => current.get(ip)!);
  return {
    state: { heldKey: key, sinceMs: since },
    apply: [...next, ...kept],
    holding: true,
    withdrawn,
    releaseAtMs: since + settings.holdMs,
    released: false,
  };
}

// plan(): (Config, Snapshot, node) → the IPs this node announces, and for
// every Service IP considered the reason it is or is not announced here.
//
// The contract with the caller, which is what keeps routes from flapping:
// - An unsynced snapshot yields `synced: false`, no announcements, and every
//   decision `waiting-for-sync`. Such a plan is not a desired state: the
//   caller keeps what the kernel holds (unknown is never absent) and waits.
// - Otherwise `announcements` is the whole desired set; anything of ours not
//   in it is to be withdrawn (subject to the caller's mass-withdrawal guard).
// - Pure: no I/O, no clock, no randomness, no logging. Warnings come back as
//   data, recomputed every time; the caller logs the new ones once.
//
// replan(input, previous, changed) is the same function computed from the
// last plan: only the Services in `changed` (their object or EndpointSlices
// changed) and the Services sharing an IP with one of them, before or after
// the change, are planned again. A change of anything every Service depends
// on — the config, this node's Node as far as it refuses this node, sync, or
// (under per-service and leader) the election's candidate nodes — plans again
// what depends on it. The result deep-equals plan(input) (a property test
// says so); `planDelta` tells which IPs' announcements it may have changed.
//
// The rules, in the order an IP meets them (reasons.ts has one line each):
// Service-level (ips.ts) → this node (eligibility.ts) → endpoints
// (endpoints.ts) → shared IPs (shared.ts) → election (election.ts);
// stages.ts runs them per Service and per IP.

import { exactCopy } from '../collections/exact-copy.ts';
import { LayeredMap } from '../collections/layered-map.ts';
import type { ServiceKey, Snapshot } from '../cluster/snapshot.ts';
import type { Config } from '../config/index.ts';
import { electionCandidates, nodeRefusal } from './eligibility.ts';
import { IpReader } from './ips.ts';
import type { Reason } from './reasons.ts';
import type { Claim } from './shared.ts';
import {
  addressValue,
  announcedOrder,
  compareText,
  decisionsOf,
  Election,
  ipStage,
  serviceStage,
  type IpStage,
  type ServiceContext,
  type ServiceStage,
} from './stages.ts';
import type { Announcement, Decision, Plan, PlanInput, PlanWarning } from './types.ts';

/** What a plan keeps for the next replan, found through the Plan it belongs to. */
interface PlanState {
  readonly config: Config;
  readonly nodeName: string;
  readonly nameWinners: boolean;
  readonly synced: boolean;
  readonly nodeReason: Reason | undefined;
  /** The election's candidates; null under `all`, which does not read them. */
  readonly candidates: readonly string[] | null;
  readonly services: LayeredMap<ServiceKey, ServiceStage>;
  readonly ips: LayeredMap<string, IpStage>;
  /** Every Service key, sorted. */
  readonly keys: readonly ServiceKey[];
  /** The keys of the Services with warnings, sorted. */
  readonly warned: readonly ServiceKey[];
  /** The plan's `announcements`: sorted by family and address. */
  readonly announced: readonly Announcement[];
}

export interface PlanDelta {
  /** The plan this one was derived from; held weakly, so a chain of plans never stays in memory. */
  readonly base: WeakRef<Plan>;
  /**
   * Every IP whose announcement differs from `base`'s (added, changed or
   * gone), with its new announcement (undefined = no longer announced);
   * every other IP's announcement is the same object in both plans.
   */
  readonly announcements: ReadonlyMap<string, Announcement | undefined>;
}

const states = new WeakMap<Plan, PlanState>();
const deltas = new WeakMap<Plan, PlanDelta>();

export function plan(input: PlanInput): Plan {
  return replan(input, null, null);
}

/**
 * `plan(input)`, derived from `previous` (a plan this module made, for the
 * same node) where `changed` names every Service whose object or
 * EndpointSlices differ between the two snapshots. A null `changed` (or no
 * usable `previous`) plans everything from scratch.
 */
export function replan(input: PlanInput, previous: Plan | null, changed: ReadonlySet<ServiceKey> | null): Plan {
  const { config, snapshot, nodeName } = input;
  const nameWinners = input.nameWinners ?? false;
  const self = snapshot.nodes.get(nodeName);
  const nodeReason: Reason | undefined = snapshot.synced ? nodeRefusal(config, self) : 'waiting-for-sync';
  const nodeWarnings: PlanWarning[] = [];
  if (snapshot.synced && !self) {
    nodeWarnings.push({
      code: 'node-unknown',
      message: `node ${JSON.stringify(nodeName)} is not among the cluster's ${snapshot.nodes.size} Nodes — nothing is announced; check node.name (default: the host name)`,
    });
  }
  const candidates = config.announce.election === 'all' ? null : electionCandidates(config, snapshot, input.liveAgents ?? null);
  const election = new Election({ config, self: nodeName, nameWinners, candidates: () => candidates ?? [] });
  const prev = previous ? states.get(previous) : undefined;
  const usable =
    prev !== undefined &&
    changed !== null &&
    prev.config === config &&
    prev.nodeName === nodeName &&
    prev.nameWinners === nameWinners &&
    prev.synced === snapshot.synced &&
    prev.nodeReason === nodeReason;
  const state = usable
    ? derive(prev, changed, { snapshot, candidates, election, ctx: { config, nodeName, nodeReason, reader: new IpReader(config.pools) } })
    : scratch(input, { nameWinners, nodeReason, candidates, election });
  const p: Plan = assemble(state.state, nodeWarnings);
  states.set(p, state.state);
  if (usable) deltas.set(p, { base: new WeakRef(previous!), announcements: state.changedIps });
  return p;
}

/**
 * The Services whose object or EndpointSlices in `snapshot` are not the ones
 * `previous` was planned with (compared by identity: Snapshots share
 * unchanged objects), added or gone; null when `previous` carries no state.
 * O(Services): for a periodic check that no change signal went missing,
 * cheaper than planning from scratch.
 */
export function changedServices(previous: Plan, snapshot: Snapshot): Set<ServiceKey> | null {
  const state = states.get(previous);
  if (!state) return null;
  const out = new Set<ServiceKey>();
  for (const [key, stage] of state.services) {
    if (snapshot.services.get(key) !== stage.view || snapshot.endpointSlices.get(key) !== stage.slices) out.add(key);
  }
  for (const key of snapshot.services.keys()) if (!state.services.has(key)) out.add(key);
  return out;
}

/** The IPs whose announcement `plan` may have changed from the plan it was derived from; undefined for a plan made from scratch. */
export function planDelta(plan: Plan): PlanDelta | undefined {
  return deltas.get(plan);
}

interface Built {
  readonly state: PlanState;
  readonly changedIps: ReadonlyMap<string, Announcement | undefined>;
}

function scratch(
  input: PlanInput,
  g: { nameWinners: boolean; nodeReason: Reason | undefined; candidates: readonly string[] | null; election: Election },
): Built {
  const { config, snapshot, nodeName } = input;
  const ctx: ServiceContext = { config, nodeName, nodeReason: g.nodeReason, reader: new IpReader(config.pools, input.memo) };
  const services = new Map<ServiceKey, ServiceStage>();
  const claimsByIp = new Map<string, Claim[]>();
  for (const service of snapshot.services.values()) {
    const stage = serviceStage(service, snapshot.endpointSlices.get(service.key), ctx);
    services.set(service.key, stage);
    for (const c of stage.claims) {
      const list = claimsByIp.get(c.ip.text);
      if (list) list.push(c);
      else claimsByIp.set(c.ip.text, [c]);
    }
  }
  const ips = new Map<string, IpStage>();
  const values = new Map<Announcement, bigint>();
  for (const [text, claims] of claimsByIp) {
    // A list of one was made whole ([c]); one pushed to is copied to its size: kept until the IP changes.
    const s = ipStage(text, claims.length > 1 ? exactCopy(claims) : claims, g.election, undefined);
    ips.set(text, s);
    if (s.announced) values.set(s.announced, claims[0]!.ip.address.value);
  }
  const announced = [...values.keys()].sort(announcedOrder((a) => values.get(a)!));
  const keys = [...services.keys()].sort();
  return {
    state: {
      config,
      nodeName,
      nameWinners: g.nameWinners,
      synced: snapshot.synced,
      nodeReason: g.nodeReason,
      candidates: g.candidates,
      services: LayeredMap.adopt(services),
      ips: LayeredMap.adopt(ips),
      keys,
      warned: keys.filter((k) => services.get(k)!.warnings.length > 0),
      announced,
    },
    changedIps: new Map(),
  };
}

function derive(
  prev: PlanState,
  changed: ReadonlySet<ServiceKey>,
  g: { snapshot: Snapshot; candidates: readonly string[] | null; election: Election; ctx: ServiceContext },
): Built {
  const { snapshot } = g;
  const electAgain = !sameList(prev.candidates, g.candidates);
  // Stage 1 for the changed Services.
  const serviceChanges: [ServiceKey, ServiceStage | undefined][] = [];
  const added: ServiceKey[] = [];
  const removed: ServiceKey[] = [];
  const warnedAdded: ServiceKey[] = [];
  const warnedRemoved: ServiceKey[] = [];
  const dirtyIps = new Set<string>();
  const newClaims = new Map<string, Claim[]>();
  for (const key of changed) {
    const before = prev.services.get(key);
    const view = snapshot.services.get(key);
    if (!before && !view) continue;
    if (before) for (const c of before.claims) dirtyIps.add(c.ip.text);
    const warnedBefore = before !== undefined && before.warnings.length > 0;
    if (!view) {
      serviceChanges.push([key, undefined]);
      removed.push(key);
      if (warnedBefore) warnedRemoved.push(key);
      continue;
    }
    const stage = serviceStage(view, snapshot.endpointSlices.get(key), g.ctx);
    serviceChanges.push([key, stage]);
    if (!before) added.push(key);
    if (warnedBefore !== stage.warnings.length > 0) (warnedBefore ? warnedRemoved : warnedAdded).push(key);
    for (const c of stage.claims) {
      dirtyIps.add(c.ip.text);
      const list = newClaims.get(c.ip.text);
      if (list) list.push(c);
      else newClaims.set(c.ip.text, [c]);
    }
  }
  const services = prev.services.with(serviceChanges);
  if (electAgain) for (const text of prev.ips.keys()) dirtyIps.add(text);

  // Stage 2 for every IP a changed Service claimed, before or after, with every Service sharing it.
  const ipChanges: [string, IpStage | undefined][] = [];
  const changedIps = new Map<string, Announcement | undefined>();
  const annAdded: Announcement[] = [];
  const annRemoved: Announcement[] = [];
  for (const text of dirtyIps) {
    const before = prev.ips.get(text);
    const claims: Claim[] = [];
    if (before) {
      for (const c of before.claims) if (!changed.has(c.service.key)) claims.push(c);
    }
    const more = newClaims.get(text);
    if (more) for (const c of more) claims.push(c);
    const after = claims.length > 0 ? ipStage(text, exactCopy(claims), g.election, before?.announced) : undefined;
    ipChanges.push([text, after]);
    const a = before?.announced;
    const b = after?.announced;
    if (a !== b) {
      changedIps.set(text, b);
      if (a) annRemoved.push(a);
      if (b) annAdded.push(b);
    }
  }
  return {
    state: {
      ...prev,
      candidates: g.candidates,
      services,
      ips: prev.ips.with(ipChanges),
      keys: edit(prev.keys, added, removed, compareText),
      warned: edit(prev.warned, warnedAdded, warnedRemoved, compareText),
      announced: editAnnounced(prev.announced, annAdded, annRemoved),
    },
    changedIps,
  };
}

/**
 * The Plan. `decisions` (one per Service IP: tens of thousands) is built
 * when first read — by /status, explain, a test — not by every cycle of the
 * loop, which reads only the announcements; it is an own enumerable
 * property, so the Plan still reads, spreads, prints and compares as data.
 */
function assemble(state: PlanState, nodeWarnings: readonly PlanWarning[]): Plan {
  const warnings: PlanWarning[] = [...nodeWarnings];
  for (const key of state.warned) for (const w of state.services.get(key)!.warnings) warnings.push(w);
  let decisions: readonly Decision[] | undefined;
  const p = { synced: state.synced, announcements: state.announced, decisions: [] as readonly Decision[], warnings };
  Object.defineProperty(p, 'decisions', {
    enumerable: true,
    get: () => (decisions ??= decisionList(state)),
  });
  return p;
}

function decisionList(state: PlanState): Decision[] {
  const out: Decision[] = [];
  const ipStageOf = (text: string) => state.ips.get(text)!;
  for (const key of state.keys) for (const d of decisionsOf(key, state.services.get(key)!, ipStageOf)) out.push(d);
  return out;
}

/** The sorted announcements with some removed and some added; addresses are parsed only for the comparisons made. */
function editAnnounced(list: readonly Announcement[], add: readonly Announcement[], remove: readonly Announcement[]): readonly Announcement[] {
  // Each address is parsed once, and only for the comparisons made.
  const values = new Map<Announcement, bigint>();
  const value = (a: Announcement) => {
    let v = values.get(a);
    if (v === undefined) values.set(a, (v = addressValue(a)));
    return v;
  };
  return edit(list, add, remove, announcedOrder(value));
}

/**
 * A sorted list with some items removed (by identity) and some added; a
 * copy. Insertions are binary searches and block moves (a few thousand of
 * them cost less than sorting tens of thousands of items again); past that,
 * the list is sorted whole.
 */
function edit<T>(list: readonly T[], add: readonly T[], remove: readonly T[], compare: (a: T, b: T) => number): readonly T[] {
  if (add.length === 0 && remove.length === 0) return list;
  let out: T[];
  if (remove.length > 16) {
    const gone = new Set(remove);
    out = list.filter((x) => !gone.has(x));
  } else {
    out = [...list];
    for (const x of remove) {
      const i = search(out, x, compare);
      // Items compare equal only when they are the same entry (a key, an IP): the one found is the one to remove.
      if (i < out.length && compare(out[i]!, x) === 0) out.splice(i, 1);
    }
  }
  if (add.length > 2048) return [...out, ...add].sort(compare);
  for (const x of add) out.splice(search(out, x, compare), 0, x);
  return out;
}

/** The first index whose item is not before `x`. */
function search<T>(list: readonly T[], x: T, compare: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(list[mid]!, x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}


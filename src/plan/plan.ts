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
// The rules, in the order an IP meets them (reasons.ts has one line each):
// Service-level (ips.ts) → this node (eligibility.ts) → endpoints
// (endpoints.ts) → shared IPs (shared.ts) → election (election.ts).

import type { ServiceKey } from '../cluster/snapshot.ts';
import { isLocal } from './annotations.ts';
import { electionCandidates, nodeRefusal } from './eligibility.ts';
import { leaderOf, perServiceWinner, winsPerService } from './election.ts';
import { reachOf, type Reach } from './endpoints.ts';
import { candidatesOf, IpReader, type ValidIp } from './ips.ts';
import type { Reason } from './reasons.ts';
import { servableOn, servingRefusal, vetoes, type Claim } from './shared.ts';
import type { Announcement, Decision, IpSource, Plan, PlanInput, PlanWarning } from './types.ts';

interface Row {
  readonly decision: Decision;
  /** Sort key of the IP: family (4, 6; 7 = invalid) and value. */
  readonly family: number;
  readonly value: bigint;
}

const SOURCE_ORDER: Readonly<Record<IpSource, number>> = { loadbalancer: 0, external: 1, cluster: 2 };

export function plan(input: PlanInput): Plan {
  const { config, snapshot, nodeName } = input;
  const warnings: PlanWarning[] = [];
  const rows: Row[] = [];
  const reader = new IpReader(config.pools, input.memo);
  const groups = new Map<string, Claim[]>();

  const self = snapshot.nodes.get(nodeName);
  const nodeReason: Reason | undefined = snapshot.synced ? nodeRefusal(config, self) : 'waiting-for-sync';
  if (snapshot.synced && !self) {
    warnings.push({
      code: 'node-unknown',
      message: `node ${JSON.stringify(nodeName)} is not among the cluster's ${snapshot.nodes.size} Nodes — nothing is announced; check node.name (default: the host name)`,
    });
  }

  const add = (service: ServiceKey, source: IpSource, text: string, ip: ValidIp | undefined, reason: Reason, extra?: Partial<Decision>): void => {
    const base: Decision = { service, ip: text, source, announce: reason === 'announced', reason };
    const decision = extra ? { ...base, ...extra } : base;
    rows.push({ decision, family: ip ? ip.address.family : 7, value: ip ? ip.address.value : 0n });
  };

  for (const service of snapshot.services.values()) {
    // A Service's reach is computed once per family, when a claim needs it.
    let reach4: Reach | undefined;
    let reach6: Reach | undefined;
    for (const c of candidatesOf(service, config.announce, reader, warnings)) {
      const refusal = nodeReason === 'waiting-for-sync' ? nodeReason : (c.refusal ?? nodeReason);
      if (refusal !== undefined) {
        add(service.key, c.source, c.text, c.ip, refusal);
        continue;
      }
      const ip = c.ip!;
      const local = isLocal(service, c.source);
      const reach =
        ip.address.family === 4
          ? (reach4 ??= reachOf(snapshot.endpointSlices.get(service.key), 4, nodeName))
          : (reach6 ??= reachOf(snapshot.endpointSlices.get(service.key), 6, nodeName));
      const own = servingRefusal(reach, local, config.announce.requireEndpoints);
      const claim: Claim = { service, source: c.source, ip, local, reach, own };
      const claims = groups.get(ip.text);
      if (claims) claims.push(claim);
      else groups.set(ip.text, [claim]);
    }
  }

  const announced: { announcement: Announcement; family: number; value: bigint }[] = [];
  const election = new Election(input);
  for (const [text, claims] of groups) {
    const ip = claims[0]!.ip;
    const wanting: Claim[] = [];
    for (const c of claims) {
      if (c.own === undefined) wanting.push(c);
      else add(c.service.key, c.source, text, ip, c.own);
    }
    if (wanting.length === 0) continue;
    const vetoing = claims.length > 1 ? vetoes(claims) : [];
    const outcome = vetoing.length > 0 ? undefined : election.run(text, claims);
    for (const c of wanting) {
      if (!outcome) add(c.service.key, c.source, text, ip, 'shared-ip-conflict', { conflictsWith: vetoing });
      else if (!outcome.elected) add(c.service.key, c.source, text, ip, 'not-elected', outcome.winner === undefined ? undefined : { winner: outcome.winner });
      else add(c.service.key, c.source, text, ip, 'announced');
    }
    if (!outcome?.elected) continue;
    const family = ip.address.family;
    const services = wanting.length === 1 ? [wanting[0]!.service.key] : [...new Set(wanting.map((c) => c.service.key))].sort();
    const announcement: Announcement = { ip: text, prefix: family === 4 ? 32 : 128, family, pool: ip.pool!.name, services };
    announced.push({ announcement, family, value: ip.address.value });
  }

  announced.sort((a, b) => a.family - b.family || compareValue(a.value, b.value));
  rows.sort(compareRows);
  warnings.sort((a, b) => compareText(a.service ?? '', b.service ?? '') || compareText(a.message, b.message));
  return { synced: snapshot.synced, announcements: announced.map((a) => a.announcement), decisions: rows.map((r) => r.decision), warnings };
}

/** Runs announce.election for one IP, computing the candidates once per plan. */
class Election {
  readonly #input: PlanInput;
  #candidates: readonly string[] | undefined;
  #leader: string | null | undefined;

  constructor(input: PlanInput) {
    this.#input = input;
  }

  get candidates(): readonly string[] {
    return (this.#candidates ??= electionCandidates(this.#input.config, this.#input.snapshot, this.#input.liveAgents ?? null));
  }

  run(ip: string, claims: readonly Claim[]): { elected: boolean; winner?: string | null } {
    const self = this.#input.nodeName;
    switch (this.#input.config.announce.election) {
      case 'all':
        return { elected: true };
      case 'leader': {
        if (this.#leader === undefined) this.#leader = leaderOf(this.candidates);
        return this.#leader === self ? { elected: true } : { elected: false, winner: this.#leader };
      }
      case 'per-service': {
        const candidates = servableOn(claims, this.candidates);
        if (candidates.includes(self) && winsPerService(self, candidates, ip)) return { elected: true };
        return this.#input.nameWinners ? { elected: false, winner: perServiceWinner(candidates, ip) } : { elected: false };
      }
    }
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareValue(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIp(a: Row, b: Row): number {
  return a.family - b.family || compareValue(a.value, b.value) || compareText(a.decision.ip, b.decision.ip);
}

function compareRows(a: Row, b: Row): number {
  const x = a.decision;
  const y = b.decision;
  return compareText(x.service, y.service) || compareIp(a, b) || SOURCE_ORDER[x.source] - SOURCE_ORDER[y.source];
}

// The planner's two stages, each over the smallest unit it depends on, so a
// plan can be derived from the last one by redoing only what a change touches:
//
//   1. one Service (serviceStage): its candidate IPs, the Service-level and
//      node-level refusals, its claims — depends on the Service, its
//      EndpointSlices, the config, this node's name and the node-wide
//      refusal;
//   2. one IP (ipStage): the claims of every Service sharing it, the shared-IP
//      vetoes and the election — depends on those claims, the config and the
//      election's candidate nodes.
//
// A Service's decisions are its stage-1 refusals plus, for each claim, the
// row its IP's stage 2 gave it.

import type { EndpointSliceView, ServiceKey, ServiceView } from '../cluster/snapshot.ts';
import type { Config } from '../config/index.ts';
import { isLocal } from './annotations.ts';
import { leaderOf, perServiceWinner, winsPerService } from './election.ts';
import { reachOf, type Reach } from './endpoints.ts';
import { candidatesOf, type IpReader, type ValidIp } from './ips.ts';
import type { Reason } from './reasons.ts';
import { servableOn, servingRefusal, vetoes, type Claim } from './shared.ts';
import type { Announcement, Decision, IpSource, PlanWarning } from './types.ts';

export interface Row {
  readonly decision: Decision;
  /** Sort key of the IP: family (4, 6; 7 = invalid) and value. */
  readonly family: number;
  readonly value: bigint;
}

/** The address of each announcement as a number, for sorting; set where announcements are made. */
const addressValue = new WeakMap<Announcement, bigint>();

/** What stage 1 makes of one Service. */
export interface ServiceStage {
  /** Decisions settled in stage 1 (refusals before any claim). */
  readonly rows: readonly Row[];
  /** Claims on IPs, each judged in its IP's stage 2. */
  readonly claims: readonly Claim[];
  /** Sorted by message. */
  readonly warnings: readonly PlanWarning[];
}

/** What stage 2 makes of one IP. */
export interface IpStage {
  readonly claims: readonly Claim[];
  /** One per claim, in the same order. */
  readonly rows: readonly Row[];
  readonly announced: Announcement | undefined;
}

export interface ServiceContext {
  readonly config: Config;
  readonly nodeName: string;
  readonly reader: IpReader;
  /** Why this node announces nothing (or waiting-for-sync); undefined = it may. */
  readonly nodeReason: Reason | undefined;
}

export function row(service: ServiceKey, source: IpSource, text: string, ip: ValidIp | undefined, reason: Reason, extra?: Partial<Decision>): Row {
  const base: Decision = { service, ip: text, source, announce: reason === 'announced', reason };
  const decision = extra ? { ...base, ...extra } : base;
  return { decision, family: ip ? ip.address.family : 7, value: ip ? ip.address.value : 0n };
}

export function serviceStage(service: ServiceView, slices: readonly EndpointSliceView[] | undefined, ctx: ServiceContext): ServiceStage {
  const { config, nodeName, nodeReason } = ctx;
  const warnings: PlanWarning[] = [];
  const rows: Row[] = [];
  const claims: Claim[] = [];
  // A Service's reach is computed once per family, when a claim needs it.
  let reach4: Reach | undefined;
  let reach6: Reach | undefined;
  for (const c of candidatesOf(service, config.announce, ctx.reader, warnings)) {
    const refusal = nodeReason === 'waiting-for-sync' ? nodeReason : (c.refusal ?? nodeReason);
    if (refusal !== undefined) {
      rows.push(row(service.key, c.source, c.text, c.ip, refusal));
      continue;
    }
    const ip = c.ip!;
    const local = isLocal(service, c.source);
    const reach = ip.address.family === 4 ? (reach4 ??= reachOf(slices, 4, nodeName)) : (reach6 ??= reachOf(slices, 6, nodeName));
    const own = servingRefusal(reach, local, config.announce.requireEndpoints);
    claims.push({ service, source: c.source, ip, local, reach, own });
  }
  if (warnings.length > 1) warnings.sort((a, b) => compareText(a.message, b.message));
  return { rows, claims, warnings };
}

/** Runs announce.election for one IP over the candidates the caller computed once. */
export class Election {
  readonly #config: Config;
  readonly #self: string;
  readonly #nameWinners: boolean;
  readonly #candidates: () => readonly string[];
  #leader: string | null | undefined;

  constructor(opts: { config: Config; self: string; nameWinners: boolean; candidates: () => readonly string[] }) {
    this.#config = opts.config;
    this.#self = opts.self;
    this.#nameWinners = opts.nameWinners;
    this.#candidates = opts.candidates;
  }

  run(ip: string, claims: readonly Claim[]): { elected: boolean; winner?: string | null } {
    const self = this.#self;
    switch (this.#config.announce.election) {
      case 'all':
        return { elected: true };
      case 'leader': {
        if (this.#leader === undefined) this.#leader = leaderOf(this.#candidates());
        return this.#leader === self ? { elected: true } : { elected: false, winner: this.#leader };
      }
      case 'per-service': {
        const candidates = servableOn(claims, this.#candidates());
        if (candidates.includes(self) && winsPerService(self, candidates, ip)) return { elected: true };
        return this.#nameWinners ? { elected: false, winner: perServiceWinner(candidates, ip) } : { elected: false };
      }
    }
  }
}

/**
 * Stage 2 for the IP `text` and every claim on it (any order). `previous`,
 * the announcement this IP had, is returned again when equal, so an
 * unchanged announcement keeps its identity from plan to plan.
 */
export function ipStage(text: string, claims: readonly Claim[], election: Election, previous: Announcement | undefined): IpStage {
  const ip = claims[0]!.ip;
  const rows: Row[] = new Array<Row>(claims.length);
  const wanting: number[] = [];
  for (let i = 0; i < claims.length; i++) {
    const c = claims[i]!;
    if (c.own === undefined) wanting.push(i);
    else rows[i] = row(c.service.key, c.source, text, ip, c.own);
  }
  if (wanting.length === 0) return { claims, rows, announced: undefined };
  const vetoing = claims.length > 1 ? vetoes(claims) : [];
  const outcome = vetoing.length > 0 ? undefined : election.run(text, claims);
  for (const i of wanting) {
    const c = claims[i]!;
    if (!outcome) rows[i] = row(c.service.key, c.source, text, ip, 'shared-ip-conflict', { conflictsWith: vetoing });
    else if (!outcome.elected) rows[i] = row(c.service.key, c.source, text, ip, 'not-elected', outcome.winner === undefined ? undefined : { winner: outcome.winner });
    else rows[i] = row(c.service.key, c.source, text, ip, 'announced');
  }
  if (!outcome?.elected) return { claims, rows, announced: undefined };
  const family = ip.address.family;
  const services = wanting.length === 1 ? [claims[wanting[0]!]!.service.key] : [...new Set(wanting.map((i) => claims[i]!.service.key))].sort();
  const announcement: Announcement = { ip: text, prefix: family === 4 ? 32 : 128, family, pool: ip.pool!.name, services };
  if (previous && sameAnnouncement(previous, announcement)) return { claims, rows, announced: previous };
  addressValue.set(announcement, ip.address.value);
  return { claims, rows, announced: announcement };
}

function sameAnnouncement(a: Announcement, b: Announcement): boolean {
  if (a.ip !== b.ip || a.prefix !== b.prefix || a.family !== b.family || a.pool !== b.pool || a.services.length !== b.services.length) return false;
  for (let i = 0; i < a.services.length; i++) if (a.services[i] !== b.services[i]) return false;
  return true;
}

/** A Service's decisions: its stage-1 rows and its claims' rows from stage 2, sorted by address, then source. */
export function decisionsOf(stage: ServiceStage, ipStageOf: (text: string) => IpStage): readonly Decision[] {
  const rows: Row[] = [...stage.rows];
  for (const c of stage.claims) {
    const g = ipStageOf(c.ip.text);
    const i = g.claims.indexOf(c);
    rows.push(g.rows[i]!);
  }
  if (rows.length === 0) return NO_DECISIONS;
  if (rows.length > 1) rows.sort(compareRowsOfOneService);
  return rows.map((r) => r.decision);
}

const NO_DECISIONS: readonly Decision[] = Object.freeze([]);

const SOURCE_ORDER: Readonly<Record<IpSource, number>> = { loadbalancer: 0, external: 1, cluster: 2 };

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareValue(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRowsOfOneService(a: Row, b: Row): number {
  return a.family - b.family || compareValue(a.value, b.value) || compareText(a.decision.ip, b.decision.ip) || SOURCE_ORDER[a.decision.source] - SOURCE_ORDER[b.decision.source];
}

export function compareAnnounced(a: Announcement, b: Announcement): number {
  return a.family - b.family || compareValue(addressValue.get(a)!, addressValue.get(b)!);
}

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
// A Service's decisions are its stage-1 refusals plus, for each claim, its
// own serving refusal or its IP's verdict — built only when asked for: what a
// plan keeps per IP between cycles is small (memory is a goal at 10,000
// Services).

import type { EndpointSliceView, ServiceKey, ServiceView } from '../cluster/snapshot.ts';
import { exactCopy } from '../collections/exact-copy.ts';
import type { Config } from '../config/index.ts';
import { isLocal } from './annotations.ts';
import { leaderOf, perServiceWinner, winsPerService } from './election.ts';
import { reachOf, type Reach } from './endpoints.ts';
import { candidatesOf, type IpReader, type ValidIp } from './ips.ts';
import { parseIp } from '../config/index.ts';
import type { Reason } from './reasons.ts';
import { servableOn, servingRefusal, vetoes, type Claim } from './shared.ts';
import type { Announcement, Decision, IpSource, PlanWarning } from './types.ts';

export interface Row {
  readonly decision: Decision;
  /** Sort key of the IP: family (4, 6; 7 = invalid) and value. */
  readonly family: number;
  readonly value: bigint;
}

/** A candidate IP that stage 1 refused. */
interface Refused {
  readonly source: IpSource;
  readonly text: string;
  readonly ip: ValidIp | undefined;
  readonly reason: Reason;
}

/** What stage 1 makes of one Service. */
export interface ServiceStage {
  /** The Service and its EndpointSlices as planned: a later snapshot holding other objects has changed it. */
  readonly view: ServiceView;
  readonly slices: readonly EndpointSliceView[] | undefined;
  /** Refused in stage 1 (before any claim). */
  readonly refused: readonly Refused[];
  /** Claims on IPs, each judged in its IP's stage 2. */
  readonly claims: readonly Claim[];
  /** Sorted by message. */
  readonly warnings: readonly PlanWarning[];
}

/** What stage 2 decides for the claims on an IP that this node could serve (a claim with its own refusal keeps it). */
interface Verdict {
  readonly reason: 'announced' | 'not-elected' | 'shared-ip-conflict';
  readonly extra?: Partial<Decision>;
}

const ANNOUNCED: Verdict = Object.freeze({ reason: 'announced' });
const NOT_ELECTED: Verdict = Object.freeze({ reason: 'not-elected' });

/** What stage 2 makes of one IP. */
export interface IpStage {
  readonly claims: readonly Claim[];
  /** undefined when no claim could be served here. */
  readonly verdict: Verdict | undefined;
  readonly announced: Announcement | undefined;
}

const NONE: readonly never[] = Object.freeze([]);

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
  let refused: Refused[] | undefined;
  let claims: Claim[] | undefined;
  // A Service's reach is computed once per family, when a claim needs it.
  let reach4: Reach | undefined;
  let reach6: Reach | undefined;
  for (const c of candidatesOf(service, config.announce, ctx.reader, warnings)) {
    const refusal = nodeReason === 'waiting-for-sync' ? nodeReason : (c.refusal ?? nodeReason);
    if (refusal !== undefined) {
      (refused ??= []).push({ source: c.source, text: c.text, ip: c.ip, reason: refusal });
      continue;
    }
    const ip = c.ip!;
    const local = isLocal(service, c.source);
    const reach = ip.address.family === 4 ? (reach4 ??= reachOf(slices, 4, nodeName)) : (reach6 ??= reachOf(slices, 6, nodeName));
    const own = servingRefusal(reach, local, config.announce.requireEndpoints);
    (claims ??= []).push({ service, source: c.source, ip, local, reach, own });
  }
  if (warnings.length > 1) warnings.sort((a, b) => compareText(a.message, b.message));
  return {
    view: service,
    slices,
    refused: refused ? exactCopy(refused) : NONE,
    claims: claims ? exactCopy(claims) : NONE,
    warnings: warnings.length > 0 ? exactCopy(warnings) : NONE,
  };
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
  let wanting = 0;
  for (const c of claims) if (c.own === undefined) wanting++;
  if (wanting === 0) return { claims, verdict: undefined, announced: undefined };
  const vetoing = claims.length > 1 ? vetoes(claims) : [];
  if (vetoing.length > 0) return { claims, verdict: { reason: 'shared-ip-conflict', extra: { conflictsWith: vetoing } }, announced: undefined };
  const outcome = election.run(text, claims);
  if (!outcome.elected) {
    return { claims, verdict: outcome.winner === undefined ? NOT_ELECTED : { reason: 'not-elected', extra: { winner: outcome.winner } }, announced: undefined };
  }
  const family = ip.address.family;
  let services: ServiceKey[];
  if (wanting === 1) services = [claims.find((c) => c.own === undefined)!.service.key];
  else services = [...new Set(claims.filter((c) => c.own === undefined).map((c) => c.service.key))].sort();
  const announcement: Announcement = { ip: text, prefix: family === 4 ? 32 : 128, family, pool: ip.pool!.name, services };
  return { claims, verdict: ANNOUNCED, announced: previous && sameAnnouncement(previous, announcement) ? previous : announcement };
}

function sameAnnouncement(a: Announcement, b: Announcement): boolean {
  if (a.ip !== b.ip || a.prefix !== b.prefix || a.family !== b.family || a.pool !== b.pool || a.services.length !== b.services.length) return false;
  for (let i = 0; i < a.services.length; i++) if (a.services[i] !== b.services[i]) return false;
  return true;
}

/** A Service's decisions: its stage-1 refusals and its claims' outcomes, sorted by address, then source. */
export function decisionsOf(key: ServiceKey, stage: ServiceStage, ipStageOf: (text: string) => IpStage): readonly Decision[] {
  if (stage.refused.length + stage.claims.length === 0) return NO_DECISIONS;
  const rows: Row[] = [];
  for (const r of stage.refused) rows.push(row(key, r.source, r.text, r.ip, r.reason));
  for (const c of stage.claims) {
    if (c.own !== undefined) rows.push(row(key, c.source, c.ip.text, c.ip, c.own));
    else {
      const v = ipStageOf(c.ip.text).verdict!;
      rows.push(row(key, c.source, c.ip.text, c.ip, v.reason, v.extra));
    }
  }
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

/** The announcement's address as a number, for sorting (its text is canonical and valid). */
export function addressValue(a: Announcement): bigint {
  return parseIp(a.ip)!.value;
}

/** Orders announcements by family, then address; `value` gives each one's address as a number. */
export function announcedOrder(value: (a: Announcement) => bigint): (a: Announcement, b: Announcement) => number {
  return (a, b) => a.family - b.family || compareValue(value(a), value(b));
}

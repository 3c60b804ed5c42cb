// The agent's loop: cluster view → plan → guard → kernel. Informer and
// kernel-monitor events only mark the state dirty; one cycle runs at a time
// and a burst of events coalesces into a handful of cycles. A periodic
// resync re-reads the kernel as a safety net.
//
// Never withdraw from a view we do not trust: before the first sync nothing
// is touched (after a restart the kernel's routes are adopted as they are);
// while the API is unreachable or an informer is relisting or backing off,
// the cycle keeps what is announced ("holding"). Lease freshness in a stale
// view would make every peer — and this node — look dead.
//
// A cycle costs what changed, not what exists: the view names the Services
// that changed, the planner re-plans those (and the Services sharing their
// IPs), and the guard, the announced map and the kernel's desired state take
// the plan's delta. The first plan and any change the view cannot name (a
// relist) plan everything from scratch; the periodic resync, besides the
// kernel's dump and full diff, compares every Service and its slices with
// what the last plan used (by identity, so a change whose signal went missing
// is planned all the same) — the same result as a plan from scratch at a
// fraction of its cost. A cycle that could not apply its plan whole (guard
// holding, kernel errors, this node unable to serve) makes the next one
// compare everything again.

import type { ClusterChange, ClusterView, ServiceKey } from '../cluster/index.ts';
import { liveAgents } from '../cluster/index.ts';
import type { Config } from '../config/index.ts';
import { desiredState, desiredStateDelta, type KernelDesired, type KernelReconciler, type PassReport } from '../kernel/index.ts';
import { changedServices, planDelta, replan, type Announcement, type Plan, type PlanDelta } from '../plan/index.ts';
import type { Logger } from '../system/logger.ts';
import { adoptFromKernel, announcedByIp } from './announced.ts';
import { GUARD_IDLE, guard, type GuardOutcome, type GuardState } from './guard.ts';
import type { AgentPhase } from './status.ts';

/** While holding, how soon the loop looks again whether the view can be trusted. */
const TRUST_RECHECK_MS = 500;

/**
 * A cycle starts at least this long after the previous one started. Events
 * arriving meanwhile join the next cycle: a burst, or a steady stream of
 * updates, costs at most 1000 / MIN_CYCLE_INTERVAL_MS cycles a second
 * instead of one per event, while the first event after a quiet spell is
 * handled at once. At 10,000 Services a cycle takes a few ms, so this adds
 * at most 10 ms to an event that lands right after another (the p99 goal
 * is 50 ms; the README has the figures with and without).
 */
export const MIN_CYCLE_INTERVAL_MS = 10;

/** What the loop reports after each cycle; observe/ turns it into metrics. */
export interface CycleReport {
  readonly phase: AgentPhase;
  readonly plan: Plan | null;
  readonly guard: GuardOutcome | null;
  readonly pass: PassReport | null;
  /** From the first event that made this cycle necessary to the kernel change; null when nothing changed. */
  readonly eventToKernelMs: number | null;
  /** The guard started holding a (new) withdrawal in this cycle. */
  readonly newlyHeld: boolean;
}

export interface LoopOptions {
  readonly config: Config;
  readonly nodeName: string;
  readonly view: ClusterView;
  readonly kernel: KernelReconciler;
  readonly log: Logger;
  /** Extra gate: false while this node cannot serve (e.g. local kube-proxy unhealthy). */
  readonly canServe?: () => boolean;
  readonly onCycle?: (report: CycleReport) => void;
  readonly now?: () => number;
  /** Default MIN_CYCLE_INTERVAL_MS. */
  readonly minCycleIntervalMs?: number;
}

export class AgentLoop {
  readonly #o: LoopOptions;
  readonly #now: () => number;
  #announced: Map<string, Announcement>;
  #guardState: GuardState = GUARD_IDLE;
  #phase: AgentPhase = 'syncing';
  #lastPlan: Plan | null = null;
  #lastGuard: GuardOutcome | null = null;
  /** The last desired state handed to the kernel: the next one is built as a delta of it. */
  #lastDesired: KernelDesired | undefined;
  #dirtySince: number | null = null;
  /** performance.now() when the last cycle started. */
  #lastCycleAt = -Infinity;
  /** Services changed since the last plan, as the view named them; null = plan everything from scratch. */
  #changed: Set<ServiceKey> | null = null;
  /** The planner's last plan, before the canServe gate: the next one is derived from it. */
  #rawPlan: Plan | null = null;
  /** #announced holds exactly #rawPlan's announcements: the last cycle applied them whole, so its delta applies. */
  #appliedWhole = false;
  /** The resync asked the next plan to check every Service against the last plan. */
  #sweep = false;
  #lastWarnings: Plan['warnings'] | null = null;
  #running: Promise<void> | null = null;
  #scheduled = false;
  #stopped = false;
  #withdrawn = false;
  #guardTimer: NodeJS.Timeout | undefined;
  #trustTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  /** The plan's warnings logged, those still standing: one that goes and comes back is logged again. */
  #warned = new Set<string>();
  /** The kernel's desired-state problems logged, those still standing. */
  #warnedDesired = new Set<string>();
  #holdingLogged = false;

  constructor(opts: LoopOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    // Same boot: what the kernel holds is announced until a trusted plan says otherwise.
    this.#announced = adoptFromKernel(opts.kernel.observed, opts.config);
  }

  get phase(): AgentPhase {
    return this.#phase;
  }
  get announced(): readonly Announcement[] {
    return [...this.#announced.values()];
  }
  get lastPlan(): Plan | null {
    return this.#lastPlan;
  }
  get lastGuard(): GuardOutcome | null {
    return this.#lastGuard;
  }

  start(): void {
    this.#unsubscribe = this.#o.view.onChange((c) => {
      this.#noteChange(c);
      this.markDirty();
    });
    const every = this.#o.config.reconcile.resyncIntervalMs;
    this.#resyncTimer = setInterval(() => {
      void this.#o.kernel.resync().then(() => {
        this.#sweep = true;
        this.markDirty();
      });
    }, every);
    this.#resyncTimer.unref();
    this.markDirty();
  }

  #noteChange(c: ClusterChange): void {
    if (c.services === null) this.#changed = null;
    else if (this.#changed !== null) for (const k of c.services) this.#changed.add(k);
  }

  /** Something may have changed: run a cycle soon (coalesced). */
  markDirty(): void {
    if (this.#stopped) return;
    this.#dirtySince ??= this.#now();
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    if (this.#running) return; // the running drain picks the dirty flag up
    this.#running = (async () => {
      while (this.#scheduled && !this.#stopped) {
        const wait = this.#lastCycleAt + (this.#o.minCycleIntervalMs ?? MIN_CYCLE_INTERVAL_MS) - performance.now();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, wait));
          if (this.#stopped) break;
        }
        this.#lastCycleAt = performance.now();
        this.#scheduled = false;
        const since = this.#dirtySince;
        this.#dirtySince = null;
        try {
          await this.#cycle(since);
        } catch (e) {
          // What the failed cycle took from #changed is lost with it: the next cycle plans everything.
          this.#changed = null;
          this.#appliedWhole = false;
          this.#o.log.error({ op: 'cycle', err: (e as Error).message }, 'cycle failed; retrying at the next change or resync');
        }
      }
    })();
    try {
      await this.#running;
    } finally {
      this.#running = null;
    }
  }

  async #cycle(since: number | null): Promise<void> {
    const { view, config, log } = this.#o;
    const snapshot = view.snapshot();
    const status = view.status();
    if (this.#withdrawn) return;
    if (!snapshot.synced) {
      this.#setPhase('syncing');
      this.#o.onCycle?.({ phase: 'syncing', plan: null, guard: null, pass: null, eventToKernelMs: null, newlyHeld: false });
      return;
    }
    const trusted = status.api.state === 'up' && status.informers.every((i) => i.phase === 'watching');
    if (!trusted) {
      this.#setPhase('holding');
      // Trust comes back without any change in the view's content (the API
      // answers again, a relist ends with the same objects): look again soon.
      clearTimeout(this.#trustTimer);
      this.#trustTimer = setTimeout(() => this.markDirty(), TRUST_RECHECK_MS);
      if (!this.#holdingLogged) {
        this.#holdingLogged = true;
        const why = status.api.state !== 'up' ? `API ${status.api.state}` : `informers ${status.informers.filter((i) => i.phase !== 'watching').map((i) => `${i.resource}:${i.phase}`).join(', ')}`;
        log.warn({ op: 'cycle', reason: 'holding', announced: this.#announced.size }, `keeping ${this.#announced.size} announcement(s) as they are: ${why}`);
      }
      this.#o.onCycle?.({ phase: 'holding', plan: null, guard: null, pass: null, eventToKernelMs: null, newlyHeld: false });
      return;
    }
    if (this.#holdingLogged) {
      this.#holdingLogged = false;
      log.info({ op: 'cycle', reason: 'trusted' }, 'cluster view trusted again: converging');
    }

    const nowMs = this.#now();
    const live = snapshot.agentLeases.size > 0 ? liveAgents(snapshot.agentLeases, nowMs) : null;
    let changed = this.#changed;
    this.#changed = new Set();
    // Until this cycle has applied its plan whole, the next one must not take a delta (see #drain's catch).
    const appliedWhole = this.#appliedWhole;
    this.#appliedWhole = false;
    const previous = this.#rawPlan;
    if (this.#sweep && changed !== null && previous !== null) {
      const found = changedServices(previous, snapshot);
      if (found === null) changed = null;
      else for (const k of found) changed.add(k);
    }
    this.#sweep = false;
    // No PlanMemo: between two full plans (60 s apart) the replan state already spares re-parsing,
    // and the memo's two maps of every IP cost more memory than the parsing it saves once a minute.
    const raw = replan({ config, snapshot, nodeName: this.#o.nodeName, liveAgents: live }, previous, changed);
    this.#rawPlan = raw;
    const gated = this.#o.canServe !== undefined && !this.#o.canServe();
    const p = gated ? withoutAnnouncements(raw) : raw;
    this.#lastPlan = p;
    if (p.warnings !== this.#lastWarnings) {
      this.#lastWarnings = p.warnings;
      const standing = new Set<string>();
      for (const w of p.warnings) {
        const key = `${w.code}|${w.service ?? ''}|${w.message}`;
        standing.add(key);
        if (!this.#warned.has(key)) log.warn({ op: 'plan', reason: w.code, service: w.service }, w.message);
      }
      this.#warned = standing;
    }
    // The plan's delta is relative to the last plan; it applies to what is announced only if that plan was applied whole.
    const d = planDelta(raw);
    const delta: PlanDelta | undefined = !gated && appliedWhole && d !== undefined && d.base.deref() === previous ? d : undefined;
    let withdrawn: string[] | undefined;
    if (delta) {
      withdrawn = [];
      for (const [ip, a] of delta.announcements) if (a === undefined && this.#announced.has(ip)) withdrawn.push(ip);
    }

    const g = guard({
      settings: { maxWithdrawFraction: config.safety.maxWithdrawFraction, holdMs: config.safety.holdMs },
      state: this.#guardState,
      current: this.#announced,
      next: p.announcements,
      nowMs,
      ...(withdrawn ? { withdrawn } : {}),
    });
    const newlyHeld = this.#noteGuard(g);
    this.#guardState = g.state;
    this.#lastGuard = g;

    // With the plan's delta applied whole, the kernel's desired state is derived from the last one: O(changes).
    const whole = g.apply === p.announcements;
    const changes = delta && whole ? [...delta.announcements].map(([ip, after]) => ({ before: this.#announced.get(ip), after })) : undefined;
    const derived = changes && this.#lastDesired ? desiredStateDelta(this.#lastDesired, changes, config) : undefined;
    const { desired, problems } = derived ?? desiredState(g.apply, config, this.#lastDesired);
    this.#lastDesired = desired;
    // A delta names the problems of the changed IPs only; a full pass names all that stand.
    const standing = derived ? this.#warnedDesired : new Set<string>();
    for (const pr of problems) {
      const key = `${pr.ip}|${pr.reason}`;
      if (!this.#warnedDesired.has(key)) log.warn({ op: 'plan', ip: pr.ip, reason: pr.reason }, 'left out of the kernel state');
      standing.add(key);
    }
    this.#warnedDesired = standing;
    const pass = await this.#o.kernel.reconcile(desired);
    if (pass.ok) {
      if (changes) {
        for (const c of changes) {
          if (c.after) this.#announced.set(c.after.ip, c.after);
          else if (c.before) this.#announced.delete(c.before.ip);
        }
      } else {
        this.#announced = announcedByIp(g.apply);
      }
      this.#setPhase('converged');
    }
    this.#appliedWhole = pass.ok && whole && !gated;
    const changedKernel = pass.routesAdded + pass.routesDeleted + pass.routesReplaced + pass.addressesAdded + pass.addressesDeleted + pass.addressesReplaced > 0;
    this.#o.onCycle?.({
      phase: this.#phase,
      plan: p,
      guard: g,
      pass,
      eventToKernelMs: changedKernel && since !== null ? this.#now() - since : null,
      newlyHeld,
    });
  }

  /** Logs the guard's changes and arms the release timer; true when a new withdrawal is held. */
  #noteGuard(g: GuardOutcome): boolean {
    const log = this.#o.log;
    const wasHolding = this.#guardState.heldKey !== null;
    const newlyHeld = g.holding && g.state.heldKey !== this.#guardState.heldKey;
    if (newlyHeld) {
      log.error(
        { op: 'guard', reason: 'mass-withdrawal-held', withdraw: g.withdrawn.length, current: this.#announced.size, releaseAt: new Date(g.releaseAtMs!).toISOString() },
        `holding a withdrawal of ${g.withdrawn.length} of ${this.#announced.size} announcement(s); applied at ${new Date(g.releaseAtMs!).toISOString()} if it persists`,
      );
    }
    if (g.released) log.warn({ op: 'guard', reason: 'released', withdraw: g.withdrawn.length }, 'held withdrawal persisted: applying it');
    else if (wasHolding && !g.holding) log.info({ op: 'guard', reason: 'cleared' }, 'held withdrawal no longer wanted: nothing withdrawn');
    clearTimeout(this.#guardTimer);
    if (g.holding && g.releaseAtMs !== null) {
      this.#guardTimer = setTimeout(() => this.markDirty(), Math.max(0, g.releaseAtMs - this.#now()) + 5);
    }
    return newlyHeld;
  }

  #setPhase(phase: AgentPhase): void {
    if (phase === this.#phase) return;
    this.#o.log.info({ op: 'phase', phase, was: this.#phase }, `phase ${phase}`);
    this.#phase = phase;
  }

  /**
   * Withdraws everything at once and stops announcing (stop job, system
   * shutdown). Resolves with the kernel's report.
   */
  async withdrawAll(): Promise<PassReport> {
    this.#withdrawn = true;
    await this.#running;
    this.#appliedWhole = false;
    const { desired } = desiredState([], this.#o.config, this.#lastDesired);
    this.#lastDesired = desired;
    const pass = await this.#o.kernel.reconcile(desired);
    if (pass.ok) this.#announced = new Map();
    return pass;
  }

  /** The shutdown was cancelled after withdrawAll: announce again. */
  resume(): void {
    this.#withdrawn = false;
    this.markDirty();
  }

  /** Stops the loop; waits for a running cycle. Leaves the kernel as it is. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearTimeout(this.#guardTimer);
    clearTimeout(this.#trustTimer);
    clearInterval(this.#resyncTimer);
    await this.#running;
  }
}

/**
 * The plan with nothing announced (this node cannot serve: kube-proxy unhealthy);
 * what the planner would announce says so (`kube-proxy-unhealthy`). Its decisions
 * are built only when read, as the raw plan's are: spreading the raw plan would
 * build all of them (tens of thousands) in every gated cycle.
 */
function withoutAnnouncements(raw: Plan): Plan {
  let decisions: Plan['decisions'] | undefined;
  const p = { synced: raw.synced, announcements: [] as Plan['announcements'], decisions: [] as Plan['decisions'], warnings: raw.warnings };
  Object.defineProperty(p, 'decisions', {
    enumerable: true,
    get: () => (decisions ??= raw.decisions.map((d) => (d.announce ? { service: d.service, ip: d.ip, source: d.source, announce: false, reason: 'kube-proxy-unhealthy' as const } : d))),
  });
  return p;
}

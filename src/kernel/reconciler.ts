// The kernel reconciler: takes the whole desired state, diffs it against the
// observed state and applies the difference — the only way anything above
// the kernel layer changes routes and addresses.
//
// The observed state comes from one full dump at start, then from the
// monitor's notifications and the answers to our own requests. It is dumped
// again only when it may be wrong: notifications lost (ENOBUFS), the monitor
// failed, an answer was unexpected (EEXIST on an add), a request's outcome is
// unknown (deadline), or the interface was deleted, replaced, taken down or
// lost its last IPv4 address (the kernel then drops the IPv4 routes through
// it, in every table, without telling). A single changed
// Service costs a diff in memory and a handful of netlink messages.
//
// A pass diffs only the keys that changed — in the desired state (its delta
// from the state given before) or in the kernel (notifications) — unless the
// observed state was just dumped or the delta does not apply: then the whole.
//
// A bulk change (more than the monitor's buffer could queue as echoes) runs
// with the monitor closed: its own echoes would overflow it anyway, costing a
// wakeup each and then a dump. It is reopened right after, and dumped.
//
// Passes run one at a time. `reconcile(desired)` starts one at once (or right
// after the running one); changes seen by the monitor that depart from the
// desired state ask for one, coalesced: at most one pass per `minIntervalMs`
// however many notifications arrive. Before the first `reconcile` nothing is
// changed — a restarted agent adopts what it finds until it knows better.

import { bookAnswers, encodeOps, zeroCounts, type ApplyTarget, type PassCounts } from './apply.ts';
import { addressDeparts, linkVerdict, routeDeparts } from './departs.ts';
import { addressKey, routeKey, type KernelDesired } from './desired.ts';
import { describeOp, diff, diffKeys, type DiffSettings, type KernelOp, type RouteConflict } from './diff.ts';
import { toNetlinkError } from './errors.ts';
import { ensureInterface, type KernelLog } from './interface.ts';
import { Monitor, type ChangeOp } from './monitor.ts';
import { ObservedState, type ObservedView } from './observed.ts';
import type { KernelSettings } from './settings.ts';
import { RtnlSocket } from './socket.ts';
import { dumpAddresses, dumpRoutes } from './dump.ts';
import type { AddressFields, LinkFields, RouteFields } from './wire.ts';

export type { PassCounts };

export type PassTrigger = 'start' | 'reconcile' | 'resync' | 'drift' | 'link' | 'flush' | 'overflow' | 'bulk' | 'monitor' | 'retry';

export interface PassReport extends Readonly<PassCounts> {
  readonly trigger: PassTrigger;
  /** The observed state was dumped afresh in this pass. */
  readonly resynced: boolean;
  /** false: the pass could not finish and the outcome is unknown; another pass follows. */
  readonly ok: boolean;
  readonly error?: string;
  /** Operations the kernel refused (each affects only itself). */
  readonly failed: readonly { readonly op: string; readonly errno: string }[];
  /** Desired routes whose slot another owner's route holds (left alone). */
  readonly conflicts: number;
  /** Duration of the pass. */
  readonly ms: number;
  /** From the first request this pass answers (a reconcile call, a notification) to its end: for drift, the repair time. */
  readonly latencyMs: number;
}

export interface ReconcilerOptions {
  readonly settings: KernelSettings;
  readonly log: KernelLog;
  /** Least time between passes that notifications ask for. */
  readonly minIntervalMs?: number;
  /** SO_RCVBUF for the monitor socket. */
  readonly monitorBufferSize?: number;
  /** Called after every pass. Must not throw. */
  readonly onPass?: (report: PassReport) => void;
}

export interface ReconcilerStats {
  passes: number;
  resyncs: number;
  overflows: number;
  /** Passes asked for by the monitor (drift, link, overflow). */
  eventPasses: number;
}

const MAX_BACKOFF_MS = 5000;
/** Receive-buffer bytes one route notification takes (its skb), measured: ~10,000 fit in 8 MiB. */
const BULK_ECHO_BYTES = 1024;
const MAX_FAILED_LOGGED = 10;

export class KernelReconciler {
  readonly stats: ReconcilerStats = { passes: 0, resyncs: 0, overflows: 0, eventPasses: 0 };
  readonly #settings: KernelSettings;
  readonly #log: KernelLog;
  readonly #minIntervalMs: number;
  readonly #monitorBufferSize: number | undefined;
  readonly #onPass: ((r: PassReport) => void) | undefined;
  #sock: RtnlSocket | undefined;
  #monitor: Monitor | undefined;
  #observed = new ObservedState();
  #ifindex = 0;
  #desired: KernelDesired | undefined;
  #needResync = true;
  /** The next pass diffs everything (after a dump, a failure, or a desired state without a usable delta). */
  #fullDiff = true;
  /** Keys the next pass must look at, when it is not a full one. */
  #routeKeys = new Set<string>();
  #addressKeys = new Set<string>();
  #dumpQueue: (() => void)[] | undefined;
  #dirty = false;
  #trigger: PassTrigger | undefined;
  #requestedAt: number | undefined;
  #running = false;
  #passRequestedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #lastPassEnd = 0;
  #gen = 0;
  #waiters: { gen: number; resolve: (r: PassReport) => void }[] = [];
  #idle: (() => void)[] = [];
  #conflictsLogged = new Set<string>();
  #closed = false;
  #lastError: Error | undefined;

  private constructor(opts: ReconcilerOptions) {
    this.#settings = opts.settings;
    this.#log = opts.log;
    this.#minIntervalMs = opts.minIntervalMs ?? 20;
    this.#monitorBufferSize = opts.monitorBufferSize;
    this.#onPass = opts.onPass;
  }

  /**
   * Opens the monitor and the request socket, ensures the interface and dumps
   * the table and the interface's addresses. Changes nothing else: the first
   * `reconcile` does. Throws (NetlinkError) when the kernel cannot be read.
   */
  static async start(opts: ReconcilerOptions): Promise<KernelReconciler> {
    const r = new KernelReconciler(opts);
    r.#running = true;
    try {
      const report = await r.#pass('start');
      if (!report.ok) throw r.#lastError ?? new Error(report.error);
    } catch (e) {
      r.close();
      throw toNetlinkError('starting the kernel reconciler', e);
    } finally {
      r.#running = false;
    }
    r.#lastPassEnd = performance.now();
    if (r.#dirty) r.#schedule();
    return r;
  }

  /** What the agent believes the kernel holds (read-only view; changes as passes and notifications arrive). */
  get observed(): ObservedView {
    return this.#observed;
  }

  get ifindex(): number {
    return this.#ifindex;
  }

  get monitorBufferSize(): number | undefined {
    return this.#monitor?.recvBufferSize;
  }

  /**
   * Makes `desired` the target and resolves with the report of a pass that
   * started after this call (calls during a running pass coalesce into the
   * next one). Never rejects: a pass that fails says so (`ok: false`) and is
   * retried with backoff.
   */
  reconcile(desired: KernelDesired): Promise<PassReport> {
    const delta = desired.delta;
    if (desired === this.#desired) {
      // the same state again: only what the kernel changed meanwhile
    } else if (!this.#fullDiff && delta !== undefined && this.#desired !== undefined && delta.base.deref() === this.#desired) {
      for (const k of delta.routes) this.#routeKeys.add(k);
      for (const k of delta.addresses) this.#addressKeys.add(k);
    } else {
      this.#fullDiff = true;
    }
    this.#desired = desired;
    return this.#waitForPass('reconcile');
  }

  /** Dumps afresh, then reconciles (the agent's periodic safety net). */
  resync(): Promise<PassReport> {
    this.#needResync = true;
    return this.#waitForPass('resync');
  }

  /** Resolves when no pass is running or scheduled (tests, benchmarks, shutdown). */
  whenIdle(): Promise<void> {
    if (!this.#running && !this.#timer && !this.#dirty) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Idempotent. Leaves the kernel as it is (withdrawing is the caller's decision: reconcile an empty state first). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#monitor?.close();
    this.#sock?.close();
    const closed = this.#report('reconcile', false, { ...zeroCounts() }, [], 0, 0, 'closed');
    for (const w of this.#waiters.splice(0)) w.resolve(closed);
    for (const i of this.#idle.splice(0)) i();
  }

  #waitForPass(trigger: PassTrigger): Promise<PassReport> {
    if (this.#closed) return Promise.resolve(this.#report(trigger, false, zeroCounts(), [], 0, 0, 'closed'));
    const gen = ++this.#gen;
    const p = new Promise<PassReport>((resolve) => this.#waiters.push({ gen, resolve }));
    this.#dirty = true;
    this.#trigger ??= trigger;
    this.#requestedAt ??= performance.now();
    if (!this.#running) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#loop();
    }
    return p;
  }

  /** A change seen by the monitor asks for a pass: coalesced, at most one per minIntervalMs. */
  #request(trigger: PassTrigger): void {
    if (this.#closed) return;
    this.#dirty = true;
    this.#trigger ??= trigger;
    this.#requestedAt ??= performance.now();
    if (!this.#running && !this.#timer) this.#schedule();
  }

  #schedule(): void {
    const wait = this.#failures > 0 ? Math.min(MAX_BACKOFF_MS, this.#minIntervalMs * 2 ** this.#failures) : this.#minIntervalMs;
    const delay = Math.max(0, this.#lastPassEnd + wait - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#loop();
    }, delay);
  }

  async #loop(): Promise<void> {
    if (this.#running || this.#closed) return;
    this.#running = true;
    try {
      while (this.#dirty && !this.#closed) {
        this.#dirty = false;
        const trigger = this.#trigger ?? 'retry';
        this.#trigger = undefined;
        this.#passRequestedAt = this.#requestedAt ?? performance.now();
        this.#requestedAt = undefined;
        const startGen = this.#gen;
        if (trigger !== 'reconcile' && trigger !== 'resync') this.stats.eventPasses++;
        const report = await this.#pass(trigger);
        this.#lastPassEnd = performance.now();
        if (report.ok) this.#failures = 0;
        else {
          this.#failures++;
          this.#dirty = true;
          this.#trigger ??= 'retry';
        }
        const done = this.#waiters.filter((w) => w.gen <= startGen);
        this.#waiters = this.#waiters.filter((w) => w.gen > startGen);
        for (const w of done) w.resolve(report);
        // Direct calls go on at once; what the monitor or a failure asks for waits its turn.
        if (this.#dirty && this.#waiters.length === 0) {
          if (!this.#closed) this.#schedule();
          break;
        }
      }
    } finally {
      this.#running = false;
      if (!this.#timer && !this.#dirty) for (const i of this.#idle.splice(0)) i();
    }
  }

  async #pass(trigger: PassTrigger): Promise<PassReport> {
    const t0 = performance.now();
    this.stats.passes++;
    const counts = zeroCounts();
    const failed: { op: string; errno: string }[] = [];
    let resynced = false;
    let conflicts = 0;
    try {
      if (!this.#sock || this.#sock.closed) this.#sock = new RtnlSocket({ timeoutMs: this.#settings.timeoutMs });
      if (!this.#monitor) this.#openMonitor();
      if (this.#needResync || this.#ifindex === 0) {
        await this.#resync(this.#sock);
        resynced = true;
      }
      const desired = this.#desired;
      const full = this.#fullDiff;
      const routeKeys = this.#routeKeys;
      const addressKeys = this.#addressKeys;
      this.#fullDiff = false;
      this.#routeKeys = new Set();
      this.#addressKeys = new Set();
      if (desired) {
        const d = full ? diff(desired, this.#observed, this.#diffSettings()) : diffKeys(desired, this.#observed, this.#diffSettings(), routeKeys, addressKeys);
        conflicts = this.#noteConflicts(d.conflicts, full ? undefined : routeKeys);
        if (this.#monitor && d.ops.length > this.#monitor.recvBufferSize / BULK_ECHO_BYTES) {
          this.#monitor.close();
          this.#monitor = undefined;
          this.#needResync = true;
          this.#request('bulk');
        }
        if (d.ops.length > 0) await this.#apply(this.#sock, d.ops, counts, failed);
      }
    } catch (e) {
      this.#needResync = true;
      this.#fullDiff = true;
      const err = toNetlinkError('reconciling', e);
      this.#lastError = err;
      this.#log.warn({ op: 'reconcile', trigger, err: err.message }, 'kernel pass failed; will dump and retry');
      return this.#finish(this.#report(trigger, resynced, counts, failed, conflicts, performance.now() - t0, err.message));
    }
    return this.#finish(this.#report(trigger, resynced, counts, failed, conflicts, performance.now() - t0));
  }

  #finish(r: PassReport): PassReport {
    const changed = r.routesAdded + r.routesReplaced + r.routesDeleted + r.addressesAdded + r.addressesReplaced + r.addressesDeleted;
    if (changed > 0 || r.failed.length > 0) {
      const { trigger, resynced, ms, latencyMs, failed, ...rest } = r;
      this.#log.info({ op: 'reconcile', trigger, resynced, ...rest, failed: failed.length, ms: Math.round(ms * 100) / 100, latencyMs: Math.round(latencyMs * 100) / 100 }, 'kernel reconciled');
    }
    try {
      this.#onPass?.(r);
    } catch {
      // a hook's trouble is its own
    }
    return r;
  }

  #report(trigger: PassTrigger, resynced: boolean, counts: PassCounts, failed: PassReport['failed'], conflicts: number, ms: number, error?: string): PassReport {
    const latencyMs = this.#passRequestedAt ? performance.now() - this.#passRequestedAt : ms;
    const r: PassReport = { trigger, resynced, ok: error === undefined, failed, conflicts, ms, latencyMs, ...counts };
    return error === undefined ? r : { ...r, error };
  }

  #diffSettings(): DiffSettings {
    return { protocol: this.#settings.protocol, ifindex: this.#ifindex, prefixRouteInMain: this.#settings.prefixRouteInMain };
  }

  /** Warns once per conflict; returns how many there are now. `examined`: the keys this pass looked at (all when undefined). */
  #noteConflicts(list: readonly RouteConflict[], examined: ReadonlySet<string> | undefined): number {
    const now = new Set<string>();
    for (const c of list) {
      const key = routeKey(c.route.dst, c.route.prefix);
      now.add(key);
      if (this.#conflictsLogged.has(key)) continue;
      this.#log.warn(
        { op: 'reconcile', ip: `${c.route.dst}/${c.route.prefix}`, reason: 'slot-held', protocol: c.holder.protocol, metric: c.route.metric, table: this.#settings.table },
        'another owner\'s route holds this destination and metric in our table: left alone, not announced by us',
      );
    }
    if (examined === undefined) this.#conflictsLogged = now;
    else {
      for (const k of examined) if (!now.has(k)) this.#conflictsLogged.delete(k);
      for (const k of now) this.#conflictsLogged.add(k);
    }
    return this.#conflictsLogged.size;
  }

  // ---- full dump ------------------------------------------------------------

  async #resync(sock: RtnlSocket): Promise<void> {
    this.#needResync = false;
    this.#fullDiff = true;
    this.stats.resyncs++;
    const iface = await ensureInterface(sock, { name: this.#settings.interfaceName, kind: this.#settings.interfaceKind }, this.#log);
    this.#ifindex = iface.index;
    const queue: (() => void)[] = [];
    this.#dumpQueue = queue;
    try {
      const fresh = new ObservedState();
      await dumpRoutes(sock, this.#settings.table, (r) => fresh.addRoute(r, false));
      await dumpAddresses(sock, iface.index, (a) => fresh.addAddress(a));
      // Notifications that arrived during the dump are applied on top, in order:
      // for every key the last word wins, whether it came before the dump saw it or after.
      this.#observed = fresh;
      for (const fn of queue) fn();
    } finally {
      this.#dumpQueue = undefined;
    }
    this.#log.debug({ op: 'resync', routes: this.#observed.routes.size, addresses: this.#observed.addresses.size, ifindex: this.#ifindex }, 'kernel state dumped');
  }

  // ---- applying -------------------------------------------------------------

  async #apply(sock: RtnlSocket, ops: readonly KernelOp[], counts: PassCounts, failed: { op: string; errno: string }[]): Promise<void> {
    const target = this.#target();
    const enc = encodeOps(ops, target);
    for (const i of enc.invalid) failed.push({ op: describeOp(ops[i]!), errno: 'EINVAL' });
    if (enc.msgs.count === 0) return;
    const v4Before = this.#hasIpv4Address();
    const results = await sock.batch(enc.msgs, `applying ${ops.length} kernel change${ops.length === 1 ? '' : 's'}`);
    const booked = bookAnswers(ops, enc, results, this.#observed, target, counts);
    if (booked.gone) {
      this.#needResync = true; // the interface went away under us
      this.#request('link');
    }
    if (booked.stale) {
      this.#needResync = true; // the kernel holds what our view lacks
      this.#request('retry');
    }
    let logged = 0;
    for (const { index, errno } of booked.refused) {
      const op = ops[index]!;
      this.#retryLater(op);
      failed.push({ op: describeOp(op), errno });
      if (logged++ < MAX_FAILED_LOGGED) this.#log.warn({ op: 'reconcile', change: describeOp(op), err: errno }, 'kernel refused a change');
    }
    if (v4Before && !this.#hasIpv4Address()) this.#flushed();
  }

  #target(): ApplyTarget {
    const { table, protocol, prefixRouteInMain } = this.#settings;
    return { table, protocol, prefixRouteInMain, ifindex: this.#ifindex };
  }

  #hasIpv4Address(): boolean {
    for (const a of this.#observed.addresses.values()) if (a.family === 4) return true;
    return false;
  }

  /** The interface lost its last IPv4 address: the kernel dropped our IPv4 routes through it, silently. */
  #flushed(): void {
    this.#needResync = true;
    this.#request('flush');
  }

  /** A refused change is tried again in the next pass (which it does not ask for by itself). */
  #retryLater(op: KernelOp): void {
    if (op.kind === 'add-route' || op.kind === 'replace-route' || op.kind === 'delete-route') this.#routeKeys.add(op.key);
    else this.#addressKeys.add(addressKey(op.address.ip, op.address.prefix));
  }

  // ---- notifications --------------------------------------------------------

  #openMonitor(): void {
    this.#needResync = true; // whatever happened while no one listened
    this.#monitor = new Monitor(
      {
        table: this.#settings.table,
        // Our own route changes were booked when the kernel answered; their
        // echoes, late, could undo a newer booking of the same key.
        ownPort: () => this.#sock?.port ?? -1,
        ...(this.#monitorBufferSize ? { recvBufferSize: this.#monitorBufferSize } : {}),
      },
      {
        route: (op, r, replace) => this.#onRoute(op, r, replace),
        address: (op, a) => this.#onAddress(op, a),
        link: (op, l) => this.#onLink(op, l),
        overflow: () => {
          // After an overflow the kernel marks the socket congested and drops
          // further notifications *without another ENOBUFS* until its queue has
          // been read empty — during a storm, maybe never. A dump alone would be
          // overtaken by silent losses: start over on a fresh socket, then dump.
          this.stats.overflows++;
          this.#monitor?.close();
          this.#monitor = undefined;
          this.#needResync = true;
          this.#request('overflow');
        },
        failed: (e) => {
          this.#monitor = undefined;
          this.#log.warn({ op: 'monitor', err: e.message }, 'netlink monitor failed; reopening it and dumping again');
          this.#needResync = true;
          this.#request('monitor');
        },
      },
    );
  }

  #onRoute(op: ChangeOp, r: RouteFields, replace: boolean): void {
    const apply = () => (op === 'new' ? this.#observed.addRoute(r, replace) : this.#observed.deleteRoute(r));
    if (this.#dumpQueue) this.#dumpQueue.push(apply);
    else apply();
    const key = this.#desired && routeDeparts(op, r, this.#desired, this.#diffSettings());
    if (key === undefined) return;
    this.#routeKeys.add(key);
    this.#request('drift');
  }

  #onAddress(op: ChangeOp, a: AddressFields): void {
    if (a.ifindex !== this.#ifindex || this.#ifindex === 0 || a.linkLocal) return;
    const apply = () => (op === 'new' ? this.#observed.addAddress(a) : this.#observed.deleteAddress(a));
    if (this.#dumpQueue) this.#dumpQueue.push(apply);
    else {
      const v4Before = op === 'del' && a.family === 4 && this.#hasIpv4Address();
      apply();
      if (v4Before && !this.#hasIpv4Address()) this.#flushed();
    }
    const key = this.#desired && addressDeparts(op, a, this.#desired, this.#diffSettings());
    if (key === undefined) return;
    this.#addressKeys.add(key);
    this.#request('drift');
  }

  #onLink(op: ChangeOp, l: LinkFields): void {
    const verdict = linkVerdict(op, l, this.#ifindex, this.#settings.interfaceName);
    if (verdict === 'ignore') return;
    if (verdict === 'gone') this.#ifindex = 0;
    this.#needResync = true;
    this.#request('link');
  }
}

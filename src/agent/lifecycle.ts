// `kube-lb-agent run`: the agent's whole life, start and stop written down as
// numbered steps. Pieces come from the rooms: kernel/ (reconciler), cluster/
// (API, view, Lease), plan/ via the loop, system/ (systemd, logind),
// observe/ (metrics, HTTP).
//
// Start:
//   1. boot phase (idempotent: after ExecStartPre it finds "same boot" and adopts);
//   2. metrics and HTTP, so /healthz answers while the rest comes up;
//   3. kernel reconciler: interface ensured, table and addresses dumped —
//      nothing changed: what is there is adopted until a trusted plan says otherwise;
//   4. system bus: logind's PrepareForShutdown and the delay inhibitor;
//   5. API connection, cluster view, this node's Lease (the API may be down:
//      normal at boot; they retry quietly); with kubernetes.events, the
//      event recorder (it never blocks the loop: a bounded queue of its own);
//   6. the loop; optionally gated on the local kube-proxy's health.
//
// Stop (`close(cause)`, idempotent):
//   1. phase "stopping"; the loop stops (a running cycle finishes);
//   2. decide keep or withdraw: shutdown.withdraw, and under "auto" the
//      systemd job that is stopping us (restart → keep, stop → withdraw,
//      unknown → keep); logind's shutdown path has withdrawn already;
//   3. withdraw: delete the Lease (peers take over at once) while the kernel
//      withdraws everything, then wait shutdown.drain so BIRD/FRR send
//      withdrawals — the "stopped" Events are posted during that drain, best
//      effort, never extending it; keep: stop renewing the Lease, delete
//      nothing, post nothing;
//   4. close the event recorder (what is still queued is dropped), the view,
//      the API, logind watcher, inhibitor, bus, probe;
//   5. close the reconciler (the kernel stays as it is) and, last, HTTP.

import { setTimeout as sleep } from 'node:timers/promises';
import { buildInfo } from '../build-info.ts';
import { createAgentLease, createApiConnection, createClusterView, type AgentLease, type ApiConnection, type ClusterView } from '../cluster/index.ts';
import { EventRecorder } from '../cluster/events.ts';
import type { Announcement } from '../plan/index.ts';
import { resolveNodeName, type Config } from '../config/index.ts';
import { KernelReconciler, kernelSettings } from '../kernel/index.ts';
import { createMetrics, startHttpServer, type AgentMetrics, type HttpServer } from '../observe/index.ts';
import type { Logger } from '../system/logger.ts';
import { SystemBus } from '../system/dbus.ts';
import { DelayInhibitor } from '../system/inhibitor.ts';
import { ShutdownWatcher } from '../system/logind.ts';
import { askStopKind, decideStop, describeStop } from '../system/systemd.ts';
import { AgentLoop, type CycleReport } from './agent.ts';
import { runBootPhase, type BootPhaseResult } from './boot.ts';
import { KubeProxyProbe } from './kube-proxy.ts';
import type { AgentPhase, AgentStatus } from './status.ts';
import { allStopped, transitionEvent, transitions, type StopReason, type Transition } from './transitions.ts';

export interface AgentOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Node name override (tests); default resolveNodeName(config). */
  readonly nodeName?: string;
  /** D-Bus system bus address (tests); default $DBUS_SYSTEM_BUS_ADDRESS or the standard socket. */
  readonly busAddress?: string;
}

export type StopCause = 'signal' | 'error';

export class Agent {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #node: string;
  readonly #startedAtMs = Date.now();
  #boot!: BootPhaseResult;
  #metrics!: AgentMetrics;
  #http: HttpServer | null = null;
  #kernel!: KernelReconciler;
  #bus: SystemBus | null = null;
  #inhibitor: DelayInhibitor | null = null;
  #watcher: ShutdownWatcher | null = null;
  #api!: ApiConnection;
  #view!: ClusterView;
  #lease!: AgentLease;
  #loop!: AgentLoop;
  #probe: KubeProxyProbe | null = null;
  #events: EventRecorder | null = null;
  /** What the last Events were computed against (kubernetes.events). */
  #eventsBase: readonly Announcement[] = [];
  #stopping = false;
  #closing: Promise<void> | null = null;
  #lastReconcileMs: number | null = null;
  #lastKernelError: string | null = null;
  #lastPlanMs: number | null = null;

  private constructor(opts: AgentOptions) {
    this.#config = opts.config;
    this.#log = opts.log;
    this.#node = opts.nodeName ?? resolveNodeName(opts.config);
  }

  static async start(opts: AgentOptions): Promise<Agent> {
    const a = new Agent(opts);
    await a.#start(opts);
    return a;
  }

  async #start(opts: AgentOptions): Promise<void> {
    const { config, log } = this;
    const settings = kernelSettings(config);
    // 1.
    this.#boot = await runBootPhase({ stateDirectory: config.state.directory, log, kernel: settings });
    // 2.
    this.#metrics = createMetrics({ status: () => this.status(), informers: () => (this.#view ? this.#view.status().informers : []) });
    if (config.http.listen) {
      this.#http = await startHttpServer({ listen: config.http.listen, status: () => this.status(), metrics: this.#metrics, log });
    }
    // 3.
    this.#kernel = await KernelReconciler.start({
      settings,
      log,
      onPass: (r) => {
        if (r.ok) {
          this.#lastReconcileMs = Date.now();
          this.#lastKernelError = null;
        } else {
          this.#lastKernelError = r.error ?? 'reconcile failed';
        }
        this.#metrics.observeReconcile(r.ms / 1000, r.ok ? 'ok' : 'error');
        this.#metrics.kernelPass(r);
      },
    });
    // 4.
    this.#bus = new SystemBus({ log, ...(opts.busAddress ? { address: opts.busAddress } : {}) });
    this.#inhibitor = new DelayInhibitor({ log });
    this.#watcher = new ShutdownWatcher({
      bus: this.#bus,
      log,
      inhibitor: this.#inhibitor,
      onShutdown: () => this.#withdrawForShutdown(),
      onShutdownCancelled: () => this.#resumeAfterCancelledShutdown(),
    });
    this.#watcher.start();
    // 5.
    this.#api = createApiConnection({ kubeconfig: config.kubernetes.kubeconfig, log });
    this.#view = createClusterView({ api: this.#api, kubernetes: config.kubernetes, log });
    this.#lease = createAgentLease({ api: this.#api, kubernetes: config.kubernetes, nodeName: this.#node, log });
    if (config.kubernetes.events) {
      const metrics = this.#metrics;
      this.#events = new EventRecorder({ api: this.#api, node: this.#node, log, requestTimeoutMs: config.kubernetes.requestTimeoutMs, onOutcome: (o) => metrics.kubernetesEvent(o) });
    }
    // 6.
    if (config.node.kubeProxyHealthz) {
      this.#probe = new KubeProxyProbe({ url: config.node.kubeProxyHealthz, log, onChange: () => this.#loop.markDirty() });
    }
    const probe = this.#probe;
    this.#loop = new AgentLoop({
      config,
      nodeName: this.#node,
      view: this.#view,
      kernel: this.#kernel,
      log,
      ...(probe ? { canServe: () => probe.healthy() } : {}),
      onCycle: (c) => this.#onCycle(c),
    });
    this.#eventsBase = this.#loop.announced;
    // The API coming back changes no object but ends "holding": look at once.
    this.#api.onState(() => this.#loop.markDirty());
    this.#view.start();
    this.#lease.start();
    probe?.start();
    this.#loop.start();
    log.info(
      { op: 'run', node: this.#node, boot: this.#boot.kind, adopted: this.#loop.announced.length, events: config.kubernetes.events, http: this.#http ? `${this.#http.address.host}:${this.#http.address.port}` : null },
      `agent running on node ${this.#node}: ${this.#boot.kind === 'fresh' ? 'fresh boot' : `restart, ${this.#loop.announced.length} announcement(s) adopted`}; waiting for the cluster view`,
    );
  }

  get config(): Config {
    return this.#config;
  }
  get log(): Logger {
    return this.#log;
  }

  #onCycle(c: CycleReport): void {
    if (c.plan) this.#lastPlanMs = Date.now();
    if (c.newlyHeld) this.#metrics.withdrawalHeld();
    if (c.eventToKernelMs !== null) this.#metrics.observeEventToKernel(c.eventToKernelMs / 1000);
    if (this.#events && c.plan) {
      const next = this.#loop.announced;
      this.#recordEvents(transitions({ previous: this.#eventsBase, next, plan: c.plan }));
      this.#eventsBase = next;
    }
  }

  #recordEvents(list: readonly Transition[]): void {
    const events = this.#events;
    if (!events) return;
    for (const t of list) events.record(transitionEvent(t, this.#node));
  }

  /** The kernel has withdrawn everything: one "stopped" Event per Service the Events last said was announced. */
  #recordAllStopped(reason: StopReason): void {
    if (!this.#events) return;
    this.#events.recordFinal(allStopped(this.#eventsBase, reason).map((t) => transitionEvent(t, this.#node)));
    this.#eventsBase = [];
  }

  /** The drain: events are posted meanwhile, never past it. */
  async #drain(): Promise<void> {
    const until = Date.now() + this.#config.shutdown.drainMs;
    await Promise.all([sleep(this.#config.shutdown.drainMs), this.#events?.flush(until)]);
  }

  /**
   * logind's PrepareForShutdown(false) after (true): `shutdown -c`. The Lease was
   * deleted with the withdrawal and a closed Lease cannot start again, so a new
   * one is taken: without it peers, and this node's own election, would count
   * this node dead until the agent restarts (per-service and leader elections).
   */
  #resumeAfterCancelledShutdown(): void {
    if (this.#stopping) return;
    this.#lease = createAgentLease({ api: this.#api, kubernetes: this.config.kubernetes, nodeName: this.#node, log: this.log });
    this.#lease.start();
    this.#loop.resume();
  }

  /** logind's PrepareForShutdown(true); the watcher (src/system/logind.ts) logs its start and end. */
  async #withdrawForShutdown(): Promise<void> {
    const [, pass] = await Promise.allSettled([this.#lease.close(), this.#loop.withdrawAll()]);
    if (pass.status === 'fulfilled' && pass.value.ok) this.#recordAllStopped('system-shutdown');
    await this.#drain();
  }

  status(): AgentStatus {
    const view = this.#view?.status();
    const lease = this.#lease?.status();
    const g = this.#loop?.lastGuard;
    const p = this.#loop?.lastPlan;
    const phase: AgentPhase = this.#stopping ? 'stopping' : (this.#loop?.phase ?? 'booting');
    const observed = this.#kernel?.observed;
    let routes = 0;
    if (observed) for (const list of observed.routes.values()) for (const r of list) if (r.protocol === this.#config.routing.protocol) routes++;
    return {
      node: this.#node,
      build: buildInfo,
      startedAtMs: this.#startedAtMs,
      phase,
      boot: { kind: this.#boot?.kind ?? 'same', why: this.#boot?.why ?? 'booting' },
      api: view?.api ?? { state: 'connecting', lastError: null, sinceMs: this.#startedAtMs },
      synced: view?.synced ?? false,
      lease: lease ? { name: lease.name, held: lease.held, lastRenewMs: lease.lastRenewMs, lastError: lease.lastError } : null,
      guard: {
        holding: g?.holding ?? false,
        sinceMs: g?.state.sinceMs ?? null,
        releaseAtMs: g?.releaseAtMs ?? null,
        wouldWithdraw: g?.holding ? g.withdrawn.length : 0,
        current: this.#loop?.announced.length ?? 0,
      },
      kernel: {
        interface: this.#config.interface.name,
        table: this.#config.routing.table,
        protocol: this.#config.routing.protocol,
        routes,
        addresses: observed?.addresses.size ?? 0,
        lastReconcileMs: this.#lastReconcileMs,
        lastError: this.#lastKernelError,
      },
      announcements: this.#loop?.announced ?? [],
      decisions: p?.decisions ?? [],
      lastPlanMs: this.#lastPlanMs,
    };
  }

  /** The stop sequence (see the top of this file). Idempotent. */
  close(cause: StopCause = 'signal'): Promise<void> {
    this.#closing ??= this.#close(cause);
    return this.#closing;
  }

  async #close(cause: StopCause): Promise<void> {
    const { log } = this;
    const policy = this.#config.shutdown.withdraw;
    // 1.
    this.#stopping = true;
    await this.#loop.stop();
    // 2.
    const answer = policy === 'auto' && this.#bus ? await askStopKind(this.#bus) : null;
    const decision = decideStop(policy, answer?.kind ?? 'unknown');
    log.info({ op: 'stop', reason: decision.reason, cause, action: decision.action }, describeStop(decision, answer));
    // 3.
    if (decision.action === 'withdraw') {
      const [, pass] = await Promise.allSettled([this.#lease.close(), this.#loop.withdrawAll()]);
      const ok = pass.status === 'fulfilled' && pass.value.ok;
      if (ok) this.#recordAllStopped('agent-stopping');
      log.info({ op: 'stop', reason: 'withdrawn', ok }, `withdrawn${ok ? '' : ' (with errors)'}; draining ${this.#config.shutdown.drainMs} ms so the routing daemon sends withdrawals`);
      await this.#drain();
    } else {
      await this.#lease.close({ release: false });
    }
    // 4.
    await this.#events?.close();
    await this.#view.close();
    this.#api.close();
    await this.#watcher?.close();
    await this.#inhibitor?.close();
    this.#bus?.close();
    this.#probe?.close();
    // 5.
    this.#kernel.close();
    await this.#http?.close();
    log.info({ op: 'stop', reason: 'done' }, 'stopped');
  }
}

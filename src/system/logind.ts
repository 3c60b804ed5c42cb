// logind tells every subscriber PrepareForShutdown(true) before a poweroff or
// reboot begins, and waits for the holders of delay inhibitors (at most its
// InhibitDelayMaxSec=, 5 s by default). The agent withdraws its routes then —
// before systemd stops kubelet and the pods — and releases its inhibitor once
// that is done. PrepareForShutdown(false) means the shutdown was cancelled:
// the inhibitor is taken again and the owner told, so it can announce again.
//
// Only logind itself is believed: on the system bus anyone may send a signal
// (even to us directly), so the sender must be the current owner of
// org.freedesktop.login1. A restarted bus or logind is picked up again, and
// logind's PreparingForShutdown property covers what was missed meanwhile.

import type { BusClient, SignalMessage } from './dbus.ts';
import type { Inhibitor, TakeResult } from './inhibitor.ts';
import type { Logger } from './logger.ts';

const LOGIND = 'org.freedesktop.login1';
const LOGIND_PATH = '/org/freedesktop/login1';
const LOGIND_MANAGER = 'org.freedesktop.login1.Manager';
const DBUS = 'org.freedesktop.DBus';

export interface ShutdownWatcherOptions {
  readonly bus: BusClient;
  readonly log: Logger;
  readonly inhibitor: Inhibitor;
  /** Withdraw everything (and drain). Called at once on PrepareForShutdown(true); the inhibitor is released when it settles. */
  readonly onShutdown: () => Promise<void> | void;
  /** The shutdown was cancelled after onShutdown ran: announce again. */
  readonly onShutdownCancelled?: () => void;
  /** Backoff for taking the inhibitor again after a failure. Defaults 5 s → 5 min. */
  readonly retakeMinMs?: number;
  readonly retakeMaxMs?: number;
  /** Bound on each question to the bus; default 5000 ms. */
  readonly callTimeoutMs?: number;
}

/** `watching`: inhibitor wanted; `shutting-down`: withdrawing or withdrawn, inhibitor released. */
export type ShutdownPhase = 'idle' | 'watching' | 'shutting-down' | 'closed';

export class ShutdownWatcher {
  readonly #o: ShutdownWatcherOptions;
  readonly #retakeMinMs: number;
  readonly #retakeMaxMs: number;
  readonly #timeoutMs: number;
  #phase: ShutdownPhase = 'idle';
  /** The unique name of logind; undefined = not known yet, null = nobody. */
  #owner: string | null | undefined = undefined;
  #withdrawal: Promise<void> | null = null;
  #cancelPending = false;
  #retakeTimer: NodeJS.Timeout | null = null;
  #retakeMs: number;
  #failing = false;
  #noLogindLogged = false;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(opts: ShutdownWatcherOptions) {
    this.#o = opts;
    this.#retakeMinMs = opts.retakeMinMs ?? 5000;
    this.#retakeMaxMs = opts.retakeMaxMs ?? 300_000;
    // 5 s, not 1: at a shutdown systemd and the bus are busy, and an unanswered
    // GetNameOwner would make a real PrepareForShutdown be ignored (the VM test
    // saw 1 s timeouts on the bus under load).
    this.#timeoutMs = opts.callTimeoutMs ?? 5000;
    this.#retakeMs = this.#retakeMinMs;
    opts.inhibitor.onLost((detail) => {
      if (this.#phase !== 'watching') return;
      this.#o.log.warn({ op: 'inhibit', reason: 'lost', err: detail }, 'shutdown delay inhibitor lost; taking it again');
      this.#scheduleRetake();
    });
  }

  get phase(): ShutdownPhase {
    return this.#phase;
  }

  /** The withdrawal started by PrepareForShutdown(true), while it runs. */
  get withdrawal(): Promise<void> | null {
    return this.#withdrawal;
  }

  /**
   * Subscribe; the inhibitor is taken once logind is seen on the bus (at once
   * when it is there). Never throws, never waits: without a system bus this
   * does nothing but wait for one (the bus logs that once).
   */
  start(): void {
    if (this.#phase !== 'idle') return;
    this.#phase = 'watching';
    const { bus } = this.#o;
    this.#unsubscribe.push(
      bus.subscribe({ sender: LOGIND, path: LOGIND_PATH, interface: LOGIND_MANAGER, member: 'PrepareForShutdown' }, (msg) => this.#onSignal(msg)),
      bus.subscribe({ sender: DBUS, path: '/org/freedesktop/DBus', interface: DBUS, member: 'NameOwnerChanged', arg0: LOGIND }, (msg) => this.#onOwner(msg)),
      bus.onConnected(() => void this.#resync()),
    );
  }

  /** Idempotent: stop listening and release the inhibitor. A running withdrawal is not waited for. */
  async close(): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.#retakeTimer) clearTimeout(this.#retakeTimer);
    this.#retakeTimer = null;
    await this.#o.inhibitor.release();
  }

  #onSignal(msg: SignalMessage): void {
    const active = msg.body[0];
    if (typeof active !== 'boolean') return;
    if (this.#owner !== undefined) {
      this.#fromLogind(msg.sender, this.#owner, active);
      return;
    }
    this.#o.bus.nameOwner(LOGIND, this.#timeoutMs).then(
      (owner) => {
        this.#owner = owner;
        this.#fromLogind(msg.sender, owner, active);
      },
      (e: unknown) => this.#o.log.warn({ op: 'shutdown', err: e }, 'PrepareForShutdown: cannot tell whether it came from logind; ignored'),
    );
  }

  #fromLogind(sender: string, owner: string | null, active: boolean): void {
    if (sender !== owner) {
      this.#o.log.warn({ op: 'shutdown', reason: 'not-logind', sender, owner }, `ignored PrepareForShutdown(${active}) from ${sender}, which is not logind`);
      return;
    }
    if (active) this.#shutdown('signal');
    else this.#cancelled();
  }

  #shutdown(via: 'signal' | 'property'): void {
    if (this.#phase !== 'watching') return;
    this.#phase = 'shutting-down';
    this.#cancelPending = false;
    if (this.#retakeTimer) clearTimeout(this.#retakeTimer);
    this.#retakeTimer = null;
    const { log, inhibitor } = this.#o;
    log.info({ op: 'shutdown', reason: via === 'signal' ? 'prepare-for-shutdown' : 'preparing-for-shutdown' }, 'logind: the system is going down; withdrawing now');
    const started = Date.now();
    let run: Promise<void>;
    try {
      run = Promise.resolve(this.#o.onShutdown());
    } catch (e) {
      run = Promise.reject(e);
    }
    this.#withdrawal = run
      .catch((e: unknown) => log.error({ op: 'shutdown', err: e }, 'withdrawal before shutdown failed'))
      .then(() => inhibitor.release())
      .then(() => {
        log.info({ op: 'shutdown', ms: Date.now() - started }, 'withdrawn before shutdown; delay inhibitor released');
        this.#withdrawal = null;
        if (this.#cancelPending) this.#cancelled();
      });
  }

  #cancelled(): void {
    if (this.#phase === 'shutting-down' && this.#withdrawal) {
      this.#cancelPending = true;
      return;
    }
    this.#cancelPending = false;
    if (this.#phase === 'shutting-down') {
      this.#phase = 'watching';
      this.#o.log.info({ op: 'shutdown', reason: 'cancelled' }, 'logind: shutdown cancelled; taking the delay inhibitor again');
      void this.#take();
      try {
        this.#o.onShutdownCancelled?.();
      } catch (e) {
        this.#o.log.error({ op: 'shutdown', err: e }, 'shutdown-cancelled handler failed');
      }
    } else if (this.#phase === 'watching' && !this.#o.inhibitor.held) {
      void this.#take();
    }
  }

  #onOwner(msg: SignalMessage): void {
    if (msg.sender !== DBUS) return; // only the bus itself reports owners
    const newOwner = msg.body[2];
    if (typeof newOwner !== 'string') return;
    this.#owner = newOwner === '' ? null : newOwner;
    if (this.#owner && this.#phase === 'watching' && !this.#o.inhibitor.held) {
      this.#retakeMs = this.#retakeMinMs;
      void this.#take();
    }
  }

  /** After a (re)connection: who is logind now, and did we miss a shutdown or its cancellation? */
  async #resync(): Promise<void> {
    const { bus, log } = this.#o;
    try {
      this.#owner = await bus.nameOwner(LOGIND, this.#timeoutMs);
      if (!this.#owner) {
        if (!this.#noLogindLogged) log.info({ op: 'shutdown', reason: 'no-logind' }, 'logind is not on the system bus: no early withdrawal at shutdown until it is');
        this.#noLogindLogged = true;
        return;
      }
    } catch (e) {
      log.debug({ op: 'shutdown', err: e }, 'logind not found on the system bus');
      return;
    }
    let preparing: unknown;
    try {
      preparing = await bus.getProperty(LOGIND, LOGIND_PATH, LOGIND_MANAGER, 'PreparingForShutdown', this.#timeoutMs);
    } catch (e) {
      log.debug({ op: 'shutdown', err: e }, 'logind PreparingForShutdown not readable');
    }
    if (preparing === true) this.#shutdown('property');
    else if (preparing === false && this.#phase === 'shutting-down') this.#cancelled();
    else if (this.#phase === 'watching' && !this.#o.inhibitor.held) void this.#take();
  }

  async #take(): Promise<TakeResult | null> {
    if (this.#phase !== 'watching') return null;
    const r = await this.#o.inhibitor.take();
    if (this.#phase !== 'watching') {
      // A shutdown or close came while the lock was being granted.
      if (r.held && !this.#withdrawal) await this.#o.inhibitor.release();
      return r;
    }
    if (r.held) {
      if (this.#failing) this.#o.log.info({ op: 'inhibit' }, 'shutdown delay inhibitor taken again');
      this.#failing = false;
      this.#retakeMs = this.#retakeMinMs;
      return r;
    }
    if (r.reason === 'released' || r.reason === 'closed') return r;
    // Once per failure streak (e.g. polkit denies it, or systemd-inhibit is missing).
    const fields = { op: 'inhibit', reason: r.reason, err: r.detail };
    if (!this.#failing) this.#o.log.warn(fields, 'cannot hold a shutdown delay inhibitor: routes are still withdrawn at PrepareForShutdown, but logind will not wait for it');
    else this.#o.log.debug(fields, 'shutdown delay inhibitor still not granted');
    this.#failing = true;
    this.#scheduleRetake();
    return r;
  }

  #scheduleRetake(): void {
    if (this.#phase !== 'watching' || this.#retakeTimer) return;
    const ms = this.#retakeMs;
    this.#retakeMs = Math.min(this.#retakeMs * 2, this.#retakeMaxMs);
    this.#retakeTimer = setTimeout(() => {
      this.#retakeTimer = null;
      void this.#take();
    }, ms);
    this.#retakeTimer.unref();
  }
}

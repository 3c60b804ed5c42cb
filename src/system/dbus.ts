// The agent's connection to the system bus, for systemd (which job stops us)
// and logind (shutdown is coming). dbus-next's low-level message API only: no
// decorators, no introspection, no file descriptors (its optional native
// `usocket` is never loaded, so the single executable needs no addon for it).
//
// A missing or vanished bus is a state, not an exception: calls fail fast with
// a typed BusError, subscriptions are kept and renewed when the bus returns,
// and the state is logged once per change. Nothing here keeps the process
// alive: the socket is unref'd, only an awaited call's timer holds the loop.

import { sessionBus, Message, type MessageBus } from 'dbus-next';
import { AgentError } from '../errors.ts';
import type { Logger } from './logger.ts';

export const DEFAULT_SYSTEM_BUS_ADDRESS = 'unix:path=/var/run/dbus/system_bus_socket';
const DBUS_NAME = 'org.freedesktop.DBus';
const DBUS_PATH = '/org/freedesktop/DBus';
// dbus-next's MessageType.SIGNAL (its typings number the enum from 0; the wire and the library from 1).
const SIGNAL = 4;

/** Why a call did not get an answer. `remote`: the peer answered with a D-Bus error (see `dbusName`). */
export type BusFailure = 'no-bus' | 'timeout' | 'disconnected' | 'remote' | 'closed';

export class BusError extends AgentError {
  readonly failure: BusFailure;
  /** The D-Bus error name of a `remote` failure, e.g. `org.freedesktop.DBus.Error.ServiceUnknown`. */
  readonly dbusName: string | undefined;
  constructor(failure: BusFailure, message: string, options?: { cause?: unknown; dbusName?: string }) {
    super('DBUS', message, options);
    this.failure = failure;
    this.dbusName = options?.dbusName;
  }
}

export function isBusError(e: unknown, failure?: BusFailure): e is BusError {
  return e instanceof BusError && (failure === undefined || e.failure === failure);
}

/**
 * The unix socket to connect to, from a D-Bus server address list
 * (`unix:path=/run/dbus/system_bus_socket`, `unix:abstract=name`, several
 * separated by `;`, values %-escaped). Other transports are skipped. Returns
 * null when none is usable. Abstract names come back with a leading NUL,
 * which is how Node's `net` spells them.
 */
export function socketFromAddress(address: string): string | null {
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (colon < 0 || entry.slice(0, colon) !== 'unix') continue;
    const params = new Map<string, string>();
    for (const kv of entry.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) continue;
      let value: string;
      try {
        value = decodeURIComponent(kv.slice(eq + 1));
      } catch {
        continue;
      }
      params.set(kv.slice(0, eq), value);
    }
    const path = params.get('path');
    const abstract = params.get('abstract');
    const socket = path ? path : abstract ? `\0${abstract}` : null;
    // dbus-next re-parses the address it is given without unescaping: a path
    // with one of its separators in it cannot be passed through.
    if (socket && !/[;:,=]/.test(socket)) return socket;
  }
  return null;
}

export interface CallRequest {
  readonly destination: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly signature?: string;
  readonly body?: readonly unknown[];
}

/** A signal to receive. Matched here on interface, member and path; the sender is the subscriber's to check. */
export interface SignalRule {
  readonly sender: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly arg0?: string;
}

export interface SignalMessage {
  readonly sender: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly body: readonly unknown[];
}

/** What systemd.ts and logind.ts need of a bus; tests of pure parts may fake it. */
export interface BusClient {
  call(req: CallRequest, timeoutMs: number): Promise<readonly unknown[]>;
  getProperty(destination: string, path: string, iface: string, name: string, timeoutMs: number): Promise<unknown>;
  /** The unique name owning `name`, or null when nobody does. */
  nameOwner(name: string, timeoutMs: number): Promise<string | null>;
  subscribe(rule: SignalRule, handler: (msg: SignalMessage) => void): () => void;
  /** Called after every (re)connection, once the subscriptions are in place. */
  onConnected(fn: () => void): () => void;
}

export interface SystemBusOptions {
  readonly log: Logger;
  /** A D-Bus address; default: $DBUS_SYSTEM_BUS_ADDRESS or the standard system socket. */
  readonly address?: string;
  /** Bound on connecting (socket + authentication + Hello). Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Backoff between reconnection attempts while something is subscribed. Defaults 1 s → 30 s. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
}

interface Subscription {
  readonly rule: SignalRule;
  readonly match: string;
  readonly handler: (msg: SignalMessage) => void;
}

interface Pending {
  readonly bus: MessageBus;
  readonly reject: (e: BusError) => void;
}

type BusState = 'never' | 'up' | 'down' | 'closed';

export function matchRule(rule: SignalRule): string {
  const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
  const parts = [`type='signal'`, `sender=${q(rule.sender)}`, `path=${q(rule.path)}`, `interface=${q(rule.interface)}`, `member=${q(rule.member)}`];
  if (rule.arg0 !== undefined) parts.push(`arg0=${q(rule.arg0)}`);
  return parts.join(',');
}

export class SystemBus implements BusClient {
  readonly #log: Logger;
  readonly #address: string;
  readonly #socket: string | null;
  readonly #connectTimeoutMs: number;
  readonly #reconnectMinMs: number;
  readonly #reconnectMaxMs: number;
  #bus: MessageBus | null = null;
  #connecting: Promise<MessageBus> | null = null;
  #state: BusState = 'never';
  #backoffMs: number;
  #retry: NodeJS.Timeout | null = null;
  readonly #subs = new Set<Subscription>();
  readonly #connectedListeners = new Set<() => void>();
  readonly #pending = new Set<Pending>();

  constructor(opts: SystemBusOptions) {
    this.#log = opts.log;
    this.#address = opts.address ?? (process.env.DBUS_SYSTEM_BUS_ADDRESS || DEFAULT_SYSTEM_BUS_ADDRESS);
    this.#socket = socketFromAddress(this.#address);
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 1000;
    this.#reconnectMinMs = opts.reconnectMinMs ?? 1000;
    this.#reconnectMaxMs = opts.reconnectMaxMs ?? 30_000;
    this.#backoffMs = this.#reconnectMinMs;
  }

  get connected(): boolean {
    return this.#bus !== null;
  }

  /** Our unique name on the bus while connected (`:1.42`). */
  get uniqueName(): string | null {
    return (this.#bus as unknown as { name?: string } | null)?.name ?? null;
  }

  get address(): string {
    return this.#address;
  }

  async call(req: CallRequest, timeoutMs: number): Promise<readonly unknown[]> {
    const deadline = Date.now() + timeoutMs;
    const bus = await this.#connect(timeoutMs);
    return this.#callOn(bus, req, deadline - Date.now());
  }

  async getProperty(destination: string, path: string, iface: string, name: string, timeoutMs: number): Promise<unknown> {
    const body = await this.call(
      { destination, path, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [iface, name] },
      timeoutMs,
    );
    const v = body[0] as { value?: unknown } | undefined;
    return v?.value;
  }

  async nameOwner(name: string, timeoutMs: number): Promise<string | null> {
    try {
      const body = await this.call({ destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'GetNameOwner', signature: 's', body: [name] }, timeoutMs);
      return typeof body[0] === 'string' ? body[0] : null;
    } catch (e) {
      if (isBusError(e, 'remote') && e.dbusName === 'org.freedesktop.DBus.Error.NameHasNoOwner') return null;
      throw e;
    }
  }

  /**
   * Receive a signal now and after every reconnection. Subscribing starts the
   * connection (and the reconnection loop) in the background; it never throws.
   */
  subscribe(rule: SignalRule, handler: (msg: SignalMessage) => void): () => void {
    const sub: Subscription = { rule, match: matchRule(rule), handler };
    this.#subs.add(sub);
    if (this.#bus) this.#addMatch(this.#bus, sub.match);
    else this.#connectInBackground();
    return () => {
      if (!this.#subs.delete(sub)) return;
      if (this.#bus) this.#busCall(this.#bus, 'RemoveMatch', sub.match);
    };
  }

  onConnected(fn: () => void): () => void {
    this.#connectedListeners.add(fn);
    return () => this.#connectedListeners.delete(fn);
  }

  /** Idempotent. Pending calls fail with `closed`; subscriptions end. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    this.#subs.clear();
    this.#connectedListeners.clear();
    const bus = this.#bus;
    this.#bus = null;
    this.#failPending(null, 'closed', 'system bus connection closed');
    if (bus) dispose(bus);
  }

  #connect(timeoutMs: number): Promise<MessageBus> {
    if (this.#state === 'closed') return Promise.reject(new BusError('closed', 'system bus connection closed'));
    if (this.#bus) return Promise.resolve(this.#bus);
    if (!this.#connecting) {
      this.#connecting = this.#open().finally(() => {
        this.#connecting = null;
      });
    }
    // A caller with a shorter deadline than the connection attempt gives up on its own.
    return withTimeout(this.#connecting, timeoutMs, () => new BusError('timeout', `system bus: no connection within ${timeoutMs} ms`));
  }

  #open(): Promise<MessageBus> {
    const socket = this.#socket;
    if (!socket) {
      const err = new BusError('no-bus', `no usable unix socket in the system bus address "${this.#address}"`);
      this.#markDown(err);
      return Promise.reject(err);
    }
    return new Promise<MessageBus>((resolve, reject) => {
      let settled = false;
      const bus = sessionBus({ busAddress: `unix:socket=${socket}` });
      const stream = streamOf(bus);
      stream?.unref?.();
      const fail = (err: BusError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        dispose(bus);
        this.#markDown(err);
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new BusError('timeout', `system bus at ${printable(socket)}: no answer to Hello within ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      );
      timer.unref();
      // dbus-next emits 'error' for socket errors before and after connecting;
      // an 'error' without a listener would throw, so there is always one.
      bus.on('error', (e: unknown) => {
        if (!settled) fail(new BusError('no-bus', `no system bus at ${printable(socket)}: ${errText(e)}`, { cause: e }));
        else this.#lost(bus, e);
      });
      stream?.once('close', () => {
        if (!settled) fail(new BusError('no-bus', `system bus at ${printable(socket)} closed the connection`));
        else this.#lost(bus, null);
      });
      bus.on('connect', () => {
        if (settled) return;
        if (this.#state === 'closed') {
          fail(new BusError('closed', 'system bus connection closed'));
          return;
        }
        settled = true;
        clearTimeout(timer);
        bus.on('message', (msg: Message) => this.#dispatch(msg));
        this.#bus = bus;
        this.#up();
        resolve(bus);
      });
    });
  }

  #up(): void {
    const bus = this.#bus;
    if (!bus) return;
    const again = this.#state === 'down';
    this.#state = 'up';
    this.#backoffMs = this.#reconnectMinMs;
    if (again) this.#log.info({ op: 'dbus', address: this.#address }, 'system bus connected again');
    else this.#log.debug({ op: 'dbus', address: this.#address }, 'system bus connected');
    for (const sub of this.#subs) this.#addMatch(bus, sub.match);
    for (const fn of this.#connectedListeners) {
      try {
        fn();
      } catch (e) {
        this.#log.error({ op: 'dbus', err: e }, 'system bus listener failed');
      }
    }
  }

  #markDown(err: BusError): void {
    if (this.#state === 'closed') return;
    // One line per change of state: a node without a system bus says so once.
    if (this.#state !== 'down') {
      this.#log.warn({ op: 'dbus', reason: err.failure, address: this.#address, err }, err.message);
      this.#state = 'down';
    }
    this.#scheduleReconnect();
  }

  #lost(bus: MessageBus, cause: unknown): void {
    if (this.#bus !== bus) return;
    this.#bus = null;
    dispose(bus);
    this.#failPending(bus, 'disconnected', 'system bus connection lost');
    if (this.#state === 'closed') return;
    this.#state = 'down';
    this.#log.warn({ op: 'dbus', reason: 'disconnected', address: this.#address, err: cause ?? undefined }, 'system bus connection lost');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#state === 'closed' || this.#retry || this.#subs.size === 0) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#reconnectMaxMs);
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connectInBackground();
    }, delay);
    this.#retry.unref();
  }

  #connectInBackground(): void {
    if (this.#state === 'closed' || this.#bus || this.#connecting) return;
    // Failures are logged (once) and rescheduled by #markDown.
    this.#connect(this.#connectTimeoutMs * 2).catch(() => {});
  }

  #callOn(bus: MessageBus, req: CallRequest, timeoutMs: number): Promise<readonly unknown[]> {
    return new Promise((resolve, reject) => {
      const msg = new Message({
        destination: req.destination,
        path: req.path,
        interface: req.interface,
        member: req.member,
        signature: req.signature ?? '',
        body: (req.body ?? []) as unknown[],
      });
      const entry: Pending = { bus, reject: (e) => finish(() => reject(e)) };
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#pending.delete(entry);
        fn();
      };
      const timer = setTimeout(() => {
        // dbus-next has no call timeout: forget its reply handler ourselves.
        const handlers = (bus as unknown as { _methodReturnHandlers?: Record<number, unknown> })._methodReturnHandlers;
        if (handlers && msg.serial !== null) delete handlers[msg.serial];
        finish(() => reject(new BusError('timeout', `${req.interface}.${req.member} on ${req.destination}: no answer within ${timeoutMs} ms`)));
      }, Math.max(0, timeoutMs));
      this.#pending.add(entry);
      let sent: Promise<Message | null>;
      try {
        sent = bus.call(msg);
      } catch (e) {
        finish(() => reject(new BusError('disconnected', `${req.member}: ${errText(e)}`, { cause: e })));
        return;
      }
      sent.then(
        (reply) => finish(() => resolve(reply?.body ?? [])),
        (e: unknown) => {
          const name = (e as { type?: unknown }).type;
          if (typeof name === 'string') {
            finish(() => reject(new BusError('remote', `${req.interface}.${req.member} on ${req.destination}: ${name}: ${(e as { text?: string }).text ?? ''}`, { cause: e, dbusName: name })));
          } else {
            finish(() => reject(new BusError('disconnected', `${req.member}: ${errText(e)}`, { cause: e })));
          }
        },
      );
    });
  }

  #busCall(bus: MessageBus, member: 'AddMatch' | 'RemoveMatch', match: string): void {
    this.#callOn(bus, { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member, signature: 's', body: [match] }, 5000).catch((e: unknown) => {
      if (this.#bus === bus) this.#log.warn({ op: 'dbus', reason: member, err: e }, `system bus: ${member} failed`);
    });
  }

  #addMatch(bus: MessageBus, match: string): void {
    this.#busCall(bus, 'AddMatch', match);
  }

  #dispatch(msg: Message): void {
    if ((msg.type as unknown as number) !== SIGNAL) return;
    for (const sub of this.#subs) {
      const r = sub.rule;
      if (msg.interface !== r.interface || msg.member !== r.member || msg.path !== r.path) continue;
      if (r.arg0 !== undefined && msg.body?.[0] !== r.arg0) continue;
      try {
        sub.handler({ sender: msg.sender, path: msg.path, interface: msg.interface, member: msg.member, body: msg.body ?? [] });
      } catch (e) {
        this.#log.error({ op: 'dbus', reason: r.member, err: e }, 'signal handler failed');
      }
    }
  }

  #failPending(bus: MessageBus | null, failure: BusFailure, message: string): void {
    for (const p of [...this.#pending]) {
      if (bus === null || p.bus === bus) p.reject(new BusError(failure, message));
    }
  }
}

function streamOf(bus: MessageBus): (NodeJS.EventEmitter & { unref?: () => void; destroy?: () => void }) | undefined {
  // The socket dbus-next made; it tells us when the bus goes away (dbus-next
  // itself forwards only errors). Private field of dbus-next 0.10.x, pinned.
  return (bus as unknown as { _connection?: { stream?: NodeJS.EventEmitter & { unref?: () => void; destroy?: () => void } } })._connection?.stream;
}

function dispose(bus: MessageBus): void {
  try {
    bus.removeAllListeners('message');
    bus.removeAllListeners('connect');
    // Keep a listener: a late socket error must not become an uncaught 'error'.
    if (bus.listenerCount('error') === 0) bus.on('error', () => {});
    streamOf(bus)?.destroy?.();
  } catch {
    // already gone
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function printable(socket: string): string {
  return socket.startsWith('\0') ? `@${socket.slice(1)}` : socket;
}

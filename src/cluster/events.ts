// Kubernetes Events on Services (kubernetes.events): core/v1 Events, the API
// `kubectl describe service` and `kubectl get events` read, posted the way
// client-go's EventRecorder does — involvedObject the Service with its uid,
// source kube-lb-agent on this node, type Normal — and limited like its
// EventCorrelator:
// - a token bucket per Service (a flapping Service cannot fill its
//   namespace) and one for the whole agent (a flood of changes cannot flood
//   the API), checked when an event is recorded: over the limit it is dropped;
// - a repeat of an event already posted (same Service, reason and message)
//   on the same Service object (uid) bumps `count` and `lastTimestamp` on the
//   same Event with a PATCH instead of creating another; a repeat still
//   waiting in the queue is merged into it;
// - a bounded queue, one request at a time; when it is full the oldest
//   waiting event makes room for the new one (the latest news — the
//   "stopped" Events of a stop above all — is what an operator wants).
// Events are news, not state: `record()` never blocks, never throws, and
// never touches the API's health (a 403 on events says nothing of the view).
// What cannot be posted is dropped, counted, and logged once per change of
// the cause. At stop, `close(deadline)` posts what it can until the deadline
// and drops the rest.

import type { Logger } from '../system/logger.ts';
import { ApiError, type ApiClient } from './api-client.ts';
import { Lru, TokenBucket } from './events-limit.ts';
import type { ServiceKey } from './snapshot.ts';

export type EventReason = 'AnnouncementStarted' | 'AnnouncementStopped';

export interface ServiceEvent {
  readonly service: ServiceKey;
  readonly reason: EventReason;
  readonly message: string;
}

/** What became of a recorded event, for the metric. */
export type EventOutcome = 'posted' | 'aggregated' | 'rate_limited' | 'queue_full' | 'api_error' | 'shutdown';
export const EVENT_OUTCOMES: readonly EventOutcome[] = ['posted', 'aggregated', 'rate_limited', 'queue_full', 'api_error', 'shutdown'];

export interface EventLimits {
  /** Events one Service may get at once… */
  readonly perServiceBurst: number;
  /** …and then one per this interval. */
  readonly perServiceRefillMs: number;
  /** Events the whole agent may post at once… */
  readonly globalBurst: number;
  /** …and then one per this interval. */
  readonly globalRefillMs: number;
  /** Events waiting to be posted; past it the oldest waiting one is dropped. */
  readonly queueMax: number;
  /** A repeat within this time patches the posted Event; later it is a new one (the API server's event TTL is 1 h). */
  readonly aggregateWithinMs: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  perServiceBurst: 10,
  perServiceRefillMs: 60_000,
  globalBurst: 25,
  globalRefillMs: 200,
  queueMax: 256,
  aggregateWithinMs: 50 * 60_000,
};

/** The narrow part of ApiConnection the recorder needs. */
export interface EventsApi {
  client(): Promise<ApiClient>;
}

export interface EventRecorderOptions {
  readonly api: EventsApi;
  /** This node: reportingInstance and source.host. */
  readonly node: string;
  readonly log: Logger;
  readonly requestTimeoutMs: number;
  readonly limits?: Partial<EventLimits>;
  /** Called once per recorded event with what became of it (posted, aggregated, or why dropped). */
  readonly onOutcome?: (outcome: EventOutcome) => void;
  readonly now?: () => number;
}

export interface EventRecorderStatus {
  readonly queued: number;
  readonly counts: Readonly<Record<EventOutcome, number>>;
}

export const EVENT_COMPONENT = 'kube-lb-agent';

interface Pending {
  readonly ev: ServiceEvent;
  /** Occurrences merged into this one while it waited. */
  count: number;
  firstMs: number;
  lastMs: number;
}

interface Posted {
  readonly namespace: string;
  readonly name: string;
  count: number;
  lastMs: number;
}

export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #limits: EventLimits;
  readonly #now: () => number;
  readonly #global: TokenBucket;
  readonly #perService = new Map<ServiceKey, TokenBucket>();
  readonly #queue = new Map<string, Pending>();
  readonly #posted: Lru<string, Posted>;
  readonly #counts: Record<EventOutcome, number> = { posted: 0, aggregated: 0, rate_limited: 0, queue_full: 0, api_error: 0, shutdown: 0 };
  readonly #stop = new AbortController();
  #worker: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #closed = false;
  #seq = 0;
  #sweepAt = 4096;
  /** Why events are being dropped right now (logged when it changes), null while they get through. */
  #dropping: string | null = null;
  #droppedSince = 0;

  constructor(opts: EventRecorderOptions) {
    this.#o = opts;
    this.#limits = { ...DEFAULT_EVENT_LIMITS, ...opts.limits };
    this.#now = opts.now ?? Date.now;
    this.#global = new TokenBucket({ burst: this.#limits.globalBurst, refillMs: this.#limits.globalRefillMs, nowMs: this.#now() });
    this.#posted = new Lru(4096);
  }

  /** Queues an event. Never throws, never waits. */
  record(ev: ServiceEvent): void {
    try {
      this.#record(ev);
    } catch (e) {
      this.#o.log.warn({ op: 'event', service: ev.service, err: (e as Error).message }, 'event not recorded');
    }
  }

  /**
   * The agent's last word (a stop, a shutdown): what is still queued is old
   * news and is dropped (counted as `shutdown`); these go next, past the
   * per-Service limits (one per Service, once) but not the global one.
   */
  recordFinal(list: readonly ServiceEvent[]): void {
    try {
      for (const p of this.#queue.values()) this.#outcome('shutdown', p.ev);
      this.#queue.clear();
      for (const ev of list) this.#record(ev, true);
    } catch (e) {
      this.#o.log.warn({ op: 'event', err: (e as Error).message }, 'events not recorded');
    }
  }

  #record(ev: ServiceEvent, final = false): void {
    if (this.#closed) return this.#outcome('shutdown', ev);
    const nowMs = this.#now();
    const key = eventKey(ev);
    const waiting = this.#queue.get(key);
    if (waiting) {
      // The same event is still queued: one request will carry both.
      waiting.count++;
      waiting.lastMs = nowMs;
      return this.#outcome('aggregated');
    }
    let bucket = this.#perService.get(ev.service);
    if (!bucket) {
      bucket = new TokenBucket({ burst: this.#limits.perServiceBurst, refillMs: this.#limits.perServiceRefillMs, nowMs });
      this.#perService.set(ev.service, bucket);
      if (this.#perService.size > this.#sweepAt) this.#forgetFullBuckets(nowMs);
    }
    if (!bucket.take(nowMs) && !final) return this.#drop('rate_limited', ev, `more than ${this.#limits.perServiceBurst} events for one Service`);
    if (this.#queue.size >= this.#limits.queueMax) {
      const [oldKey, oldest] = this.#queue.entries().next().value as [string, Pending];
      this.#queue.delete(oldKey);
      this.#drop('queue_full', oldest.ev, `${this.#limits.queueMax} events waiting to be posted`);
    }
    this.#queue.set(key, { ev, count: 1, firstMs: nowMs, lastMs: nowMs });
    this.#kick();
  }

  status(): EventRecorderStatus {
    return { queued: this.#queue.size, counts: { ...this.#counts } };
  }

  /**
   * Posts what is queued until `deadlineMs` (epoch ms), then aborts what is
   * in flight and drops the rest (counted as `shutdown`). Idempotent; never
   * takes longer than the deadline plus 100 ms.
   */
  async close(deadlineMs: number = this.#now()): Promise<void> {
    this.#closed = true;
    await this.flush(deadlineMs);
    this.#stop.abort();
    this.#wake?.();
    // Aborted: a request in flight settles at once; a credential plugin that
    // hangs (kubeconfig exec) is not waited for.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 100)))]);
    clearTimeout(timer);
    for (const p of this.#queue.values()) this.#outcome('shutdown', p.ev);
    this.#queue.clear();
  }

  /** Resolves once everything queued is posted (or dropped), or at `deadlineMs` (epoch ms, on the `now` clock), whichever is first. */
  async flush(deadlineMs: number): Promise<void> {
    if (this.#queue.size === 0 && !this.#worker) return;
    let timer: NodeJS.Timeout | undefined;
    const ms = Math.min(2 ** 31 - 1, Math.max(0, deadlineMs - this.#now())); // setTimeout fires at once past 2^31 - 1
    const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.#idle(), expired]);
    clearTimeout(timer);
  }

  async #idle(): Promise<void> {
    while (this.#worker) await this.#worker;
  }

  #kick(): void {
    if (this.#worker) {
      this.#wake?.();
      return;
    }
    this.#worker = this.#work().finally(() => {
      this.#worker = null;
      if (this.#queue.size > 0 && !this.#stop.signal.aborted) this.#kick();
    });
  }

  async #work(): Promise<void> {
    while (this.#queue.size > 0 && !this.#stop.signal.aborted) {
      const wait = this.#global.waitMs(this.#now());
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          t.unref(); // waiting for a token keeps nothing alive
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.#wake = null;
        continue;
      }
      this.#global.take(this.#now());
      const [key, p] = this.#queue.entries().next().value as [string, Pending];
      this.#queue.delete(key);
      try {
        await this.#post(key, p);
        this.#outcome('posted');
        this.#through();
      } catch (e) {
        if (this.#stop.signal.aborted) this.#outcome('shutdown', p.ev);
        else this.#drop('api_error', p.ev, describeError(e));
      }
    }
  }

  async #post(key: string, p: Pending): Promise<void> {
    const client = await this.#o.api.client();
    const [namespace, name] = splitKey(p.ev.service);
    const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    // The Service read first: a repeat counts on the Event of the same
    // Service object (uid), not of one deleted and created again by name.
    const involved = await this.#involvedObject(client, namespace, name);
    key = `${key}\u0000${involved.uid ?? ''}`;
    const seen = this.#posted.get(key);
    if (seen && p.firstMs - seen.lastMs <= this.#limits.aggregateWithinMs) {
      const count = seen.count + p.count;
      try {
        await client.json({
          method: 'PATCH',
          path: `${base}/${encodeURIComponent(seen.name)}`,
          contentType: 'application/merge-patch+json',
          body: { count, lastTimestamp: timestamp(p.lastMs), message: p.ev.message },
          signal: this.#stop.signal,
          timeoutMs: this.#o.requestTimeoutMs,
        });
        seen.count = count;
        seen.lastMs = p.lastMs;
        return;
      } catch (e) {
        // Expired (the API server's TTL) or deleted: post a new one, as client-go does.
        if (!(e instanceof ApiError && e.status === 404)) throw e;
        this.#posted.delete(key);
      }
    }
    const eventName = `${name}.${this.#suffix(p.firstMs)}`;
    await client.json({
      method: 'POST',
      path: base,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject: involved,
        reason: p.ev.reason,
        message: p.ev.message,
        source: { component: EVENT_COMPONENT, host: this.#o.node },
        firstTimestamp: timestamp(p.firstMs),
        lastTimestamp: timestamp(p.lastMs),
        count: p.count,
        type: 'Normal',
        reportingComponent: EVENT_COMPONENT,
        reportingInstance: this.#o.node,
      },
      signal: this.#stop.signal,
      timeoutMs: this.#o.requestTimeoutMs,
    });
    this.#posted.set(key, { namespace, name: eventName, count: p.count, lastMs: p.lastMs });
  }

  /**
   * The Service as an ObjectReference. Its uid makes `kubectl describe`
   * find the Event (it selects on involvedObject.uid); a Service already
   * deleted (404), or one this agent may not get (403: a trimmed
   * ClusterRole), is named without one: `kubectl get events` still lists it.
   */
  async #involvedObject(client: ApiClient, namespace: string, name: string): Promise<Record<string, string>> {
    const ref: Record<string, string> = { kind: 'Service', namespace, name, apiVersion: 'v1' };
    try {
      const svc = (await client.json({
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}`,
        signal: this.#stop.signal,
        timeoutMs: this.#o.requestTimeoutMs,
      })) as { metadata?: { uid?: string; resourceVersion?: string } } | null;
      if (svc?.metadata?.uid) ref.uid = svc.metadata.uid;
      if (svc?.metadata?.resourceVersion) ref.resourceVersion = svc.metadata.resourceVersion;
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 404 || e.status === 403))) throw e;
    }
    return ref;
  }

  /** client-go names an Event `<object>.<UnixNano in hex>`; a sequence number keeps two in one millisecond apart. */
  #suffix(ms: number): string {
    this.#seq = (this.#seq + 1) % 1_000_000;
    return (BigInt(ms) * 1_000_000n + BigInt(this.#seq)).toString(16);
  }

  #outcome(outcome: EventOutcome, _ev?: ServiceEvent): void {
    this.#counts[outcome]++;
    this.#o.onOutcome?.(outcome);
  }

  #drop(outcome: Exclude<EventOutcome, 'posted' | 'aggregated'>, ev: ServiceEvent, why: string): void {
    this.#outcome(outcome, ev);
    this.#droppedSince++;
    const cause = `${outcome}: ${outcome === 'api_error' ? kindOf(why) : why}`;
    if (this.#dropping === cause) return;
    this.#dropping = cause;
    this.#o.log.warn({ op: 'event', reason: outcome, service: ev.service, err: why }, `dropping Kubernetes Events (${outcome.replace('_', ' ')}: ${why}); logged again when this changes`);
  }

  /** An event got through: say so once if events were being dropped. */
  #through(): void {
    if (this.#dropping === null) return;
    this.#o.log.info({ op: 'event', dropped: this.#droppedSince }, `Kubernetes Events are posted again; ${this.#droppedSince} dropped meanwhile`);
    this.#dropping = null;
    this.#droppedSince = 0;
  }

  /** A full bucket is the same as none: forget those, and sweep again only once the map has doubled (amortised O(1) per event). */
  #forgetFullBuckets(nowMs: number): void {
    for (const [k, b] of this.#perService) if (b.full(nowMs)) this.#perService.delete(k);
    this.#sweepAt = Math.max(4096, this.#perService.size * 2);
  }
}

/** Same Service, reason and message: the same event (client-go's aggregation key, less the fields that never differ here). */
function eventKey(ev: ServiceEvent): string {
  return `${ev.service}\u0000${ev.reason}\u0000${ev.message}`;
}

function splitKey(key: ServiceKey): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** metav1.Time: RFC 3339, whole seconds. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describeError(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

function kindOf(reason: string): string {
  const m = /\b(E[A-Z_]{3,}|[45]\d\d|nothing received|kubeconfig)\b/.exec(reason);
  return m ? m[1]! : reason;
}

// One resource kept in memory from the API: list (in pages), then watch from
// the list's resourceVersion with bookmarks; resume from the last version seen
// after a disconnect; relist after 410 Gone and, as a safety net, every
// `relistIntervalMs`. Objects are parsed into views as they arrive and the
// decoded JSON dropped at once.
//
// A relist fills a new store and replaces the old one only when the whole
// list has arrived: until then the old view (complete as of its last event)
// stays, so a half-listed cache is never handed out.

import type { Logger } from '../system/logger.ts';
import { ApiError, isGone, type ApiClient } from './api-client.ts';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.ts';
import type { ApiConnection } from './connection.ts';
import { isProblem, objectKey, type Parsed } from './parse.ts';
import { sameView } from './snapshot-build.ts';

export type InformerPhase = 'listing' | 'watching' | 'backoff' | 'stopped';

export interface InformerStatus {
  readonly resource: string;
  readonly phase: InformerPhase;
  /** A full list has completed at least once: the store is complete as of some resourceVersion. */
  readonly listed: boolean;
  readonly objects: number;
  readonly resourceVersion: string;
  readonly lists: number;
  readonly watchRestarts: number;
}

export interface InformerOptions<V> {
  /** For logs and status: `services`, `endpointSlices`, … */
  readonly resource: string;
  /** Collection path, e.g. `/api/v1/services`. */
  readonly path: string;
  readonly parse: (obj: unknown) => Parsed<V>;
  readonly api: ApiConnection;
  readonly log: Logger;
  readonly requestTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly relistIntervalMs: number;
  /** Server-side watch length, picked per watch in [min, max) like client-go, so reconnects spread out. */
  readonly watchTimeoutSeconds: readonly [number, number];
  /** Silence after which a watch counts as dead (a real API server sends a bookmark about every minute). */
  readonly watchIdleMs: number;
  readonly pageSize: number;
  /**
   * Called after the store changed (content, not only versions): with the
   * object that changed, or null when a list replaced the whole store.
   */
  readonly onChange: (change: StoreChange<V> | null) => void;
  readonly random?: () => number;
}

/** One object of the store changed: `old` absent = added, `next` absent = deleted. */
export interface StoreChange<V> {
  readonly key: string;
  readonly old: V | undefined;
  readonly next: V | undefined;
}

/** Why a watch ended without an error. */
type WatchEnd = 'closed' | 'relist';

export class Informer<V> {
  readonly #o: InformerOptions<V>;
  #store = new Map<string, V>();
  #listed = false;
  #rv = '';
  #phase: InformerPhase = 'stopped';
  #lists = 0;
  #watchRestarts = 0;
  #version = 0;
  #relistDue = 0;
  readonly #stop = new AbortController();
  #run: Promise<void> | null = null;
  readonly #warned = new Set<string>();

  constructor(opts: InformerOptions<V>) {
    this.#o = opts;
  }

  /** The current views; a live map, read it synchronously. */
  get store(): ReadonlyMap<string, V> {
    return this.#store;
  }

  /** Bumped at every change of the store's content. */
  get version(): number {
    return this.#version;
  }

  get listed(): boolean {
    return this.#listed;
  }

  status(): InformerStatus {
    return {
      resource: this.#o.resource,
      phase: this.#phase,
      listed: this.#listed,
      objects: this.#store.size,
      resourceVersion: this.#rv,
      lists: this.#lists,
      watchRestarts: this.#watchRestarts,
    };
  }

  start(): void {
    this.#run ??= this.#loop();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.#run;
    this.#phase = 'stopped';
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    let expired = 0;
    while (!signal.aborted) {
      try {
        const client = await this.#o.api.client();
        if (this.#rv === '') {
          this.#phase = 'listing';
          await this.#list(client, signal);
          this.#o.api.succeeded();
          failures = 0;
          expired = 0;
        }
        this.#phase = 'watching';
        const end = await this.#watch(client, signal);
        if (end === 'relist') this.#rv = '';
        failures = 0;
      } catch (e) {
        if (signal.aborted) break;
        if (isGone(e)) {
          // The version we hold is older than the server's history: list again at once.
          this.#o.log.info({ op: 'relist', resource: this.#o.resource, reason: 'expired' }, 'resourceVersion expired; relisting');
          this.#rv = '';
          // A list that keeps expiring (a continue token outliving the server's history) must not spin.
          if (++expired > 1) await sleep(backoffDelay(expired - 1, this.#o.backoff, this.#o.random), signal);
          continue;
        }
        failures++;
        this.#o.api.failed(e);
        this.#o.log.debug({ op: 'informer', resource: this.#o.resource, err: (e as Error).message, attempt: failures }, 'attempt failed');
        this.#phase = 'backoff';
        const retryAfter = e instanceof ApiError && e.retryAfterMs ? e.retryAfterMs : 0;
        await sleep(Math.max(retryAfter, backoffDelay(failures, this.#o.backoff, this.#o.random)), signal);
      }
    }
    this.#phase = 'stopped';
  }

  async #list(client: ApiClient, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const next = new Map<string, V>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = (await client.json({
        path: this.#o.path,
        query: { limit: this.#o.pageSize, continue: cont },
        signal,
        timeoutMs: this.#o.requestTimeoutMs,
      })) as { metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown };
      if (!page || !Array.isArray(page.items)) throw new ApiError(`list ${this.#o.path}: the answer is not a list`, { status: 0 });
      for (const item of page.items) {
        const key = objectKey(item);
        if (key === null) continue;
        const view = this.#parse(key, item);
        const keep = view === undefined ? this.#store.get(key) : view;
        if (keep !== null && keep !== undefined) next.set(key, keep);
      }
      // Let go of the decoded page before asking for the next one.
      page.items = undefined;
      rv = typeof page.metadata?.resourceVersion === 'string' ? page.metadata.resourceVersion : '';
      cont = typeof page.metadata?.continue === 'string' && page.metadata.continue !== '' ? page.metadata.continue : undefined;
    } while (cont !== undefined);

    const changed = !this.#listed || !sameStore(this.#store, next);
    this.#store = next;
    this.#rv = rv;
    this.#lists++;
    const first = !this.#listed;
    this.#listed = true;
    this.#relistDue = Date.now() + this.#o.relistIntervalMs * (1 + 0.1 * (this.#o.random ?? Math.random)());
    this.#o.log[first ? 'info' : 'debug'](
      { op: 'list', resource: this.#o.resource, objects: next.size, ms: Date.now() - started, changed },
      first ? 'listed' : 'relisted',
    );
    if (changed) this.#changed(null);
  }

  async #watch(client: ApiClient, signal: AbortSignal): Promise<WatchEnd> {
    const [lo, hi] = this.#o.watchTimeoutSeconds;
    const timeoutSeconds = Math.floor(lo + (this.#o.random ?? Math.random)() * Math.max(0, hi - lo));
    const untilRelist = this.#relistDue - Date.now();
    if (untilRelist <= 0) return 'relist';
    const local = new AbortController();
    const onStop = () => local.abort();
    signal.addEventListener('abort', onStop, { once: true });
    let relist = false;
    const timer = setTimeout(() => {
      relist = true;
      local.abort();
    }, untilRelist);
    let answered = false;
    const opened = Date.now();
    try {
      await client.stream(
        {
          path: this.#o.path,
          query: { watch: 1, resourceVersion: this.#rv, allowWatchBookmarks: true, timeoutSeconds },
          signal: local.signal,
          timeoutMs: this.#o.requestTimeoutMs,
          idleMs: this.#o.watchIdleMs,
        },
        (line) => {
          if (!answered) {
            answered = true;
            this.#o.api.succeeded();
          }
          this.#event(line);
        },
      );
      // A server that ends every watch at once would otherwise be asked again in a tight loop.
      if (!answered && Date.now() - opened < 1000) throw new ApiError(`watch ${this.#o.path}: closed at once`, { status: 0 });
      this.#watchRestarts++;
      this.#o.api.succeeded();
      return 'closed';
    } catch (e) {
      if (relist && !signal.aborted) return 'relist';
      if (!signal.aborted) this.#watchRestarts++;
      throw e;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }

  #event(line: string): void {
    const ev = JSON.parse(line) as { type?: unknown; object?: Record<string, unknown> };
    const obj = ev.object ?? {};
    if (ev.type === 'ERROR') {
      const st = obj as { code?: unknown; reason?: unknown; message?: unknown };
      throw new ApiError(`watch ${this.#o.path}: ${String(st.code)} ${String(st.reason)}: ${String(st.message)}`, {
        status: typeof st.code === 'number' ? st.code : 0,
        reason: typeof st.reason === 'string' ? st.reason : null,
      });
    }
    const rv = (obj.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (typeof rv === 'string' && rv !== '') this.#rv = rv;
      return;
    }
    const key = objectKey(obj);
    if (key !== null) {
      if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
        const view = this.#parse(key, obj);
        if (view === null) this.#delete(key);
        else if (view !== undefined) this.#set(key, view);
      } else if (ev.type === 'DELETED') {
        this.#delete(key);
      } else {
        throw new ApiError(`watch ${this.#o.path}: unknown event type ${JSON.stringify(ev.type)}`, { status: 0 });
      }
    }
    if (typeof rv === 'string' && rv !== '') this.#rv = rv;
  }

  /** The view; null = not ours (drop it); undefined = unreadable (keep what we had: unknown is not absent). */
  #parse(key: string, obj: unknown): V | null | undefined {
    const p = this.#o.parse(obj);
    if (!isProblem(p)) return p;
    const tag = `${key}\u0000${p.problem}`;
    if (!this.#warned.has(tag)) {
      if (this.#warned.size > 10_000) this.#warned.clear();
      this.#warned.add(tag);
      this.#o.log.warn({ op: 'parse', resource: this.#o.resource, object: key, reason: p.problem }, 'ignoring an object the agent cannot read');
    }
    return undefined;
  }

  #set(key: string, view: V): void {
    const old = this.#store.get(key);
    if (old !== undefined && sameView(old, view)) return;
    this.#store.set(key, view);
    this.#changed({ key, old, next: view });
  }

  #delete(key: string): void {
    const old = this.#store.get(key);
    if (old !== undefined && this.#store.delete(key)) this.#changed({ key, old, next: undefined });
  }

  #changed(change: StoreChange<V> | null): void {
    this.#version++;
    this.#o.onChange(change);
  }
}

function sameStore<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !sameView(v, w)) return false;
  }
  return true;
}

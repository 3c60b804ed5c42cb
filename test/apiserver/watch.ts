// The watch engine behind `?watch=1`: from a resourceVersion it replays the
// retained events after it (410 "too old resource version" as an ERROR event
// when they are compacted), without one it sends the current state as
// synthetic ADDED events; then it streams live changes, turning selector
// transitions into ADDED / DELETED as the watch cache does, with periodic
// BOOKMARK events when asked, the `sendInitialEvents` protocol, and the
// server-side timeout.

import type { ResourceDef } from './resources.ts';
import type { Matcher } from './selectors.ts';
import { errors, type ApiError } from './status.ts';
import type { KubeObject, Store, StoreEvent } from './store.ts';
import { parseResourceVersion, tooLargeWaitMs } from './registry.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchParams {
  resource: ResourceDef;
  namespace?: string;
  match?: Matcher;
  /** As given in the query ('' when absent). */
  resourceVersion: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
}

export interface WatchSink {
  event(type: WatchEventType, object: Record<string, unknown>): void;
  /** The server ends the stream (timeout, or after an ERROR event). */
  end(): void;
}

/** Checks the parameter combinations the apiserver rejects with 400 before any stream starts. */
export function validateWatchParams(p: WatchParams): void {
  if (p.resourceVersion !== '') parseResourceVersion(p.resourceVersion);
  if (p.sendInitialEvents !== undefined) {
    if (p.resourceVersionMatch !== 'NotOlderThan') throw errors.badRequest('resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (!p.allowWatchBookmarks) throw errors.badRequest('allowWatchBookmarks: Required value: sendInitialEvents requires setting allowWatchBookmarks to true');
  } else if (p.resourceVersionMatch) {
    throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  }
}

export function bookmarkObject(r: ResourceDef, rv: number, annotations?: Record<string, string>): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: String(rv), creationTimestamp: null };
  if (annotations) metadata.annotations = annotations;
  return { kind: r.kind, apiVersion: r.apiVersion, metadata };
}

export class WatchStream {
  readonly params: WatchParams;
  private readonly store: Store;
  private readonly sink: WatchSink;
  private unsubscribe: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  /** Only events after this revision are sent. */
  private from = 0;
  /** The revision of the last event or bookmark sent. */
  lastSent = 0;

  constructor(store: Store, params: WatchParams, sink: WatchSink) {
    this.store = store;
    this.params = params;
    this.sink = sink;
  }

  async start(): Promise<void> {
    const p = this.params;
    const rv = p.resourceVersion;
    const n = rv === '' ? 0 : parseResourceVersion(rv);
    if (p.timeoutMs > 0) this.timers.push(setTimeout(() => this.finish(), p.timeoutMs));

    if (p.sendInitialEvents === true) {
      if (n > this.store.revision && !(await this.store.waitForRevision(n, tooLargeWaitMs))) return this.fail(errors.tooLargeResourceVersion(n, this.store.revision));
      if (this.closed) return;
      this.initialState(true);
    } else if (p.sendInitialEvents === false && n !== 0) {
      if (!this.replayFrom(n)) return;
    } else if (p.sendInitialEvents === false || rv === '' || rv === '0') {
      // No resourceVersion (or "0"): the current state as ADDED events first, unless asked not to.
      if (p.sendInitialEvents === false) this.from = this.store.revision;
      else this.initialState(false);
    } else if (!this.replayFrom(n)) return;

    if (this.closed) return; // the client went away while we waited
    this.unsubscribe = this.store.subscribe((e) => this.onEvent(e));
    if (p.allowWatchBookmarks) {
      this.timers.push(setInterval(() => this.bookmark(), p.bookmarkIntervalMs));
      // As the watch cache does: one more right before the deadline, so the client resumes from near now.
      if (p.timeoutMs > 2000) this.timers.push(setTimeout(() => this.bookmark(), p.timeoutMs - 2000));
    }
  }

  private initialState(withEndBookmark: boolean): void {
    const rev = this.store.revision;
    const prefix = this.params.resource.namespaced && this.params.namespace ? `${this.params.namespace}/` : '';
    for (const { key, object } of this.store.items(this.params.resource)) {
      if (key.startsWith(prefix) && this.matches(object)) this.send('ADDED', object);
    }
    this.from = rev;
    if (withEndBookmark) {
      this.lastSent = rev;
      this.sink.event('BOOKMARK', bookmarkObject(this.params.resource, rev, { 'k8s.io/initial-events-end': 'true' }));
    }
  }

  private replayFrom(n: number): boolean {
    const events = this.store.since(this.params.resource, n);
    if (events === undefined) {
      this.fail(errors.expired(`too old resource version: ${n} (${this.store.compactedRevision})`));
      return false;
    }
    this.from = n;
    for (const e of events) this.onEvent(e);
    return true;
  }

  private matches(o: KubeObject | undefined): boolean {
    if (!o) return false;
    const ns = this.params.namespace;
    if (this.params.resource.namespaced && ns && o.metadata.namespace !== ns) return false;
    return !this.params.match || this.params.match(o);
  }

  private onEvent(e: StoreEvent): void {
    if (this.closed || e.resource !== this.params.resource || e.rv <= this.from) return;
    const now = e.type === 'DELETED' ? false : this.matches(e.object);
    const before = e.type === 'ADDED' ? false : this.matches(e.prev);
    if (e.type === 'DELETED') {
      if (before) this.send('DELETED', e.object);
    } else if (now && before) this.send('MODIFIED', e.object);
    else if (now) this.send('ADDED', e.object);
    else if (before) {
      // Left the selection: a DELETED with the previous content at this event's revision.
      this.send('DELETED', { ...e.prev!, metadata: { ...e.prev!.metadata, resourceVersion: String(e.rv) } });
    }
  }

  private send(type: WatchEventType, object: KubeObject): void {
    this.lastSent = Math.max(this.lastSent, Number(object.metadata.resourceVersion));
    this.sink.event(type, object as Record<string, unknown>);
  }

  private bookmark(): void {
    if (this.closed) return;
    const rev = this.store.revision;
    if (rev < this.from) return; // a watch from a future revision has nothing to report yet
    this.lastSent = rev;
    this.sink.event('BOOKMARK', bookmarkObject(this.params.resource, rev));
  }

  private fail(err: ApiError): void {
    this.sink.event('ERROR', err.toStatus());
    this.finish();
  }

  /** Server-side end of the stream. */
  finish(): void {
    if (this.closed) return;
    this.stop();
    this.sink.end();
  }

  /** Releases everything; the connection is gone or about to be. */
  stop(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

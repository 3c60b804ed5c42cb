// The one connection to the API that the informers and the Lease share: the
// kubeconfig, loaded lazily and again after a failure (the file may appear or
// be fixed while the agent waits; an HTTP 401 may mean rotated credentials),
// and the API's reachability, logged once per change of state — the agent
// boots before the control plane, so "unreachable" is normal, not an error
// to repeat every attempt.

import type { Logger } from '../system/logger.ts';
import { ApiError, createApiClient, type ApiClient } from './api-client.ts';
import { loadKubeconfig } from './kubeconfig.ts';

/** `connecting`: never reached yet; `up`: the last call got an answer; `down`: reached before, failing now. */
export type ApiState = 'connecting' | 'up' | 'down';

export interface ApiStatus {
  readonly state: ApiState;
  /** Why the last failed call failed, while not `up`. */
  readonly lastError: string | null;
  /** Epoch ms of the last change of state. */
  readonly sinceMs: number;
}

export interface ApiConnection {
  /** The client, loading the kubeconfig if needed; throws AgentError KUBECONFIG while it cannot be loaded. */
  client(): Promise<ApiClient>;
  /** Every caller reports each call's outcome, so that the state is the API's, not one informer's. */
  succeeded(): void;
  failed(err: unknown): void;
  status(): ApiStatus;
  onState(listener: (status: ApiStatus) => void): () => void;
  close(): void;
}

export interface ApiConnectionOptions {
  readonly kubeconfig: string;
  readonly log: Logger;
  readonly now?: () => number;
}

export function createApiConnection(opts: ApiConnectionOptions): ApiConnection {
  const now = opts.now ?? Date.now;
  let client: ApiClient | null = null;
  let status: ApiStatus = { state: 'connecting', lastError: null, sinceMs: now() };
  const listeners = new Set<(s: ApiStatus) => void>();
  let closed = false;

  const set = (state: ApiState, lastError: string | null) => {
    const changed = state !== status.state;
    status = { state, lastError, sinceMs: changed ? now() : status.sinceMs };
    if (!changed) return;
    for (const l of listeners) l(status);
  };

  return {
    async client() {
      if (closed) throw new ApiError('the API connection is closed', { status: 0 });
      if (!client) client = createApiClient(loadKubeconfig(opts.kubeconfig));
      return client;
    },
    succeeded() {
      if (status.state === 'up') return;
      opts.log.info({ op: 'api', was: status.state }, 'API reachable');
      set('up', null);
    },
    failed(err) {
      if (closed) return;
      const reason = (err as Error)?.message ?? String(err);
      if (err instanceof ApiError && err.status === 401 && client) {
        // Credentials may have been rotated on disk: read the kubeconfig again next time.
        client.close();
        client = null;
      }
      if (status.state === 'up') opts.log.warn({ op: 'api', reason }, 'API unreachable; keeping the last view and retrying');
      else if (status.lastError === null) opts.log.info({ op: 'api', reason }, 'API not reachable yet; retrying with backoff');
      else if (kindOf(status.lastError) !== kindOf(reason)) opts.log.info({ op: 'api', reason }, 'API still not reachable');
      set(status.state === 'connecting' ? 'connecting' : 'down', reason);
    },
    status: () => status,
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      client?.close();
      client = null;
      listeners.clear();
    },
  };
}

// Log a still-failing API again only when the kind of failure changes
// (refused → TLS error → 403), not on every attempt.
function kindOf(reason: string): string {
  const m = /\b(E[A-Z_]{3,}|[45]\d\d|nothing received|kubeconfig)\b/.exec(reason);
  return m ? m[1]! : reason;
}

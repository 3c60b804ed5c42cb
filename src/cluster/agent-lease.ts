// This node's own Lease, `kube-lb-agent-<node>` in lease_namespace: it tells
// the peers that this node's agent is alive (one Lease per node, never one
// per Service). Created or taken over at start, renewed every lease_renew
// with optimistic concurrency (a 409 means someone wrote in between: read it
// again and retry), deleted on a clean stop so peers take over at once
// instead of after lease_duration.

import type { KubernetesConfig } from '../config/index.ts';
import type { Logger } from '../system/logger.ts';
import { ApiError, type ApiClient } from './api-client.ts';
import { backoffDelay, DEFAULT_BACKOFF_BASE_MS, sleep } from './backoff.ts';
import type { ApiConnection } from './connection.ts';
import { AGENT_LEASE_PREFIX } from './parse.ts';

export interface AgentLeaseStatus {
  readonly name: string;
  /** Peers see this agent alive: the last successful renewal plus the duration is still ahead. */
  readonly held: boolean;
  readonly lastRenewMs: number | null;
  readonly renewals: number;
  readonly conflicts: number;
  readonly lastError: string | null;
}

export interface AgentLeaseOptions {
  readonly api: ApiConnection;
  readonly kubernetes: KubernetesConfig;
  readonly nodeName: string;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface AgentLease {
  start(): void;
  status(): AgentLeaseStatus;
  /**
   * Stops renewing and deletes the Lease (bounded by request_timeout);
   * idempotent. `{ release: false }` stops renewing but leaves the Lease: a
   * restart keeps it, so peers do not take over IPs for the few seconds
   * the agent is away (it expires after lease_duration if it never returns).
   */
  close(opts?: { release?: boolean }): Promise<void>;
}

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
    [k: string]: unknown;
  };
}

const MAX_CONFLICTS_PER_RENEWAL = 5;

export function leaseName(nodeName: string): string {
  return AGENT_LEASE_PREFIX + nodeName;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits (the API server's parser insists). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function createAgentLease(opts: AgentLeaseOptions): AgentLease {
  const k = opts.kubernetes;
  const now = opts.now ?? Date.now;
  const name = leaseName(opts.nodeName);
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(k.leaseNamespace)}/leases`;
  const path = `${collection}/${encodeURIComponent(name)}`;
  const durationSeconds = Math.max(1, Math.round(k.leaseDurationMs / 1000));
  const stop = new AbortController();
  let current: LeaseObject | null = null;
  let lastRenewMs: number | null = null;
  let renewals = 0;
  let conflicts = 0;
  let lastError: string | null = null;
  let run: Promise<void> | null = null;
  let closing: Promise<void> | null = null;

  const req = (client: ApiClient, method: 'GET' | 'POST' | 'PUT' | 'DELETE', p: string, body?: unknown) =>
    client.json({ method, path: p, body, signal: stop.signal, timeoutMs: k.requestTimeoutMs }) as Promise<LeaseObject>;

  async function read(client: ApiClient): Promise<LeaseObject | null> {
    try {
      return await req(client, 'GET', path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }

  async function renew(client: ApiClient): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const t = now();
      if (current === null) current = await read(client);
      try {
        if (current === null) {
          current = await req(client, 'POST', collection, {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace: k.leaseNamespace },
            spec: { holderIdentity: opts.nodeName, leaseDurationSeconds: durationSeconds, acquireTime: microTime(t), renewTime: microTime(t), leaseTransitions: 0 },
          });
          opts.log.info({ op: 'lease', lease: name }, 'created the agent Lease');
        } else {
          const spec = current.spec ?? {};
          const takeover = spec.holderIdentity !== opts.nodeName;
          const next: LeaseObject = {
            ...current,
            spec: {
              ...spec,
              holderIdentity: opts.nodeName,
              leaseDurationSeconds: durationSeconds,
              renewTime: microTime(t),
              ...(takeover ? { acquireTime: microTime(t), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
            },
          };
          current = await req(client, 'PUT', path, next);
          if (takeover) opts.log.info({ op: 'lease', lease: name, previous: spec.holderIdentity ?? null }, 'took over the agent Lease');
        }
        lastRenewMs = t;
        renewals++;
        return;
      } catch (e) {
        // 409: written in between (or created by someone else): read it again and retry.
        // 404 on update: deleted in between: create it again.
        if (e instanceof ApiError && (e.status === 409 || e.status === 404) && attempt < MAX_CONFLICTS_PER_RENEWAL) {
          if (e.status === 409) conflicts++;
          opts.log.debug({ op: 'lease', lease: name, status: e.status }, 'lease changed in between; re-reading');
          current = null;
          continue;
        }
        throw e;
      }
    }
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stop.signal.aborted) {
      try {
        await renew(await opts.api.client());
        opts.api.succeeded();
        if (lastError !== null) opts.log.info({ op: 'lease', lease: name }, 'renewing the agent Lease again');
        lastError = null;
        failures = 0;
        await sleep(k.leaseRenewMs, stop.signal);
      } catch (e) {
        if (stop.signal.aborted) break;
        failures++;
        opts.api.failed(e);
        const reason = (e as Error).message;
        // The connection logs reachability; say here only what is the Lease's own trouble (RBAC, conflicts).
        if (lastError === null && e instanceof ApiError && e.status !== 0) opts.log.warn({ op: 'lease', lease: name, reason }, 'cannot renew the agent Lease');
        lastError = reason;
        const wait = Math.min(k.leaseRenewMs, backoffDelay(failures, { baseMs: DEFAULT_BACKOFF_BASE_MS, maxMs: k.backoffMaxMs }));
        await sleep(wait, stop.signal);
      }
    }
  }

  async function release(): Promise<void> {
    if (renewals === 0 && current === null) return;
    let client: ApiClient;
    try {
      client = await opts.api.client();
    } catch {
      return;
    }
    const del = (rv: string | undefined) =>
      client.json({
        method: 'DELETE',
        path,
        // Delete only what we wrote last: a peer that took the Lease over keeps it.
        body: rv ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: rv } } : undefined,
        timeoutMs: k.requestTimeoutMs,
      });
    try {
      try {
        await del(current?.metadata.resourceVersion);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) throw e;
        // Our last renewal may have landed without its answer reaching us: delete if it is still ours.
        const fresh = (await client.json({ path, timeoutMs: k.requestTimeoutMs })) as LeaseObject;
        if (fresh.spec?.holderIdentity !== opts.nodeName) return;
        await del(fresh.metadata.resourceVersion);
      }
      opts.log.info({ op: 'lease', lease: name }, 'deleted the agent Lease');
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return;
      opts.log.warn({ op: 'lease', lease: name, reason: (e as Error).message }, 'could not delete the agent Lease; peers take over when it expires');
    }
  }

  return {
    start() {
      run ??= loop();
    },
    status() {
      return {
        name,
        held: lastRenewMs !== null && lastRenewMs + durationSeconds * 1000 > now(),
        lastRenewMs,
        renewals,
        conflicts,
        lastError,
      };
    },
    close(opts) {
      closing ??= (async () => {
        stop.abort();
        await run;
        if (opts?.release !== false) await release();
        current = null;
        lastRenewMs = null;
      })();
      return closing;
    },
  };
}

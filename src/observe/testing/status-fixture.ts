// A realistic AgentStatus for tests of /status, /readyz, /metrics, `status`
// and `explain`: node n1, converged, two announcements (one shared IP), and a
// decision for each interesting reason. `withStatus` derives the other states.

import type { AgentStatus } from '../../agent/status.ts';

export const NOW = Date.parse('2025-06-01T12:00:00Z');

export const FIXTURE_STATUS: AgentStatus = Object.freeze({
  node: 'n1',
  build: { version: '0.1.0', commit: 'abc123def456' },
  startedAtMs: NOW - 3 * 3600_000,
  phase: 'converged',
  boot: { kind: 'same', why: 'boot_id unchanged since the last start' },
  api: { state: 'up', lastError: null, sinceMs: NOW - 3 * 3600_000 + 2000 },
  synced: true,
  lease: { name: 'kube-lb-agent-n1', held: true, lastRenewMs: NOW - 4000, lastError: null },
  guard: { holding: false, sinceMs: null, releaseAtMs: null, wouldWithdraw: 0, current: 3 },
  kernel: { interface: 'kube-lb0', table: 198, protocol: 201, routes: 3, addresses: 0, lastReconcileMs: NOW - 2000, lastError: null },
  announcements: [
    { ip: '192.0.2.10', prefix: 32, family: 4, pool: 'public', services: ['shop/web', 'shop/web-tls'] },
    { ip: '192.0.2.20', prefix: 32, family: 4, pool: 'public', services: ['tools/grafana'] },
    { ip: '2001:db8::10', prefix: 128, family: 6, pool: 'public6', services: ['shop/web'] },
  ],
  decisions: [
    { service: 'shop/api', ip: '192.0.2.11', source: 'loadbalancer', announce: false, reason: 'no-local-endpoint' },
    { service: 'shop/cart', ip: '192.0.2.12', source: 'loadbalancer', announce: false, reason: 'shared-ip-conflict', conflictsWith: ['shop/orders'] },
    { service: 'shop/orders', ip: '192.0.2.12', source: 'loadbalancer', announce: false, reason: 'no-local-endpoint' },
    { service: 'shop/web', ip: '192.0.2.10', source: 'loadbalancer', announce: true, reason: 'announced' },
    { service: 'shop/web', ip: '2001:db8::10', source: 'loadbalancer', announce: true, reason: 'announced' },
    { service: 'shop/web', ip: '198.51.100.7', source: 'external', announce: false, reason: 'ip-not-in-pool' },
    { service: 'shop/web-tls', ip: '192.0.2.10', source: 'loadbalancer', announce: true, reason: 'announced' },
    { service: 'team/batch', ip: '192.0.2.30', source: 'loadbalancer', announce: false, reason: 'not-elected', winner: 'n3' },
    { service: 'team/lonely', ip: '192.0.2.31', source: 'loadbalancer', announce: false, reason: 'not-elected', winner: null },
    { service: 'team/other', ip: '192.0.2.40', source: 'loadbalancer', announce: false, reason: 'class-mismatch' },
    { service: 'tools/grafana', ip: '192.0.2.20', source: 'loadbalancer', announce: true, reason: 'announced' },
    { service: 'tools/junk', ip: 'not-an-ip', source: 'loadbalancer', announce: false, reason: 'invalid-ip' },
  ],
  lastPlanMs: NOW - 2000,
} satisfies AgentStatus);

type Patch = { -readonly [K in keyof AgentStatus]?: AgentStatus[K] };

export function withStatus(patch: Patch): AgentStatus {
  return { ...FIXTURE_STATUS, ...patch };
}

/** API down for a minute: the agent holds what it announced. */
export const HOLDING_STATUS: AgentStatus = withStatus({
  phase: 'holding',
  api: { state: 'down', lastError: 'connect ECONNREFUSED 10.0.0.1:6443', sinceMs: NOW - 60_000 },
});

/** Started, API never reached: nothing synced. */
export const SYNCING_STATUS: AgentStatus = withStatus({
  phase: 'syncing',
  synced: false,
  api: { state: 'connecting', lastError: 'connect ECONNREFUSED 10.0.0.1:6443', sinceMs: NOW - 10_000 },
  announcements: [],
  decisions: [],
  lastPlanMs: null,
});

/** The guard holds a withdrawal of all three announcements. */
export const GUARD_STATUS: AgentStatus = withStatus({
  guard: { holding: true, sinceMs: NOW - 10_000, releaseAtMs: NOW + 50_000, wouldWithdraw: 3, current: 3 },
});

// `kube-lb-agent status` as text: pure functions from an AgentStatus (or, with
// the agent down, from what the kernel holds) and the time now to lines.

import { readiness, type AgentStatus } from '../agent/status.ts';
import { REASONS, type Reason } from '../plan/reasons.ts';
import type { Decision } from '../plan/types.ts';
import type { KernelHoldings } from './kernel-read.ts';

/** "4s", "3m12s", "2h05m", "3d04h" — how long ago or how long until. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function ago(ms: number | null, now: number): string {
  return ms === null ? 'never' : `${duration(now - ms)} ago`;
}

/** Left-aligned columns; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

const EXAMPLES = 3;

export function renderStatus(s: AgentStatus, now: number): string {
  const r = readiness(s);
  const api = `${s.api.state} for ${duration(now - s.api.sinceMs)}${s.api.lastError ? ` — ${s.api.lastError}` : ''}`;
  const lease = s.lease
    ? `${s.lease.name} ${s.lease.held ? 'held' : 'NOT held'}, renewed ${ago(s.lease.lastRenewMs, now)}${s.lease.lastError ? ` — ${s.lease.lastError}` : ''}`
    : 'none';
  const g = s.guard;
  const guard = g.holding
    ? `HOLDING a withdrawal of ${g.wouldWithdraw} of ${g.current} announcement(s) for ${g.sinceMs === null ? '?' : duration(now - g.sinceMs)}` +
      (g.releaseAtMs !== null ? `; applied in ${duration(g.releaseAtMs - now)} if it persists` : '')
    : 'not holding';
  const k = s.kernel;
  const kernel =
    `${k.routes} route(s), ${k.addresses} address(es) — ${k.interface}, table ${k.table}, protocol ${k.protocol}; ` +
    `last reconcile ${ago(k.lastReconcileMs, now)}${k.lastError ? `; ERROR: ${k.lastError}` : ''}`;

  const lines = [
    `kube-lb-agent ${s.build.version} (${s.build.commit}) on node ${s.node}, up ${duration(now - s.startedAtMs)}`,
    ...table(
      [
        ['phase', s.phase],
        ['ready', `${r.ready ? 'yes' : 'no'} — ${r.detail}`],
        ['API', api],
        ['synced', s.synced ? 'yes' : 'no: nothing new is announced, nothing withdrawn'],
        ['lease', lease],
        ['guard', guard],
        ['kernel', kernel],
        ['boot', `${s.boot.kind === 'fresh' ? 'fresh boot' : 'same boot'} (${s.boot.why})`],
        ['plan', s.lastPlanMs === null ? 'none yet' : `made ${ago(s.lastPlanMs, now)}`],
      ],
      '',
    ),
    '',
  ];

  lines.push(`Announced (${s.announcements.length}):`);
  if (s.announcements.length === 0) lines.push('  none');
  else lines.push(...table([['IP/PREFIX', 'POOL', 'SERVICES'], ...s.announcements.map((a) => [`${a.ip}/${a.prefix}`, a.pool, a.services.join(', ')])]));

  lines.push('', ...renderNotAnnounced(s.decisions));
  return lines.join('\n') + '\n';
}

/** Decisions other than `announced`, grouped by reason in the reasons table's order. */
export function renderNotAnnounced(decisions: readonly Decision[]): string[] {
  const by = new Map<Reason, Decision[]>();
  for (const d of decisions) {
    if (d.reason === 'announced') continue;
    const list = by.get(d.reason);
    if (list) list.push(d);
    else by.set(d.reason, [d]);
  }
  const total = [...by.values()].reduce((n, l) => n + l.length, 0);
  const lines = [`Not announced here (${total} Service IP${total === 1 ? '' : 's'}):`];
  if (total === 0) return [...lines, '  none'];
  const rows: string[][] = [['REASON', 'COUNT', 'EXAMPLES']];
  for (const reason of Object.keys(REASONS) as Reason[]) {
    const list = by.get(reason);
    if (!list) continue;
    const shown = list.slice(0, EXAMPLES).map((d) => `${d.service} ${d.ip}`);
    rows.push([reason, String(list.length), shown.join(', ') + (list.length > EXAMPLES ? `, … (+${list.length - EXAMPLES})` : '')]);
  }
  lines.push(...table(rows));
  lines.push('', '  Why: kube-lb-agent explain NAMESPACE/NAME. Meanings:');
  for (const reason of Object.keys(REASONS) as Reason[]) if (by.has(reason)) lines.push(`    ${reason}: ${REASONS[reason]}`);
  return lines;
}

export interface KernelFallback {
  /** The first line: that the agent is not running (or not answering, or cannot be asked) and why. */
  readonly headline: string;
  readonly interfaceName: string;
  readonly table: number;
  readonly protocol: number;
  readonly holdings: KernelHoldings;
}

export function renderKernelFallback(f: KernelFallback): string {
  const h = f.holdings;
  const lines = [
    f.headline,
    `What the kernel holds of the agent's (read directly; routers still see these routes):`,
    '',
    `interface ${f.interfaceName}: ${h.link ? `${h.link.up ? 'up' : 'DOWN'}${h.link.kind ? `, kind ${h.link.kind}` : ''}, index ${h.link.index}` : 'missing'}`,
    `routes in table ${f.table} with protocol ${f.protocol} (${h.routes.length}):`,
  ];
  if (h.routes.length === 0) lines.push('  none');
  else lines.push(...table([['ROUTE', 'METRIC'], ...h.routes.map((r) => [`${r.dst}/${r.prefix}`, String(r.metric)])]));
  lines.push(`addresses on ${f.interfaceName} (${h.addresses.length}):`);
  if (h.addresses.length === 0) lines.push('  none');
  else lines.push(...h.addresses.map((a) => `  ${a.ip}/${a.prefix}`));
  if (h.otherRoutes.length > 0) {
    lines.push(`other routes in table ${f.table} (other protocols: never touched by the agent): ${h.otherRoutes.length}`);
  }
  return lines.join('\n') + '\n';
}

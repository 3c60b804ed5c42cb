// `kube-lb-agent explain NAMESPACE/NAME` as text: one sentence per IP of the
// Service from the agent's decisions and the reasons table — or, when the
// agent has no decision for it, the checks that decide whether a Service is
// considered at all. Pure: status, config and Service in, text out.

import type { AgentStatus } from '../agent/status.ts';
import type { AnnounceConfig } from '../config/index.ts';
import { ADVERTISE_ANNOTATIONS } from '../plan/annotations.ts';
import { REASONS } from '../plan/reasons.ts';
import type { Decision, IpSource } from '../plan/types.ts';

const SOURCE_NAME: Readonly<Record<IpSource, string>> = {
  loadbalancer: 'LoadBalancer IP',
  external: 'external IP',
  cluster: 'cluster IP',
};

export interface Explanation {
  /** The agent has at least one decision for the Service. */
  readonly found: boolean;
  readonly text: string;
}

/** One sentence for one decision. */
export function explainDecision(d: Decision, s: AgentStatus): string {
  const head = `${d.ip} (${SOURCE_NAME[d.source]})`;
  if (d.announce) {
    const a = s.announcements.find((x) => x.ip === d.ip);
    const as = a ? ` as ${a.ip}/${a.prefix} (pool ${a.pool})` : '';
    const others = a ? a.services.filter((x) => x !== d.service) : [];
    const shared = others.length ? `; the IP is shared with ${others.join(', ')}` : '';
    return `${head}: ANNOUNCED by this node${as} — ${REASONS.announced}${shared}.`;
  }
  let extra = '';
  if (d.conflictsWith?.length) extra += ` Sharing Services that cannot be served here: ${d.conflictsWith.join(', ')}.`;
  if (d.winner !== undefined) extra += d.winner === null ? ' No node is eligible to announce it.' : ` Node ${d.winner} announces it.`;
  return `${head}: not announced here — ${d.reason}: ${REASONS[d.reason]}.${extra}`;
}

export function explainService(s: AgentStatus, service: string, announce: AnnounceConfig): Explanation {
  const decisions = s.decisions.filter((d) => d.service === service);
  const lines: string[] = [];
  const where = `the agent on node ${s.node}`;
  if (!s.synced || s.phase === 'holding') {
    lines.push(
      s.synced
        ? `Note: ${where} is holding (API ${s.api.state}): decisions are from the last synced view and what is announced stays.`
        : `Note: ${where} has not synced the cluster view yet (API ${s.api.state}): nothing new is announced, nothing withdrawn.`,
    );
  }
  if (decisions.length > 0) {
    const n = decisions.filter((d) => d.announce).length;
    lines.unshift(`${service}: ${where} announces ${n} of its ${decisions.length} IP${decisions.length === 1 ? '' : 's'}.`);
    for (const d of decisions) lines.push(`  ${explainDecision(d, s)}`);
    return { found: true, text: lines.join('\n') + '\n' };
  }
  lines.unshift(`${service}: ${where} has no decision for this Service — it is not considered.`);
  lines.push(...notConsideredChecks(service, announce, s.synced));
  return { found: false, text: lines.join('\n') + '\n' };
}

const onOff = (b: boolean) => (b ? 'on' : 'off');

/** Why a Service can have no decision at all: each check, with what the config says. */
export function notConsideredChecks(service: string, announce: AnnounceConfig, synced: boolean): string[] {
  const [ns, name] = service.split('/');
  const kinds: [IpSource, string, boolean, string][] = [
    ['loadbalancer', 'status.loadBalancer.ingress[].ip of a type: LoadBalancer Service', announce.loadbalancerIp, 'loadbalancer_ip'],
    ['external', 'spec.externalIPs', announce.externalIp, 'external_ip'],
    ['cluster', 'spec.clusterIPs', announce.clusterIp, 'cluster_ip'],
  ];
  const optIn = `a kind turned off counts only for a Service annotated to opt in (announced then only with announce.allow_opt_in, now ${onOff(announce.allowOptIn)})`;
  return [
    'A Service is considered when all of these hold:',
    `  1. it exists in the cluster view: kubectl -n ${ns} get service ${name}${synced ? '' : ' (the view is not synced yet)'};`,
    '  2. it has an IP of a kind this node announces:',
    ...kinds.map(([src, where, on, key]) => `       ${SOURCE_NAME[src]}s (${where}): ${onOff(on)} (announce.${key}; opt in with ${ADVERTISE_ANNOTATIONS[src][0]}: "true")`),
    `     ${optIn};`,
    '  3. a LoadBalancer Service has been given its IP: status.loadBalancer.ingress lists an ip, not only a hostname',
    '     (an IP allocator sets it; a Service of another type keeps no LoadBalancer IP).',
    `A loadBalancerClass naming another implementation is considered and shown as class-mismatch (announce.class = "${announce.class}").`,
  ];
}

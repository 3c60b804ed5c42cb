// Whether a node may announce anything at all, and whether it counts as
// alive for elections. The same rules judge this node and its peers, so every
// agent running the same config computes the same candidates.

import type { NodeView, Snapshot } from '../cluster/snapshot.ts';
import { matchesSelector, type Config } from '../config/index.ts';
import type { Reason } from './reasons.ts';

export const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/**
 * Why `node` may not announce, or undefined when it may. The administrator's
 * choices come first (label, selector), then the node's state.
 */
export function nodeRefusal(config: Config, node: NodeView | undefined): Reason | undefined {
  if (!node) return 'node-unknown';
  // The label excludes whatever its value, as Kubernetes' service controller and MetalLB read it.
  if (config.announce.honorExcludeLabel && Object.hasOwn(node.labels, EXCLUDE_LABEL)) return 'node-excluded';
  if (!matchesSelector(config.node.selector, node.labels)) return 'node-selector-mismatch';
  if (node.networkUnavailable === 'True') return 'node-network-unavailable';
  if (config.announce.requireNodeReady && node.ready !== 'True') return 'node-not-ready';
  return undefined;
}

/**
 * Live = the Node is Ready and its agent is alive. `liveAgents` comes from the
 * agents' Leases, judged fresh by the caller; null = no Lease known, so Ready
 * alone decides. Ready is required even when announce.require_node_ready is
 * off: an election must not hand an IP to a node that is known to be down.
 */
export function isLive(node: NodeView, liveAgents: ReadonlySet<string> | null): boolean {
  return node.ready === 'True' && (liveAgents === null || liveAgents.has(node.name));
}

/** The nodes that may win an election: eligible and live, sorted by name. */
export function electionCandidates(config: Config, snapshot: Snapshot, liveAgents: ReadonlySet<string> | null): string[] {
  const out: string[] = [];
  for (const node of snapshot.nodes.values()) {
    if (nodeRefusal(config, node) === undefined && isLive(node, liveAgents)) out.push(node.name);
  }
  return out.sort();
}

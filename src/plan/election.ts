// Which single node announces an IP when announce.election is not `all`.
// Elections are computed, not negotiated: every agent runs the same pure
// function over the same view (eligible, live nodes) and reaches the same
// answer, with no Lease per IP and nothing to agree on at run time.
//
// per-service — as MetalLB's layer-2 speaker does it (ShouldAnnounce): take
// the nodes that could serve (for a Local Service, those with a serving
// endpoint), sort them by sha256(node + "#" + ip) compared as bytes, and the
// first one announces. MetalLB keys a Service by its first IP; here each IP
// is elected on its own, because IPs are what we announce and share: every
// Service sharing an IP must agree on one node, whatever their other IPs.
//
// Why sha256: it is the same on every node, platform and version (unlike a
// runtime's own hashing or map order); it spreads IPs evenly; and ordering by
// hash(node, ip) is rendezvous hashing — when a node leaves only the IPs it
// held move, and a node that joins takes only its ~1/n share. No secrecy is
// needed; sha256 is what MetalLB uses (same winner for the same candidates,
// which helps when comparing or migrating) and is in node:crypto. `hash` is
// node:crypto's one-shot form of createHash('sha256'), about 1.6× faster here.
//
// leader — one node announces everything it can serve: the eligible live node
// with the smallest sha256(node name). Hashing rather than taking the first
// name avoids always picking the alphabetically-first node (often a
// control-plane node), and a node that joins becomes leader only with odds 1/n.
//
// Failover: a cleanly stopping agent withdraws and deletes its Lease, so peers
// see it gone on their next snapshot (milliseconds, via the watch) and the next
// node in the order takes over. A crashed agent's Lease stops being renewed and
// counts as dead once the caller judges it stale (kubernetes.lease_duration);
// a Node that turns NotReady drops out at once.

import { hash } from 'node:crypto';

/** Hex digest: comparing two as strings orders them as the bytes compare. */
function digest(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * Whether `self` wins `ip` among `candidates` (self must be one of them).
 * Stops at the first candidate that beats self: most IPs are lost after a
 * few hashes, where naming the winner costs one hash per candidate.
 */
export function winsPerService(self: string, candidates: readonly string[], ip: string): boolean {
  const mine = digest(`${self}#${ip}`);
  for (const c of candidates) {
    if (c !== self && digest(`${c}#${ip}`) < mine) return false;
  }
  return true;
}

/** The node that announces `ip` among `candidates`; null when there are none. */
export function perServiceWinner(candidates: readonly string[], ip: string): string | null {
  let best: string | null = null;
  let bestDigest = '';
  for (const c of candidates) {
    const d = digest(`${c}#${ip}`);
    if (best === null || d < bestDigest) {
      best = c;
      bestDigest = d;
    }
  }
  return best;
}

/** The node that announces every IP under `leader`; null when there are no candidates. */
export function leaderOf(candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDigest = '';
  for (const c of candidates) {
    const d = digest(c);
    if (best === null || d < bestDigest) {
      best = c;
      bestDigest = d;
    }
  }
  return best;
}

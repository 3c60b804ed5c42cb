import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFresh, liveAgents, nextExpiry } from './live-agents.ts';
import type { AgentLeaseView } from './snapshot.ts';

const lease = (node: string, renewTimeMs: number | null, durationSeconds: number | null = 15, holder: string | null = node): AgentLeaseView => ({
  node,
  holder,
  renewTimeMs,
  durationSeconds,
});

test('liveAgents: fresh = renewTime + duration > now, held by its own node', () => {
  const now = 1_000_000;
  const leases = new Map([
    ['a', lease('a', now - 14_999)],
    ['b', lease('b', now - 15_000)], // expires exactly now: not fresh
    ['c', lease('c', now - 20_000)],
    ['d', lease('d', null)],
    ['e', lease('e', now, null)],
    ['f', lease('f', now, 15, 'someone-else')],
    ['g', lease('g', now, 15, null)],
    ['h', lease('h', now + 5_000)], // a clock ahead of ours still counts
  ]);
  assert.deepEqual([...liveAgents(leases, now)].sort(), ['a', 'h']);
  assert.deepEqual([...liveAgents(leases.values(), now)].sort(), ['a', 'h']);
  assert.equal(isFresh(lease('x', now - 1000, 1), now), false);
  assert.equal(liveAgents([], now).size, 0);
});

test('nextExpiry: the earliest future expiry, null when none', () => {
  const now = 1_000_000;
  assert.equal(nextExpiry([lease('a', now - 10_000), lease('b', now - 5_000), lease('c', now - 60_000)], now), now + 5_000);
  assert.equal(nextExpiry([lease('c', now - 60_000), lease('d', null)], now), null);
});

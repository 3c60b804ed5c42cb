import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, sleep } from './backoff.ts';

const policy = { baseMs: 250, maxMs: 30_000 };

test('backoff: doubles from the base, capped, jitter within [cap/2, cap]', () => {
  assert.equal(backoffDelay(1, policy, () => 1), 250);
  assert.equal(backoffDelay(1, policy, () => 0), 125);
  assert.equal(backoffDelay(2, policy, () => 1), 500);
  assert.equal(backoffDelay(5, policy, () => 1), 4000);
  assert.equal(backoffDelay(8, policy, () => 1), 30_000);
  assert.equal(backoffDelay(1000, policy, () => 1), 30_000);
  assert.equal(backoffDelay(1000, policy, () => 0), 15_000);
  for (let a = 1; a < 40; a++) {
    const d = backoffDelay(a, policy);
    assert.ok(d >= 125 && d <= 30_000, `attempt ${a}: ${d}`);
  }
  // Nonsense attempts count as the first.
  assert.equal(backoffDelay(0, policy, () => 1), 250);
  assert.equal(backoffDelay(-3, policy, () => 1), 250);
});

test('sleep: resolves early when aborted, at once when already aborted', async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 20);
  await sleep(10_000, ac.signal);
  assert.ok(Date.now() - t0 < 1000);
  await sleep(10_000, ac.signal);
});

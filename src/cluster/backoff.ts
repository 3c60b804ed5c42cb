// Waiting between attempts to reach the API. The agent boots before the
// control plane, so "unreachable" is the normal first state: the first
// retries come quickly (the API often appears within seconds), then the gap
// doubles up to `maxMs`. Jitter spreads a thousand nodes' retries apart after
// an API server restart instead of having them arrive in lockstep.

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 250;

/**
 * Delay before attempt `attempt` (1 = the first retry): "equal jitter", a
 * uniform pick in [cap/2, cap] where cap = min(max, base·2^(attempt-1)), so
 * the wait never collapses to zero and never exceeds the configured cap.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

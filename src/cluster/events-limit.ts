// The limits of the event recorder (events.ts), pure and clock-driven so
// tests can step time: a token bucket, and a bounded map that forgets its
// least recently used entries — the shapes of client-go's EventCorrelator
// (its spam filter is a token bucket per object, its aggregation cache an LRU).

/** A token bucket: `burst` tokens, one more every `refillMs`, never above `burst`. */
export class TokenBucket {
  readonly #burst: number;
  readonly #refillMs: number;
  #tokens: number;
  #at: number;

  constructor(opts: { burst: number; refillMs: number; nowMs: number }) {
    this.#burst = opts.burst;
    this.#refillMs = opts.refillMs;
    this.#tokens = opts.burst;
    this.#at = opts.nowMs;
  }

  #refill(nowMs: number): void {
    if (nowMs <= this.#at) return;
    const add = (nowMs - this.#at) / this.#refillMs;
    this.#tokens = Math.min(this.#burst, this.#tokens + add);
    this.#at = nowMs;
  }

  /** Takes a token if there is one. */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  waitMs(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - this.#tokens) * this.#refillMs - 1e-6));
  }

  /** Full again: a bucket in this state can be forgotten (a new one starts the same). */
  full(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.#burst;
  }
}

/** A Map that keeps at most `max` entries, forgetting the least recently used. */
export class Lru<K, V> {
  readonly #max: number;
  readonly #m = new Map<K, V>();

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#m.size;
  }

  get(k: K): V | undefined {
    const v = this.#m.get(k);
    if (v === undefined) return undefined;
    this.#m.delete(k);
    this.#m.set(k, v);
    return v;
  }

  set(k: K, v: V): void {
    this.#m.delete(k);
    this.#m.set(k, v);
    if (this.#m.size > this.#max) this.#m.delete(this.#m.keys().next().value as K);
  }

  delete(k: K): void {
    this.#m.delete(k);
  }

  entries(): IterableIterator<[K, V]> {
    return this.#m.entries();
  }
}

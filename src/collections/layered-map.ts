// An immutable map that is cheap to derive with a few changes: the frozen
// Snapshot's parts, the planner's per-Service state and the kernel's desired
// state are replaced whole after every change, and copying 10,000 entries for
// one changed Service is what made a cycle O(cluster) instead of O(change).
//
// Two layers, neither ever mutated once built: a base Map and a small top Map
// of changes (a deleted key maps to GONE). `with(changes)` copies only the
// top; when the top grows past an eighth of the base the two are merged into
// a new base, so a change costs O(1) amortised and a lookup at most two
// Map lookups. Iteration order: the base's order (changed values in place),
// then keys new since the base; deterministic, but not insertion order.

const GONE: unique symbol = Symbol('gone');
type Slot<V> = V | typeof GONE;

const EMPTY_TOP: ReadonlyMap<unknown, unknown> = new Map();

export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly #base: ReadonlyMap<K, V>;
  readonly #top: ReadonlyMap<K, Slot<V>>;
  readonly size: number;

  private constructor(base: ReadonlyMap<K, V>, top: ReadonlyMap<K, Slot<V>>, size: number) {
    this.#base = base;
    this.#top = top;
    this.size = size;
  }

  /** Takes `map` over: the caller must not change it afterwards. Values must not be undefined. */
  static adopt<K, V>(map: ReadonlyMap<K, V>): LayeredMap<K, V> {
    return new LayeredMap<K, V>(map, EMPTY_TOP as ReadonlyMap<K, Slot<V>>, map.size);
  }

  static empty<K, V>(): LayeredMap<K, V> {
    return LayeredMap.adopt(new Map<K, V>());
  }

  get(key: K): V | undefined {
    const t = this.#top.get(key);
    if (t === undefined) return this.#base.get(key);
    return t === GONE ? undefined : t;
  }

  has(key: K): boolean {
    const t = this.#top.get(key);
    return t === undefined ? this.#base.has(key) : t !== GONE;
  }

  /**
   * A new map: this one with each `[key, value]` set, or deleted where the
   * value is undefined (a key named twice: the last one wins). This map is
   * left as it is.
   */
  with(changes: Iterable<readonly [K, V | undefined]>): LayeredMap<K, V> {
    const top = new Map<K, Slot<V>>(this.#top);
    const base = this.#base;
    let size = this.size;
    let any = false;
    for (const [key, value] of changes) {
      any = true;
      const t = top.get(key);
      const was = t === undefined ? base.has(key) : t !== GONE;
      if (value === undefined) {
        if (!was) continue;
        size--;
        if (base.has(key)) top.set(key, GONE);
        else top.delete(key);
      } else {
        if (!was) size++;
        top.set(key, value);
      }
    }
    if (!any) return this;
    if (top.size > 32 && top.size > base.size >> 3) return LayeredMap.adopt(merge(base, top));
    return new LayeredMap(base, top, size);
  }

  *entries(): MapIterator<[K, V]> {
    const top = this.#top;
    for (const [k, v] of this.#base) {
      const t = top.get(k);
      if (t === undefined) yield [k, v];
      else if (t !== GONE) yield [k, t];
    }
    for (const [k, t] of top) if (t !== GONE && !this.#base.has(k)) yield [k, t];
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }
}

function merge<K, V>(base: ReadonlyMap<K, V>, top: ReadonlyMap<K, Slot<V>>): Map<K, V> {
  const out = new Map<K, V>(base);
  for (const [k, t] of top) {
    if (t === GONE) out.delete(k);
    else out.set(k, t);
  }
  return out;
}

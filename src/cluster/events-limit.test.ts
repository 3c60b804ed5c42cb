import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lru, TokenBucket } from './events-limit.ts';

describe('TokenBucket', () => {
  it('gives its burst at once, then one token per refill interval', () => {
    const b = new TokenBucket({ burst: 3, refillMs: 1000, nowMs: 0 });
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.waitMs(0), 1000);
    assert.equal(b.take(999), false);
    assert.equal(b.waitMs(999), 1);
    assert.equal(b.take(1000), true);
    assert.equal(b.take(1000), false);
  });

  it('never holds more than its burst, however long it waits', () => {
    const b = new TokenBucket({ burst: 2, refillMs: 10, nowMs: 0 });
    assert.equal(b.full(1_000_000), true);
    assert.deepEqual([b.take(1_000_000), b.take(1_000_000), b.take(1_000_000)], [true, true, false]);
    assert.equal(b.full(1_000_000), false);
  });

  it('a clock that goes backwards adds nothing', () => {
    const b = new TokenBucket({ burst: 1, refillMs: 10, nowMs: 100 });
    assert.equal(b.take(100), true);
    assert.equal(b.take(50), false);
    assert.equal(b.take(105), false);
    assert.equal(b.take(110), true);
  });
});

describe('Lru', () => {
  it('forgets the least recently used entry past its size', () => {
    const l = new Lru<string, number>(2);
    l.set('a', 1);
    l.set('b', 2);
    assert.equal(l.get('a'), 1); // a is now the most recent
    l.set('c', 3);
    assert.equal(l.get('b'), undefined);
    assert.equal(l.get('a'), 1);
    assert.equal(l.get('c'), 3);
    assert.equal(l.size, 2);
  });
});

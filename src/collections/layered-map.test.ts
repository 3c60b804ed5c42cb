import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xorshift } from '../../test/helpers/xorshift.ts';
import { LayeredMap } from './layered-map.ts';

test('LayeredMap: random sets and deletes read like a plain Map, and every earlier version stays as it was', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const g = xorshift(seed);
    const r = () => g.next();
    const keys = 20 + Math.floor(r() * 400);
    let model = new Map<number, string>();
    let m = LayeredMap.empty<number, string>();
    const history: [Map<number, string>, LayeredMap<number, string>][] = [];
    for (let step = 0; step < 200; step++) {
      const batch: [number, string | undefined][] = [];
      const n = 1 + Math.floor(r() * (r() < 0.1 ? 200 : 5));
      for (let i = 0; i < n; i++) batch.push([Math.floor(r() * keys), r() < 0.3 ? undefined : `v${step}.${i}`]);
      const next = new Map(model);
      for (const [k, v] of batch) (v === undefined ? next.delete(k) : next.set(k, v));
      history.push([model, m]);
      model = next;
      m = m.with(batch);
      assert.equal(m.size, model.size, `seed ${seed} step ${step}: size`);
      for (let k = 0; k < keys; k++) {
        assert.equal(m.get(k), model.get(k), `seed ${seed} step ${step}: get(${k})`);
        assert.equal(m.has(k), model.has(k));
      }
      assert.deepEqual(new Map([...m].sort((a, b) => a[0] - b[0])), new Map([...model].sort((a, b) => a[0] - b[0])));
      assert.equal([...m.keys()].length, m.size, 'each key once');
    }
    for (const [mod, old] of history) {
      assert.equal(old.size, mod.size);
      for (const [k, v] of mod) assert.equal(old.get(k), v);
    }
  }
});

test('LayeredMap: with() of nothing is the same map; forEach and values agree with entries', () => {
  const m = LayeredMap.adopt(new Map([['a', 1], ['b', 2]])).with([['c', 3], ['a', undefined]]);
  assert.equal(m.with([]), m);
  const seen: [string, number][] = [];
  m.forEach((v, k, map) => {
    assert.equal(map, m);
    seen.push([k, v]);
  });
  assert.deepEqual(seen, [...m.entries()]);
  assert.deepEqual([...m.values()], [2, 3]);
  assert.deepEqual([...m.keys()], ['b', 'c']);
  assert.equal(m.get('a'), undefined);
  assert.equal(m.has('a'), false);
});

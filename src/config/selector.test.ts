import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesSelector, parseSelector, type LabelSelector } from './selector.ts';

function sel(text: string): LabelSelector {
  const r = parseSelector(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.message}`);
  return r.selector;
}

test('selector: Kubernetes semantics', () => {
  const labels = { 'node-role.kubernetes.io/edge': '', zone: 'a', tier: 'web' };
  const cases: [string, boolean][] = [
    ['', true],
    ['node-role.kubernetes.io/edge', true],
    ['!node-role.kubernetes.io/edge', false],
    ['zone=a', true],
    ['zone==a', true],
    ['zone!=a', false],
    ['rack!=r1', true], // absent label matches != and notin
    ['zone in (a, b)', true],
    ['zone notin (a,b)', false],
    ['rack notin (r1)', true],
    ['zone in (b)', false],
    ['zone=a,tier=web', true],
    ['zone=a,tier=db', false],
    ['missing', false],
  ];
  for (const [text, expected] of cases) assert.equal(matchesSelector(sel(text), labels), expected, text);
});

test('selector: refused', () => {
  for (const text of ['zone in (a', 'zone in a', '=a', 'zone=a=b', 'zone = (a)', 'ex ample', 'bad_prefix.com/x=1', `x=${'v'.repeat(64)}`]) {
    assert.ok(!parseSelector(text).ok, text);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.ts';

test('duration: units and combinations', () => {
  const cases: [string, number][] = [
    ['0s', 0],
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
  ];
  for (const [text, ms] of cases) {
    assert.deepEqual(parseDuration(text), { ok: true, ms }, text);
    assert.equal(formatDuration(ms), text === '0s' ? '0s' : text);
  }
});

test('duration: refused', () => {
  for (const text of ['', '10', '1.5s', '-1s', '10 s', '10sec', 's', '1s1s', '1s1m', '1d']) {
    const r = parseDuration(text);
    assert.ok(!r.ok, text);
  }
  assert.match((parseDuration('10') as { message: string }).message, /has no unit/);
});

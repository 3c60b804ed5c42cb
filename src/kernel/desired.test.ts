import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/index.ts';
import { desiredState, kernelMetric, type AnnouncedIp } from './desired.ts';

const config = (routing: string, pools = '[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\n') =>
  parseConfig(`[routing]\n${routing}\n${pools}`, 't.toml');

const a4: AnnouncedIp = { ip: '192.0.2.10', family: 4, prefix: 32, pool: 'a' };
const b4: AnnouncedIp = { ip: '192.0.2.11', family: 4, prefix: 32, pool: 'a' };
const a6: AnnouncedIp = { ip: '2001:db8:1::10', family: 6, prefix: 128, pool: 'a' };

test('method "routes": one host route per IP with the configured metric; no addresses', () => {
  const { desired, problems } = desiredState([a4, a6], config('method = "routes"\nmetric = 5'));
  assert.deepEqual(problems, []);
  assert.deepEqual([...desired.routes.entries()], [
    ['192.0.2.10', { family: 4, dst: '192.0.2.10', prefix: 32, metric: 5 }],
    ['2001:db8:1::10', { family: 6, dst: '2001:db8:1::10', prefix: 128, metric: 5 }],
  ]);
  assert.equal(desired.addresses.size, 0);
  assert.ok(Object.isFrozen(desired), 'the state is frozen (its entries are readonly by type)');
});

test('IPv6 metric 0 is desired as 1024, the value the kernel stores (else every pass would "fix" it)', () => {
  const { desired } = desiredState([a4, a6], config('metric = 0'));
  assert.equal(desired.routes.get('192.0.2.10')?.metric, 0);
  assert.equal(desired.routes.get('2001:db8:1::10')?.metric, 1024);
  assert.equal(kernelMetric(6, 7), 7);
});

test('method "addresses" without aggregation: host addresses, no routes', () => {
  const { desired } = desiredState([a4, a6], config('method = "addresses"'));
  assert.deepEqual([...desired.addresses.keys()], ['192.0.2.10', '2001:db8:1::10']);
  assert.equal(desired.routes.size, 0);
});

test('aggregation: addresses with the pool\'s prefix, and the aggregated prefix once as a route in our table', () => {
  const pools = '[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\naggregation_v4 = 24\naggregation_v6 = 64\n';
  const { desired } = desiredState([a4, b4, a6], config('method = "addresses"', pools));
  assert.deepEqual([...desired.addresses.keys()], ['192.0.2.10/24', '192.0.2.11/24', '2001:db8:1::10/64']);
  assert.deepEqual([...desired.routes.keys()], ['192.0.2.0/24', '2001:db8:1::/64']);
});

test('method "both": host routes, addresses and the aggregated prefix', () => {
  const pools = '[pools.a]\ncidrs = ["192.0.2.0/24"]\naggregation_v4 = 28\n';
  const { desired } = desiredState([a4, b4], config('method = "both"', pools));
  assert.deepEqual([...desired.routes.keys()], ['192.0.2.10', '192.0.2.0/28', '192.0.2.11']);
  assert.deepEqual([...desired.addresses.keys()], ['192.0.2.10/28', '192.0.2.11/28']);
});

test('one bad entry affects only itself: garbage IP, wrong family or prefix, unknown pool', () => {
  const bad: AnnouncedIp[] = [
    { ip: 'not-an-ip', family: 4, prefix: 32, pool: 'a' },
    { ip: '2001:db8::1', family: 4, prefix: 32, pool: 'a' },
    { ip: '192.0.2.1', family: 4, prefix: 24, pool: 'a' },
    { ip: '192.0.2.2', family: 5 as 4, prefix: 32, pool: 'a' },
    { ip: '192.0.2.3', family: 4, prefix: 32, pool: 'nope' },
  ];
  const { desired, problems } = desiredState([...bad, a4], config('method = "both"'));
  assert.deepEqual(problems, [
    { ip: 'not-an-ip', reason: 'invalid-ip' },
    { ip: '2001:db8::1', reason: 'invalid-ip' },
    { ip: '192.0.2.1', reason: 'invalid-ip' },
    { ip: '192.0.2.2', reason: 'invalid-ip' },
    { ip: '192.0.2.3', reason: 'unknown-pool' },
  ]);
  // The unknown pool's IP still gets its route (routes need no pool); a4 gets everything.
  assert.deepEqual([...desired.routes.keys()], ['192.0.2.3', '192.0.2.10']);
  assert.deepEqual([...desired.addresses.keys()], ['192.0.2.10']);
});

test('non-canonical input text is canonicalised; duplicates collapse', () => {
  const { desired } = desiredState(
    [{ ip: '2001:DB8:1:0:0:0:0:10', family: 6, prefix: 128, pool: 'a' }, a6],
    config('method = "routes"'),
  );
  assert.deepEqual([...desired.routes.keys()], ['2001:db8:1::10']);
});

test('with the previous state: the delta names added, changed and gone keys; unchanged entries are reused', () => {
  const c = config('method = "both"');
  const first = desiredState([a4, b4, a6], c).desired;
  assert.equal(first.delta, undefined);
  const c4: AnnouncedIp = { ip: '192.0.2.12', family: 4, prefix: 32, pool: 'a' };
  const second = desiredState([a4, a6, c4], c, first).desired;
  assert.equal(second.delta?.base.deref(), first);
  assert.deepEqual([...second.delta!.routes].sort(), ['192.0.2.11', '192.0.2.12']);
  assert.deepEqual([...second.delta!.addresses].sort(), ['192.0.2.11', '192.0.2.12']);
  assert.equal(second.routes.get('192.0.2.10'), first.routes.get('192.0.2.10'), 'same object');
  const third = desiredState([a4, a6, c4], parseConfig('[routing]\nmethod = "both"\nmetric = 9\n[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\n', 't.toml'), second).desired;
  assert.deepEqual([...third.delta!.routes].sort(), ['192.0.2.10', '192.0.2.12', '2001:db8:1::10'], 'a metric change is a change');
  assert.deepEqual([...third.delta!.addresses], []);
  const same = desiredState([a4, a6, c4], c, second).desired;
  assert.deepEqual([...same.delta!.routes, ...same.delta!.addresses], []);
});

// desiredStateDelta(): the desired state of a changed announcement list,
// derived in O(changes) from the last one, equals the one desiredState()
// builds from the whole list — routes, addresses and the delta's keys.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/index.ts';
import { desiredState, desiredStateDelta, type AnnouncedChange, type AnnouncedIp, type KernelDesired } from './desired.ts';

const POOLS = '[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\n[pools.b]\ncidrs = ["198.51.100.0/24"]\n';
const config = (routing: string, pools = POOLS) => parseConfig(`[routing]\n${routing}\n${pools}`, 't.toml');

function rng(seed: number): (n: number) => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return Math.floor((x / 0x1_0000_0000) * n);
  };
}

const IPS: AnnouncedIp[] = [
  ...Array.from({ length: 12 }, (_, i): AnnouncedIp => ({ ip: `192.0.2.${i}`, family: 4, prefix: 32, pool: 'a' })),
  ...Array.from({ length: 6 }, (_, i): AnnouncedIp => ({ ip: `198.51.100.${i}`, family: 4, prefix: 32, pool: i % 3 === 0 ? 'gone' : 'b' })),
  ...Array.from({ length: 8 }, (_, i): AnnouncedIp => ({ ip: `2001:db8:1::${i}`, family: 6, prefix: 128, pool: 'a' })),
  { ip: 'garbage', family: 4, prefix: 32, pool: 'a' },
  { ip: '192.0.2.200', family: 4, prefix: 24 as 32, pool: 'a' },
];

const entries = (d: KernelDesired) => ({
  routes: new Map([...d.routes].sort(([a], [b]) => (a < b ? -1 : 1))),
  addresses: new Map([...d.addresses].sort(([a], [b]) => (a < b ? -1 : 1))),
});

for (const method of ['routes', 'addresses', 'both']) {
  test(`method "${method}": derived from the last state it equals the state built whole, after random changes`, () => {
    const cfg = config(`method = "${method}"\nmetric = ${method === 'both' ? 0 : 7}`);
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      let current = new Map<string, AnnouncedIp>();
      let state = desiredState([], cfg).desired;
      for (let step = 0; step < 30; step++) {
        const changes: AnnouncedChange[] = [];
        const next = new Map(current);
        const touched = new Set<string>();
        for (let i = 1 + r(r(10) === 0 ? 20 : 3); i > 0; i--) {
          const a = IPS[r(IPS.length)]!;
          if (touched.has(a.ip)) continue;
          touched.add(a.ip);
          const after = r(3) === 0 ? undefined : a;
          changes.push({ before: current.get(a.ip), after });
          if (after) next.set(a.ip, after);
          else next.delete(a.ip);
        }
        const derived = desiredStateDelta(state, changes, cfg);
        const whole = desiredState([...next.values()], cfg, state);
        assert.ok(derived, `seed ${seed} step ${step}: derivable`);
        assert.deepEqual(entries(derived.desired), entries(whole.desired), `seed ${seed} step ${step}`);
        assert.deepEqual(new Set(derived.desired.delta!.routes), new Set(whole.desired.delta!.routes));
        assert.deepEqual(new Set(derived.desired.delta!.addresses), new Set(whole.desired.delta!.addresses));
        assert.equal(derived.desired.delta!.base.deref(), state);
        const problemIps = new Set(changes.flatMap((c) => (c.after ? [c.after.ip] : [])));
        const key = (p: { ip: string; reason: string }) => `${p.ip} ${p.reason}`;
        assert.deepEqual(derived.problems.map(key).sort(), whole.problems.filter((p) => problemIps.has(p.ip)).map(key).sort());
        current = next;
        state = derived.desired;
      }
    }
  });
}

test('not derivable under another config, or where an aggregated prefix is involved: the caller builds it whole', () => {
  const cfg = config('method = "routes"');
  const { desired } = desiredState([IPS[0]!], cfg);
  assert.equal(desiredStateDelta(desired, [{ before: undefined, after: IPS[1] }], config('method = "routes"')), undefined);
  const agg = config('method = "addresses"', '[pools.a]\ncidrs = ["192.0.2.0/24"]\naggregation_v4 = 24\n');
  const d2 = desiredState([IPS[0]!], agg).desired;
  assert.equal(desiredStateDelta(d2, [{ before: undefined, after: IPS[1] }], agg), undefined);
  assert.equal(desiredStateDelta(d2, [{ before: IPS[0], after: undefined }], agg), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Announcement } from '../plan/index.ts';
import { GUARD_IDLE, guard, type GuardState } from './guard.ts';

const settings = { maxWithdrawFraction: 0.5, holdMs: 60_000 };
const ann = (ip: string, ...services: string[]): Announcement => ({
  ip,
  prefix: ip.includes(':') ? 128 : 32,
  family: ip.includes(':') ? 6 : 4,
  pool: 'p',
  services,
});
const byIp = (...a: Announcement[]) => new Map(a.map((x) => [x.ip, x]));
const ips = (a: readonly Announcement[]) => a.map((x) => x.ip).sort();

const four = [ann('192.0.2.1', 'a/one'), ann('192.0.2.2', 'a/two'), ann('192.0.2.3', 'a/three'), ann('2001:db8::4', 'a/four')];

test('no withdrawal, or a small one: applied at once', () => {
  for (const next of [four, four.slice(0, 2), four.slice(1), [...four, ann('192.0.2.9', 'b/new')]]) {
    const o = guard({ settings, state: GUARD_IDLE, current: byIp(...four), next, nowMs: 0 });
    assert.equal(o.holding, false);
    assert.deepEqual(ips(o.apply), ips(next));
  }
});

test('an empty list (broken RBAC) is held: additions go through, withdrawals wait', () => {
  const next = [ann('192.0.2.9', 'b/new')];
  const o = guard({ settings, state: GUARD_IDLE, current: byIp(...four), next, nowMs: 1000 });
  assert.equal(o.holding, true);
  assert.deepEqual(o.withdrawn, ['192.0.2.1', '192.0.2.2', '192.0.2.3', '2001:db8::4']);
  assert.deepEqual(ips(o.apply), ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.9', '2001:db8::4']);
  assert.equal(o.releaseAtMs, 61_000);
  // the kept announcements are the current ones, pool and Services included
  assert.deepEqual(o.apply.find((a) => a.ip === '192.0.2.1'), four[0]);
});

test('the same outcome persisting for the hold time is applied; before it, still held', () => {
  let state: GuardState = GUARD_IDLE;
  const run = (nowMs: number) => {
    const o = guard({ settings, state, current: byIp(...four), next: [], nowMs });
    state = o.state;
    return o;
  };
  assert.equal(run(0).holding, true);
  assert.equal(run(30_000).holding, true);
  assert.equal(run(59_999).holding, true);
  const released = run(60_000);
  assert.equal(released.holding, false);
  assert.equal(released.released, true);
  assert.deepEqual(released.apply, []);
  assert.deepEqual(state, GUARD_IDLE);
});

test('a different outcome restarts the hold; recovery clears it', () => {
  const a = guard({ settings, state: GUARD_IDLE, current: byIp(...four), next: [], nowMs: 0 });
  const b = guard({ settings, state: a.state, current: byIp(...four), next: [four[0]!], nowMs: 50_000 });
  assert.equal(b.holding, true);
  assert.equal(b.releaseAtMs, 110_000);
  const c = guard({ settings, state: b.state, current: byIp(...four), next: four, nowMs: 70_000 });
  assert.equal(c.holding, false);
  assert.deepEqual(c.state, GUARD_IDLE);
});

test('a single Service is never delayed, even dual-stack and even when it is everything', () => {
  const dual = [ann('192.0.2.1', 'a/web'), ann('2001:db8::1', 'a/web')];
  const o = guard({ settings, state: GUARD_IDLE, current: byIp(...dual), next: [], nowMs: 0 });
  assert.equal(o.holding, false);
  assert.deepEqual(o.apply, []);
  const one = guard({ settings, state: GUARD_IDLE, current: byIp(ann('192.0.2.1', 'a/x')), next: [], nowMs: 0 });
  assert.equal(one.holding, false);
});

test('adopted IPs with no known Service each count as their own', () => {
  const adopted = [ann('192.0.2.1'), ann('192.0.2.2')];
  const o = guard({ settings, state: GUARD_IDLE, current: byIp(...adopted), next: [], nowMs: 0 });
  assert.equal(o.holding, true);
});

test('the fraction is a strict bound and configurable', () => {
  const half = guard({ settings, state: GUARD_IDLE, current: byIp(...four), next: four.slice(2), nowMs: 0 });
  assert.equal(half.holding, false, 'exactly half is allowed at 0.5');
  const strict = guard({ settings: { ...settings, maxWithdrawFraction: 0.25 }, state: GUARD_IDLE, current: byIp(...four), next: four.slice(2), nowMs: 0 });
  assert.equal(strict.holding, true);
  const off = guard({ settings: { ...settings, maxWithdrawFraction: 1 }, state: GUARD_IDLE, current: byIp(...four), next: [], nowMs: 0 });
  assert.equal(off.holding, false, 'a fraction of 1 never holds');
  const zeroHold = guard({ settings: { ...settings, holdMs: 0 }, state: GUARD_IDLE, current: byIp(...four), next: [], nowMs: 5 });
  assert.equal(zeroHold.released, true);
});

test('nothing announced: nothing to guard', () => {
  const o = guard({ settings, state: GUARD_IDLE, current: new Map(), next: [], nowMs: 0 });
  assert.equal(o.holding, false);
});

test('with the withdrawn IPs given by the caller (a plan delta), the outcome is the same as computed from the whole lists', () => {
  const cases: [Announcement[], GuardState, number][] = [
    [four, GUARD_IDLE, 0],
    [four.slice(0, 2), GUARD_IDLE, 0],
    [four.slice(3), GUARD_IDLE, 0],
    [[ann('192.0.2.9', 'b/new')], GUARD_IDLE, 1000],
    [[], { heldKey: '192.0.2.1,192.0.2.2,192.0.2.3,2001:db8::4', sinceMs: 0 }, 60_000],
  ];
  for (const [next, state, nowMs] of cases) {
    const wanted = new Set(next.map((a) => a.ip));
    const withdrawn = four.map((a) => a.ip).filter((ip) => !wanted.has(ip)).reverse();
    const input = { settings, state, current: byIp(...four), next, nowMs };
    assert.deepEqual(guard({ ...input, withdrawn }), guard(input));
  }
});

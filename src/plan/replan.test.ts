// replan(): a plan derived from the last one and the Services that changed
// must deep-equal a plan made from scratch — after every step of random
// sequences of changes (Services added, changed, deleted; EndpointSlices
// changed or moved to another Service; Nodes, this one included, changing;
// agents dying and coming back; the config replaced), with shared IPs, bad
// IPs and every election. And planDelta names every IP whose announcement
// changed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EndpointSliceView, NodeView, ServiceKey, ServiceView, Snapshot } from '../cluster/snapshot.ts';
import type { Config } from '../config/index.ts';
import { changedServices, plan, planDelta, replan, type Plan } from './index.ts';
import { xorshift, type Rng } from '../../test/helpers/xorshift.ts';
import { config, ep, node, svc } from './testing/fixtures.ts';

/** xorshift32: a failure names its seed and step and replays. */
const rng = xorshift;

const KEYS = ['a/one', 'a/two', 'b/three', 'b/four', 'c/five', 'c/six', 'c/seven', 'd/eight'];
const NODE_NAMES = ['node-a', 'node-b', 'node-c', 'node-d'];
// Few addresses, so Services share them; some outside every pool, one invalid, one IPv6 written two ways.
const V4 = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '198.51.100.7', '203.0.113.9', 'not-an-ip'];
const V6 = ['2001:db8:1::1', '2001:db8:1:0::1', '2001:db8:2::5', '2001:db8:9::1'];
const CONFIGS = [
  '',
  '[announce]\nelection = "per-service"',
  '[announce]\nelection = "leader"',
  '[announce]\nexternal_ip = true\ncluster_ip = true\nrequire_endpoints = true',
  '[announce]\nelection = "per-service"\nrequire_node_ready = false',
].map((t) => config(t));

function randomService(r: Rng, key: ServiceKey): ServiceView {
  const ips = () => Array.from({ length: r.int(3) }, () => (r.chance(0.6) ? r.pick(V4) : r.pick(V6)));
  const lb = ips().map((ip) => (r.chance(0.1) ? { ip, ipMode: 'Proxy' as const } : ip));
  const annotations: Record<string, string> = {};
  if (r.chance(0.1)) annotations['kube-lb-agent.io/advertise-loadbalancer-ip'] = r.pick(['false', 'true', 'maybe']);
  if (r.chance(0.05)) annotations['kube-router.io/service.local'] = r.pick(['true', 'nope']);
  return svc(key, {
    type: r.chance(0.9) ? 'LoadBalancer' : 'ClusterIP',
    lb,
    external: r.chance(0.3) ? ips() : [],
    cluster: r.chance(0.3) ? ips() : [],
    class: r.chance(0.1) ? 'other' : null,
    policy: r.chance(0.5) ? 'Local' : 'Cluster',
    ...(r.chance(0.2) ? { internal: r.pick(['Cluster', 'Local'] as const) } : {}),
    annotations,
  });
}

let sliceSerial = 0;
function randomSlice(r: Rng, key: ServiceKey): EndpointSliceView {
  const [namespace, name] = key.split('/') as [string, string];
  const endpoints = Array.from({ length: r.int(4) }, () =>
    ep(r.chance(0.1) ? null : r.pick(NODE_NAMES), r.chance(0.3) ? { ready: false, serving: r.chance(0.5), terminating: r.chance(0.5) } : {}),
  );
  return { namespace, name: `${name}-${sliceSerial++}`, service: key, addressType: r.pick(['IPv4', 'IPv6', 'IPv6', 'FQDN'] as const), endpoints };
}

function randomNode(r: Rng, name: string): NodeView {
  const labels: Record<string, string> = r.chance(0.15) ? { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {};
  return node(name, { ready: r.pick(['True', 'True', 'True', 'False', 'Unknown'] as const), networkUnavailable: r.chance(0.1) ? 'True' : 'False', labels });
}

/** A cluster as the planner sees it, kept as plain maps the test edits; `snapshot()` freezes a copy. */
class World {
  services = new Map<ServiceKey, ServiceView>();
  /** Slices by their own name. */
  slices = new Map<string, EndpointSliceView>();
  nodes = new Map<string, NodeView>();
  live: Set<string> | null = null;
  synced = true;

  snapshot(): Snapshot {
    const endpointSlices = new Map<ServiceKey, EndpointSliceView[]>();
    for (const s of this.slices.values()) {
      const list = endpointSlices.get(s.service);
      if (list) list.push(s);
      else endpointSlices.set(s.service, [s]);
    }
    for (const list of endpointSlices.values()) list.sort((a, b) => (a.name < b.name ? -1 : 1));
    return { synced: this.synced, services: new Map(this.services), endpointSlices, nodes: new Map(this.nodes), agentLeases: new Map() };
  }
}

/** One random change; returns the Services it touches (by object or slices). */
function mutate(r: Rng, w: World, cfg: { value: Config }): Set<ServiceKey> {
  const changed = new Set<ServiceKey>();
  const kind = r.int(100);
  if (kind < 35) {
    const key = r.pick(KEYS);
    if (w.services.has(key) && r.chance(0.25)) w.services.delete(key);
    else w.services.set(key, randomService(r, key));
    changed.add(key);
  } else if (kind < 65) {
    const existing = [...w.slices.values()];
    if (existing.length > 0 && r.chance(0.5)) {
      const s = r.pick(existing);
      changed.add(s.service);
      if (r.chance(0.3)) w.slices.delete(s.name);
      else {
        // Changed in place, sometimes moved to another Service (its label rewritten).
        const moved = r.chance(0.2) ? r.pick(KEYS) : s.service;
        const fresh = randomSlice(r, moved);
        w.slices.set(s.name, { ...fresh, name: s.name });
        changed.add(moved);
      }
    } else {
      const s = randomSlice(r, r.pick(KEYS));
      w.slices.set(s.name, s);
      changed.add(s.service);
    }
  } else if (kind < 80) {
    const name = r.pick(NODE_NAMES);
    if (w.nodes.has(name) && r.chance(0.15)) w.nodes.delete(name);
    else w.nodes.set(name, randomNode(r, name));
  } else if (kind < 92) {
    w.live = r.chance(0.2) ? null : new Set(NODE_NAMES.filter(() => r.chance(0.7)));
  } else if (kind < 96) {
    cfg.value = r.pick(CONFIGS);
  } else {
    w.synced = !r.chance(0.3);
  }
  return changed;
}

function check(seed: number, steps: number): void {
  const r = rng(seed);
  const w = new World();
  for (const n of NODE_NAMES) w.nodes.set(n, node(n));
  for (const key of KEYS) if (r.chance(0.6)) w.services.set(key, randomService(r, key));
  for (let i = 0; i < 6; i++) {
    const s = randomSlice(r, r.pick(KEYS));
    w.slices.set(s.name, s);
  }
  const cfg = { value: r.pick(CONFIGS) };
  const nodeName = r.pick(NODE_NAMES);
  let previous: Plan = plan({ config: cfg.value, snapshot: w.snapshot(), nodeName, liveAgents: w.live });
  let changed = new Set<ServiceKey>();
  for (let step = 0; step < steps; step++) {
    for (const k of mutate(r, w, cfg)) changed.add(k);
    // Sometimes two or three changes land between two cycles.
    if (r.chance(0.3)) continue;
    const input = { config: cfg.value, snapshot: w.snapshot(), nodeName, liveAgents: w.live };
    // Sometimes the changed Services are found by sweeping the snapshot instead (the agent's periodic check).
    if (r.chance(0.25)) changed = changedServices(previous, input.snapshot) ?? changed;
    const derived = replan(input, previous, changed);
    const full = plan(input);
    assert.deepStrictEqual(derived, full, `seed ${seed}, step ${step}: replan differs from a full plan (changed: ${[...changed].join(', ')})`);
    const delta = planDelta(derived);
    if (delta) {
      assert.equal(delta.base.deref(), previous);
      const before = new Map(previous.announcements.map((a) => [a.ip, a]));
      const after = new Map(derived.announcements.map((a) => [a.ip, a]));
      for (const [ip, a] of after) if (before.get(ip) !== a) assert.ok(delta.announcements.get(ip) === a, `seed ${seed}, step ${step}: ${ip} changed but is not in the delta`);
      for (const ip of before.keys()) if (!after.has(ip)) assert.ok(delta.announcements.has(ip) && delta.announcements.get(ip) === undefined, `seed ${seed}, step ${step}: ${ip} withdrawn but not in the delta`);
      for (const ip of delta.announcements.keys()) assert.ok(before.get(ip) !== after.get(ip), `seed ${seed}, step ${step}: ${ip} is in the delta but its announcement is the same object`);
    }
    previous = derived;
    changed = new Set();
  }
}

describe('replan: derived from the last plan and the changed Services', () => {
  test('deep-equals a full plan after every step of 400 random sequences of changes', () => {
    for (let seed = 1; seed <= 400; seed++) check(seed, 40);
  });

  test('without a usable previous plan or with changed = null, plans from scratch', () => {
    const cfg = config('[announce]\nrequire_endpoints = false');
    const s1: Snapshot = { synced: true, services: new Map([['a/x', svc('a/x', { lb: ['192.0.2.1'] })]]), endpointSlices: new Map(), nodes: new Map([['node-a', node('node-a')]]), agentLeases: new Map() };
    const p1 = plan({ config: cfg, snapshot: s1, nodeName: 'node-a' });
    assert.equal(planDelta(p1), undefined);
    assert.deepEqual(changedServices(p1, s1), new Set(), 'the same snapshot: nothing changed');
    assert.equal(changedServices({ ...p1 }, s1), null, 'a copy carries no state');
    const s2: Snapshot = { ...s1, services: new Map([['a/x', svc('a/x', { lb: ['192.0.2.2'] })]]) };
    // A plan that did not come from plan()/replan() (e.g. a copy the caller edited) carries no state.
    const copy: Plan = { ...p1 };
    const p2 = replan({ config: cfg, snapshot: s2, nodeName: 'node-a' }, copy, new Set(['a/x']));
    assert.equal(planDelta(p2), undefined);
    assert.deepEqual(p2.announcements.map((a) => a.ip), ['192.0.2.2']);
    const p3 = replan({ config: cfg, snapshot: s1, nodeName: 'node-a' }, p2, null);
    assert.equal(planDelta(p3), undefined);
    assert.deepStrictEqual(p3, p1);
    // With the same previous used twice, each result is right: the previous plan is left as it was.
    const p4 = replan({ config: cfg, snapshot: s2, nodeName: 'node-a' }, p1, new Set(['a/x']));
    const p5 = replan({ config: cfg, snapshot: s2, nodeName: 'node-a' }, p1, new Set(['a/x']));
    assert.deepStrictEqual(p4, p5);
    assert.deepEqual([...planDelta(p4)!.announcements.keys()], ['192.0.2.1', '192.0.2.2']);
    assert.deepStrictEqual(p1, plan({ config: cfg, snapshot: s1, nodeName: 'node-a' }));
  });

  test('an unchanged announcement keeps its identity', () => {
    const cfg = config('[announce]\nrequire_endpoints = false');
    const base: Snapshot = {
      synced: true,
      services: new Map([
        ['a/x', svc('a/x', { lb: ['192.0.2.1'] })],
        ['a/y', svc('a/y', { lb: ['192.0.2.2'] })],
      ]),
      endpointSlices: new Map(),
      nodes: new Map([['node-a', node('node-a')]]),
      agentLeases: new Map(),
    };
    const p1 = plan({ config: cfg, snapshot: base, nodeName: 'node-a' });
    const next: Snapshot = { ...base, services: new Map([...base.services, ['a/y', svc('a/y', { lb: ['192.0.2.3'] })]]) };
    const p2 = replan({ config: cfg, snapshot: next, nodeName: 'node-a' }, p1, new Set(['a/y']));
    assert.equal(p2.announcements[0], p1.announcements[0]);
    assert.deepEqual([...planDelta(p2)!.announcements.keys()].sort(), ['192.0.2.2', '192.0.2.3']);
  });

  test('many Services changed at once (the sorted lists rebuilt rather than edited) still deep-equals a full plan', () => {
    const cfg = config('[announce]\nrequire_endpoints = false');
    const make = (shift: number) =>
      new Map(
        Array.from({ length: 1100 }, (_, i) => [`a/s${i}`, svc(`a/s${i}`, { lb: [`192.0.2.${(i + shift) % 250}`, `2001:db8:1::${(i + shift).toString(16)}`] })] as const),
      );
    const base: Snapshot = { synced: true, services: make(0), endpointSlices: new Map(), nodes: new Map([['node-a', node('node-a')]]), agentLeases: new Map() };
    const p1 = plan({ config: cfg, snapshot: base, nodeName: 'node-a' });
    const next: Snapshot = { ...base, services: new Map([...make(7)].filter(([k]) => k !== 'a/s3')) };
    const p2 = replan({ config: cfg, snapshot: next, nodeName: 'node-a' }, p1, new Set(base.services.keys()));
    assert.ok(planDelta(p2));
    assert.deepStrictEqual(p2, plan({ config: cfg, snapshot: next, nodeName: 'node-a' }));
  });

  test('a plan does not keep the plans it was derived from alive (no chain in memory)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const cfg = config('[announce]\nrequire_endpoints = false');
    const snap = (i: number): Snapshot => ({
      synced: true,
      services: new Map([['a/x', svc('a/x', { lb: [`192.0.2.${i % 200}`] })]]),
      endpointSlices: new Map(),
      nodes: new Map([['node-a', node('node-a')]]),
      agentLeases: new Map(),
    });
    let last = plan({ config: cfg, snapshot: snap(0), nodeName: 'node-a' });
    const first = new WeakRef(last);
    for (let i = 1; i < 20; i++) last = replan({ config: cfg, snapshot: snap(i), nodeName: 'node-a' }, last, new Set(['a/x']));
    // WeakRefs are cleared only after the current job: yield before collecting.
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(first.deref(), undefined, 'the first plan was collected');
  });
});

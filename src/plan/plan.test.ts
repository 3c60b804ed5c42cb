// The planner as a whole: the sync contract, output order, determinism,
// purity, the reasons table, and start-up events not being lost.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EndpointSliceView, NodeView, ServiceView, Snapshot } from '../cluster/snapshot.ts';
import { plan, PlanMemo, REASONS, reasonTable, type Reason } from './index.ts';
import { AGENT_REASONS } from './reasons.ts';
import { decisionLines, planCases, runCase, type PlanCase } from './testing/cases.ts';
import { config, ep, node, NODES, on, slice, snapshot, svc } from './testing/fixtures.ts';

const WEB = 'default/web';

describe('an unsynced snapshot', () => {
  const services = [
    svc(WEB, { lb: ['192.0.2.10'] }),
    svc('default/other-class', { lb: ['192.0.2.11'], class: 'other' }),
    svc('default/bad', { lb: ['garbage'] }),
  ];
  planCases([
    {
      name: 'announces nothing and marks every decision waiting-for-sync',
      synced: false,
      services,
      slices: [slice(WEB, on('node-a'))],
      decisions: [
        'default/bad garbage loadbalancer waiting-for-sync',
        'default/other-class 192.0.2.11 loadbalancer waiting-for-sync',
        `${WEB} 192.0.2.10 loadbalancer waiting-for-sync`,
      ],
      announced: [],
    },
    {
      name: 'does not claim this node is unknown (the Node list may not be in yet)',
      synced: false,
      node: 'node-z',
      services,
      decisions: [
        'default/bad garbage loadbalancer waiting-for-sync',
        'default/other-class 192.0.2.11 loadbalancer waiting-for-sync',
        `${WEB} 192.0.2.10 loadbalancer waiting-for-sync`,
      ],
      warnings: ['invalid-ip'],
    },
  ]);
  test('says so: synced is false, so the caller keeps what the kernel holds', () => {
    assert.equal(runCase({ name: '', synced: false, services }).synced, false);
    assert.equal(runCase({ name: '', services }).synced, true);
  });
});

describe('order', () => {
  planCases([
    {
      name: 'decisions by Service, then address (IPv4 first, numerically), then kind; announcements by family and address',
      config: '[announce]\nexternal_ip = true\ncluster_ip = true',
      services: [
        svc('b/z', { lb: ['2001:db8:1::a', '192.0.2.10', '192.0.2.9'], external: ['192.0.2.9'], cluster: ['198.51.100.1'] }),
        svc('a/y', { lb: ['2001:db8:1::9', 'zz-bad', '192.0.2.100'] }),
      ],
      slices: [slice('b/z', on('node-b')), slice('b/z', on('node-b'), 'IPv6'), slice('a/y', on('node-b')), slice('a/y', on('node-b'), 'IPv6')],
      decisions: [
        'a/y 192.0.2.100 loadbalancer announced',
        'a/y 2001:db8:1::9 loadbalancer announced',
        'a/y zz-bad loadbalancer invalid-ip',
        'b/z 192.0.2.9 loadbalancer announced',
        'b/z 192.0.2.9 external announced',
        'b/z 192.0.2.10 loadbalancer announced',
        'b/z 198.51.100.1 cluster announced',
        'b/z 2001:db8:1::a loadbalancer announced',
      ],
      announced: [
        '192.0.2.9/32 main b/z',
        '192.0.2.10/32 main b/z',
        '192.0.2.100/32 main a/y',
        '198.51.100.1/32 edge b/z',
        '2001:db8:1::9/128 main a/y',
        '2001:db8:1::a/128 main b/z',
      ],
    },
  ]);

  test('warnings: node-wide first, then by Service', () => {
    const p = runCase({ name: '', node: 'nobody', services: [svc('b/x', { lb: ['bad'] }), svc('a/x', { lb: ['203.0.113.1'] })] });
    assert.deepEqual(
      p.warnings.map((w) => `${w.service ?? '-'} ${w.code}`),
      ['- node-unknown', 'a/x ip-not-in-pool', 'b/x invalid-ip'],
    );
    assert.match(p.warnings[0]!.message, /node "nobody" is not among the cluster's 3 Nodes/);
  });
});

/** A cluster with a bit of everything, for the whole-plan properties. */
function mixedSnapshot(reverse = false): Snapshot {
  const services: ServiceView[] = [];
  const slices: EndpointSliceView[] = [];
  for (let i = 0; i < 40; i++) {
    const key = `ns${i % 3}/svc${i}`;
    const shared = i % 10 === 0 ? '192.0.2.200' : `192.0.2.${i + 1}`;
    services.push(svc(key, { lb: [shared, `2001:db8:1::${i + 1}`], policy: i % 2 ? 'Local' : 'Cluster', external: [`198.51.100.${i + 1}`] }));
    slices.push(slice(key, on(NODES[i % 3]!.name)), slice(key, [ep(NODES[(i + 1) % 3]!.name, { ready: i % 4 === 0 })], 'IPv6'));
  }
  if (reverse) {
    services.reverse();
    slices.reverse();
  }
  return snapshot({ services, slices, nodes: reverse ? [...NODES].reverse() : NODES });
}

describe('determinism and purity', () => {
  const cfg = config('[announce]\nexternal_ip = true\nelection = "per-service"');

  test('the same input gives the same plan, whatever the order of the maps', () => {
    const a = plan({ config: cfg, snapshot: mixedSnapshot(), nodeName: 'node-a' });
    const b = plan({ config: cfg, snapshot: mixedSnapshot(), nodeName: 'node-a' });
    const c = plan({ config: cfg, snapshot: mixedSnapshot(true), nodeName: 'node-a' });
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.ok(a.announcements.length > 0 && a.decisions.length === 120);
  });

  test('the input is left untouched (it may be frozen)', () => {
    const snap = mixedSnapshot();
    const before = JSON.stringify(snap, (_, v) => (v instanceof Map ? [...v] : v));
    for (const s of snap.services.values()) Object.freeze(s);
    Object.freeze(snap);
    plan({ config: cfg, snapshot: snap, nodeName: 'node-b', liveAgents: new Set(['node-a', 'node-b']) });
    assert.equal(JSON.stringify(snap, (_, v) => (v instanceof Map ? [...v] : v)), before);
  });
});

describe('kube-router #1916: events during start-up are not lost', () => {
  type Event =
    | { kind: 'service'; op: 'set' | 'delete'; value: ServiceView }
    | { kind: 'slices'; op: 'set' | 'delete'; key: string; value: EndpointSliceView[] }
    | { kind: 'node'; op: 'set'; value: NodeView };

  /** What an informer cache does with events: the state after them, nothing else. */
  function apply(events: readonly Event[], synced: boolean): Snapshot {
    const services = new Map<string, ServiceView>();
    const endpointSlices = new Map<string, EndpointSliceView[]>();
    const nodes = new Map<string, NodeView>();
    for (const e of events) {
      if (e.kind === 'service') e.op === 'set' ? services.set(e.value.key, e.value) : services.delete(e.value.key);
      else if (e.kind === 'slices') e.op === 'set' ? endpointSlices.set(e.key, e.value) : endpointSlices.delete(e.key);
      else nodes.set(e.value.name, e.value);
    }
    return { synced, services, endpointSlices, nodes, agentLeases: new Map() };
  }

  const A = svc('app/a', { lb: ['192.0.2.1'], policy: 'Local' });
  const events: Event[] = [
    { kind: 'node', op: 'set', value: node('node-a', { ready: 'False' }) },
    { kind: 'service', op: 'set', value: A },
    { kind: 'service', op: 'set', value: svc('app/b', { lb: ['192.0.2.2'] }) },
    { kind: 'slices', op: 'set', key: 'app/a', value: [slice('app/a', on('node-b'))] },
    { kind: 'node', op: 'set', value: node('node-b') },
    { kind: 'slices', op: 'set', key: 'app/a', value: [slice('app/a', on('node-a'))] }, // the pod lands here
    { kind: 'service', op: 'set', value: svc('app/b', { lb: ['192.0.2.3'] }) }, // b's IP changes
    { kind: 'slices', op: 'set', key: 'app/b', value: [slice('app/b', on('node-b'))] },
    { kind: 'service', op: 'set', value: svc('app/c', { lb: ['192.0.2.4'] }) },
    { kind: 'service', op: 'delete', value: svc('app/c') }, // c comes and goes
    { kind: 'node', op: 'set', value: node('node-a') }, // this node turns Ready last
  ];
  const final: Snapshot = snapshot({
    services: [A, svc('app/b', { lb: ['192.0.2.3'] })],
    slices: [slice('app/a', on('node-a')), slice('app/b', on('node-b'))],
    nodes: [node('node-a'), node('node-b')],
  });
  const cfg = config();
  const run = (s: Snapshot) => plan({ config: cfg, snapshot: s, nodeName: 'node-a' });

  test('while unsynced, nothing is announced and nothing is claimed absent', () => {
    for (let n = 0; n <= events.length; n++) {
      const p = run(apply(events.slice(0, n), false));
      assert.deepEqual(p.announcements, []);
      assert.ok(p.decisions.every((d) => d.reason === 'waiting-for-sync'));
    }
  });

  test('the first synced plan equals the plan of the final state', () => {
    const p = run(apply(events, true));
    assert.deepEqual(p, run(final));
    assert.deepEqual(
      p.announcements.map((a) => a.ip),
      ['192.0.2.1', '192.0.2.3'],
    );
  });

  test('…whatever order the kinds of object were listed in', () => {
    const byKind = (k: Event['kind']) => events.filter((e) => e.kind === k);
    const reordered = [...byKind('slices'), ...byKind('node'), ...byKind('service')];
    assert.deepEqual(run(apply(reordered, true)), run(final));
  });
});

describe('reasons', () => {
  test('each has a one-line meaning, and the table lists them all once', () => {
    assert.deepEqual(
      reasonTable.map(([r]) => r),
      Object.keys(REASONS),
    );
    for (const [reason, meaning] of reasonTable) {
      assert.match(reason, /^[a-z]+(-[a-z]+)*$/);
      assert.ok(meaning.length > 10 && !meaning.includes('\n'), reason);
    }
  });

  test('every reason in the table is reachable', () => {
    const ready = [slice(WEB, on('node-b'))];
    const scenarios: PlanCase[] = [
      { name: '', services: [svc(WEB, { lb: ['192.0.2.1', '203.0.113.1', 'x', { ip: '192.0.2.2', ipMode: 'Proxy' }] })], slices: ready },
      { name: '', services: [svc(WEB, { lb: ['192.0.2.1'], class: 'other' })] },
      { name: '', services: [svc(WEB, { lb: ['192.0.2.1'], annotations: { 'kube-lb-agent.io/advertise-loadbalancer-ip': 'false' } })] },
      { name: '', services: [svc(WEB, { external: ['192.0.2.1'], annotations: { 'kube-lb-agent.io/advertise-external-ip': 'true' } })] },
      { name: '', synced: false, services: [svc(WEB, { lb: ['192.0.2.1'] })] },
      { name: '', node: 'node-z', services: [svc(WEB, { lb: ['192.0.2.1'] })] },
      { name: '', nodes: [node('node-a', { ready: 'False' })], services: [svc(WEB, { lb: ['192.0.2.1'] })] },
      { name: '', nodes: [node('node-a', { networkUnavailable: 'True' })], services: [svc(WEB, { lb: ['192.0.2.1'] })] },
      { name: '', nodes: [node('node-a', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } })], services: [svc(WEB, { lb: ['192.0.2.1'] })] },
      { name: '', config: '[node]\nselector = "edge"', services: [svc(WEB, { lb: ['192.0.2.1'] })] },
      { name: '', services: [svc(WEB, { lb: ['192.0.2.1'] })] },
      { name: '', services: [svc(WEB, { lb: ['192.0.2.1'], policy: 'Local' }), svc('x/y', { lb: ['192.0.2.1'], policy: 'Local' })], slices: [...ready, slice('x/y', on('node-a'))] },
      { name: '', config: '[announce]\nelection = "leader"', services: [svc(WEB, { lb: ['192.0.2.1'] })], slices: ready },
    ];
    const seen = new Set<Reason>(scenarios.flatMap((s) => runCase(s).decisions.map((d) => d.reason)));
    assert.deepEqual([...seen].sort(), (Object.keys(REASONS) as Reason[]).filter((r) => !AGENT_REASONS.includes(r)).sort());
    assert.deepEqual(decisionLines(runCase(scenarios[12]!)), [`${WEB} 192.0.2.1 loadbalancer not-elected winner=node-c`]);
  });
});

describe('PlanMemo', () => {
  const steps: Snapshot[] = [
    snapshot({ services: [svc(WEB, { lb: ['192.0.2.10', '2001:db8:1::10'] }), svc('a/bad', { lb: ['nope'] })], slices: [slice(WEB, on('node-b')), slice(WEB, on('node-b'), 'IPv6')] }),
    snapshot({ services: [svc(WEB, { lb: ['192.0.2.11', '2001:DB8:1::10'] }), svc('a/bad', { lb: ['nope'] })], slices: [slice(WEB, on('node-b')), slice(WEB, on('node-b'), 'IPv6')] }),
    snapshot({ services: [svc(WEB, { lb: ['192.0.2.10'] })], slices: [slice(WEB, on('node-b'))] }),
  ];

  test('plans are the same with a memo kept across plans as without', () => {
    const cfg = config();
    const memo = new PlanMemo();
    for (const s of [...steps, ...steps]) {
      assert.deepEqual(plan({ config: cfg, snapshot: s, nodeName: 'node-a', memo }), plan({ config: cfg, snapshot: s, nodeName: 'node-a' }));
    }
  });

  test('a new config with other pools is not answered from the memo', () => {
    const memo = new PlanMemo();
    const before = plan({ config: config(), snapshot: steps[2]!, nodeName: 'node-a', memo });
    assert.deepEqual(decisionLines(before), [`${WEB} 192.0.2.10 loadbalancer announced`]);
    const other = config('', '[pools.other]\ncidrs = ["203.0.113.0/24"]');
    const after = plan({ config: other, snapshot: steps[2]!, nodeName: 'node-a', memo });
    assert.deepEqual(decisionLines(after), [`${WEB} 192.0.2.10 loadbalancer ip-not-in-pool`]);
  });
});

// plan() over a large cluster held in memory: 10,000 Services, 10,000
// EndpointSlices, 100 Nodes — mixed Local/Cluster, IPv4, IPv6 and dual-stack,
// 1 % shared IPs, 10 % with no endpoints. Times a full plan (median of RUNS)
// under each election, against a baseline measured in the same run: one bare
// pass over the same snapshot (every Service, every endpoint), the floor any
// planner pays. Then what the agent's loop pays per event: replan() from the
// last plan with one Service changed, and with 1 % (100) changed, against a
// full plan of the same snapshot. Reports heap used after GC for the
// snapshot, a plan, and a plan with the state replan() keeps.
// Usage: npm run bench:plan   (node --expose-gc bench/plan.ts; RUNS=N to change)

import os from 'node:os';
import type { EndpointSliceView, ServiceView, Snapshot } from '../src/cluster/snapshot.ts';
import type { Election } from '../src/config/index.ts';
import { plan, PlanMemo, replan, type Plan } from '../src/plan/index.ts';
import { config, ep, node, slice, snapshot, svc } from '../src/plan/testing/fixtures.ts';

const SERVICES = 10_000;
const NODES = 100;
const RUNS = Number(process.env.RUNS ?? 15);
const gc = globalThis.gc;
if (!gc) {
  console.error('run with --expose-gc: node --expose-gc bench/plan.ts');
  process.exit(1);
}

const POOLS = '[pools.bench]\ncidrs = ["10.0.0.0/16", "fd00:10::/64"]';
const v4 = (i: number) => `10.0.${i >> 8}.${i & 255}`;
const v6 = (i: number) => `fd00:10::${i.toString(16)}`;
const nodeName = (i: number) => `node-${String(i % NODES).padStart(3, '0')}`;

function build(): Snapshot {
  const services: ServiceView[] = [];
  const slices: EndpointSliceView[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const key = `ns${i % 50}/svc-${i}`;
    // Every 100th Service shares the IP of the one before it.
    const n = i % 100 === 99 ? i - 1 : i;
    const kind = i % 10; // 0: dual-stack, 1: no endpoints, 2: IPv6 only, else IPv4 only
    const lb = kind === 0 ? [v4(n), v6(n)] : kind === 2 ? [v6(n)] : [v4(n)];
    const cluster = kind === 0 ? [`10.96.${i >> 8}.${i & 255}`, `fd00:96::${i.toString(16)}`] : [`10.96.${i >> 8}.${i & 255}`];
    services.push(svc(key, { lb, cluster, policy: i % 2 ? 'Local' : 'Cluster' }));
    if (kind === 1) continue;
    const endpoints = [0, 1, 2].map((k) =>
      ep(nodeName(i * 7 + k * 13), k === 2 && i % 3 === 0 ? { ready: false, serving: true, terminating: true } : {}),
    );
    if (kind !== 2) slices.push(slice(key, endpoints));
    if (kind === 0 || kind === 2) slices.push(slice(key, endpoints, 'IPv6'));
  }
  const nodes = Array.from({ length: NODES }, (_, i) => node(nodeName(i), { labels: { 'kubernetes.io/hostname': nodeName(i) } }));
  return snapshot({ services, slices, nodes });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** The floor: touch every Service and every endpoint once. */
function baseline(s: Snapshot): number {
  let n = 0;
  for (const service of s.services.values()) {
    n += service.ingress.length;
    for (const sl of s.endpointSlices.get(service.key) ?? []) for (const e of sl.endpoints) if (e.ready !== false) n++;
  }
  return n;
}

/** Wall time and this process's CPU time, in ms: on a busy machine the CPU time is the steadier figure. */
function time(f: () => unknown): [number, number] {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return [wall, (c.user + c.system) / 1e3];
}

const heap0 = heapAfterGc();
let snap: Snapshot | undefined = build();
const heapSnapshot = heapAfterGc() - heap0;
const sliceCount = [...snap.endpointSlices.values()].reduce((n, l) => n + l.length, 0);
const self = nodeName(7);
const live = new Set(Array.from({ length: NODES }, (_, i) => nodeName(i)));
const cfgAll = config('', POOLS);

// Heap: what one plan's result holds, and what a memo kept between plans holds.
let kept: Plan | undefined = plan({ config: cfgAll, snapshot: snap, nodeName: self, liveAgents: live });
const heapPlan = heapAfterGc() - heap0 - heapSnapshot;
const sizes = `${kept.decisions.length} decisions, ${kept.announcements.length} announcements, ${kept.warnings.length} warnings`;
kept = undefined;
let heldMemo: PlanMemo | undefined = new PlanMemo();
plan({ config: cfgAll, snapshot: snap, nodeName: self, liveAgents: live, memo: heldMemo });
const heapMemo = heapAfterGc() - heap0 - heapSnapshot;
heldMemo = undefined;

const cases: [string, () => unknown, (() => void)?][] = [['baseline: one pass over the snapshot', () => baseline(snap!)]];
for (const election of ['all', 'per-service', 'leader'] satisfies Election[]) {
  const cfg = config(`[announce]\nelection = "${election}"`, POOLS);
  cases.push([`plan, election = ${election}`, () => plan({ config: cfg, snapshot: snap!, nodeName: self, liveAgents: live })]);
}
// The agent's loop keeps a PlanMemo, so IPs unchanged since the last plan are not parsed again.
const memo = new PlanMemo();
cases.push(['plan, election = all, memo kept', () => plan({ config: cfgAll, snapshot: snap!, nodeName: self, liveAgents: live, memo })]);
// Event-sized work: Services moved to a new IP, each replan derived from the last (as the loop does).
let moveSerial = 0;
function moved(base: Snapshot, count: number): { next: Snapshot; changed: Set<string> } {
  const services = new Map(base.services);
  const changed = new Set<string>();
  for (let k = 0; k < count; k++) {
    const i = (moveSerial++ * 7919) % SERVICES;
    const key = `ns${i % 50}/svc-${i}`;
    const old = services.get(key)!;
    services.set(key, { ...old, ingress: [{ ip: `10.0.${200 + ((moveSerial >> 8) & 31)}.${moveSerial & 255}`, ipMode: 'VIP' }] });
    changed.add(key);
  }
  return { next: { ...base, services }, changed };
}
for (const count of [1, 100]) {
  let last = plan({ config: cfgAll, snapshot: snap!, nodeName: self, liveAgents: live });
  let current = snap!;
  let pending = moved(current, count);
  cases.push([
    `replan, ${count === 1 ? 'one Service changed' : `${count} Services changed`}`,
    () => {
      last = replan({ config: cfgAll, snapshot: pending.next, nodeName: self, liveAgents: live }, last, pending.changed);
      current = pending.next;
    },
    // Untimed: the changed snapshot (the cluster view's work, not the planner's).
    () => (pending = moved(current, count)),
  ]);
}
const samples = new Map<string, [number, number][]>();
for (const [, f, prepare] of cases) {
  for (let i = 0; i < 3; i++) {
    prepare?.();
    f(); // warm up
  }
}
for (let r = 0; r < RUNS; r++) {
  // Interleaved so drift in machine load hits every case alike.
  for (const [name, f, prepare] of cases) {
    const list = samples.get(name) ?? [];
    prepare?.();
    list.push(time(f));
    samples.set(name, list);
  }
}
snap = undefined;

const medians = (name: string) => [0, 1].map((i) => median(samples.get(name)!.map((s) => s[i]!))) as [number, number];
const [baseWall] = medians(cases[0]![0]);
const load = os.loadavg()[0]!.toFixed(1);
console.log(`${SERVICES} Services, ${sliceCount} EndpointSlices, ${NODES} Nodes; ${RUNS} runs each, medians (node ${process.version}, ${os.availableParallelism()} CPUs, load ${load}):`);
console.log(`  ${''.padEnd(38)} ${'wall'.padStart(9)} ${'cpu'.padStart(9)}  ×baseline`);
for (const [name] of cases) {
  const [wall, cpu] = medians(name);
  console.log(`  ${name.padEnd(38)} ${wall.toFixed(1).padStart(6)} ms ${cpu.toFixed(1).padStart(6)} ms  ×${(wall / baseWall).toFixed(1)}`);
}
console.log(`heap used after GC: snapshot ${mb(heapSnapshot)}; one plan's result with the state replan() keeps (election = all: ${sizes}) ${mb(heapPlan)}; a kept memo ${mb(heapMemo)}`);

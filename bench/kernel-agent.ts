// The agent's side of bench/kernel-reconcile.ts, run inside a fresh network
// namespace (kube-lb0 exists, table 198 empty): the real reconciler with its
// monitor, as the agent runs it. Prints one JSON line of figures (ms are
// in-process: from the reconcile call to its promise resolving).
// Usage: node bench/kernel-agent.ts ROUTES_PER_FAMILY SAMPLES
// With KLA_PROFILE=file: a CPU profile of the empty → full reconcile alone
// (inspector Profiler around the call), written as a .cpuprofile.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseConfig } from '../src/config/index.ts';
import { desiredState, KernelReconciler, type AnnouncedIp, type KernelDesired, type KernelLog } from '../src/kernel/index.ts';

const PER_FAMILY = Number(process.argv[2] ?? 10_000);
const SAMPLES = Number(process.argv[3] ?? 50);
const quiet: KernelLog = { debug() {}, info() {}, warn() {}, error() {} };
const config = parseConfig('[routing]\nmethod = "routes"\n[interface]\nkind = "bridge"\n[pools.bench]\ncidrs = ["10.0.0.0/8", "fd00:10::/64"]\n', 'bench.toml');
const v4 = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const v6 = (i: number) => `fd00:10::${i.toString(16)}`;
const announcement = (family: 4 | 6, i: number): AnnouncedIp => ({ ip: family === 4 ? v4(i) : v6(i), family, prefix: family === 4 ? 32 : 128, pool: 'bench' });

const base: AnnouncedIp[] = [];
for (let i = 0; i < PER_FAMILY; i++) base.push(announcement(4, i));
for (let i = 0; i < PER_FAMILY; i++) base.push(announcement(6, i));

const rssStart = process.memoryUsage().rss;
const rec = await KernelReconciler.start({
  settings: { interfaceName: 'kube-lb0', interfaceKind: 'bridge', table: 198, protocol: 201, prefixRouteInMain: false, timeoutMs: 10_000 },
  log: quiet,
});

// Empty table → all routes.
let t0 = performance.now();
let current: KernelDesired = desiredState(base, config).desired;
const desiredMs = performance.now() - t0;
const profile = process.env.KLA_PROFILE;
const session = profile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
}
const cpu0 = process.cpuUsage();
t0 = performance.now();
const full = await rec.reconcile(current);
const fullMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const fullCpuMs = (cpu.user + cpu.system) / 1000;
if (session) {
  const { profile: p } = await session.post('Profiler.stop');
  writeFileSync(profile!, JSON.stringify(p));
  session.disconnect();
}
await rec.whenIdle();
const settledMs = performance.now() - t0;
const afterFull = { ...rec.stats };
const peakRssFull = process.resourceUsage().maxRSS * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

/** Reconcile `list`, derived from the current state; returns [desiredState ms, reconcile ms, report]. */
async function step(list: AnnouncedIp[]) {
  const a = performance.now();
  const next = desiredState(list, config, current).desired;
  const b = performance.now();
  const report = await rec.reconcile(next);
  const c = performance.now();
  current = next;
  await rec.whenIdle();
  return { desiredMs: b - a, reconcileMs: c - b, report };
}

// One route changed with all in place: swap one IPv4 announcement for another.
const one: number[] = [];
const oneDesired: number[] = [];
let oneReport;
let list = base;
for (let k = 0; k < SAMPLES; k++) {
  list = list.slice();
  list[k % PER_FAMILY] = announcement(4, PER_FAMILY + 1 + k);
  const r = await step(list);
  one.push(r.reconcileMs);
  oneDesired.push(r.desiredMs);
  oneReport = r.report;
}

// 1 % changed: swap 1 % of the announcements (both families).
const pct: number[] = [];
let pctReport;
const n1 = Math.round(base.length / 100);
for (let k = 0; k < Math.max(5, Math.floor(SAMPLES / 5)); k++) {
  list = list.slice();
  for (let j = 0; j < n1; j++) {
    const idx = (j * 97 + k) % base.length;
    const fam = list[idx]!.family;
    list[idx] = announcement(fam, PER_FAMILY * 4 + k * n1 + j);
  }
  const r = await step(list);
  pct.push(r.reconcileMs);
  pctReport = r.report;
}

// A full dump and diff of everything (what a resync costs).
t0 = performance.now();
const resync = await rec.resync();
const resyncMs = performance.now() - t0;

const result = {
  routes: base.length,
  desiredMs,
  fullMs,
  fullCpuMs,
  settledMs,
  full: { routesAdded: full.routesAdded, ok: full.ok, failed: full.failed.length },
  overflowsDuringFull: afterFull.overflows,
  dumpsAfterFull: afterFull.resyncs - 1,
  oneChange: { median: median(one), p95: p95(one), desiredStateMedian: median(oneDesired), report: { added: oneReport!.routesAdded, deleted: oneReport!.routesDeleted, resynced: oneReport!.resynced } },
  onePercent: { changed: n1, median: median(pct), report: { added: pctReport!.routesAdded, deleted: pctReport!.routesDeleted, resynced: pctReport!.resynced } },
  resyncMs,
  resyncChanges: resync.routesAdded + resync.routesDeleted + resync.routesReplaced,
  monitorBufferSize: rec.monitorBufferSize,
  rssStart,
  peakRssFull,
  peakRss: process.resourceUsage().maxRSS * 1024,
};
rec.close();
process.stdout.write(JSON.stringify(result) + '\n');

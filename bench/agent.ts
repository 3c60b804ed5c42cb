// The whole agent, as it runs: `node src/main.ts run` in a network namespace
// against the test API server (in the same namespace), with N dual-stack
// LoadBalancer Services, each with an IPv4 and an IPv6 EndpointSlice (so
// 3N objects), announced on this node (2N routes in table 198).
//
// Figures:
//   1. initial convergence of N Services from an empty table (fresh boot):
//      agent spawn → every route in the table, and within it the cluster view
//      synced → kernel pass done, and the kernel pass alone (agent's log);
//      baseline: `ip -batch` adding the same 2N routes in another fresh
//      namespace, in this run (median of 3);
//   2. steady state at N: RSS (VmRSS, and the peak VmHWM) after settling, and
//      CPU used over IDLE_S seconds with nothing changing (the Lease is
//      renewed every 5 s as in production; bookmarks every 60 s);
//   3. event-to-kernel latency with N Services announced: a Service's status
//      patched on the API server (time taken just before the bench writes the
//      patch to the server's control pipe) → the new route seen by
//      `ip -ts monitor route` in the namespace; SAMPLES patches one at a time.
// Sizes: 1,000 and 10,000 (SIZES=1000,10000). Goals (issue 6): p99 < 50 ms at
// 10,000; RSS ≤ 120 MB and idle CPU ≈ 0 at 10,000.
// Usage: npm run bench:agent   (root: creates network namespaces)
//        SIZES=1000 SAMPLES=100 IDLE_S=5 npm run bench:agent
//        AGENT_BIN=dist/kube-lb-agent npm run bench:agent   (the shipped single executable)

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { endpointSlice, service } from '../test/apiserver/fixtures.ts';
import type { AgentProc } from '../test/agent/helpers/agent-proc.ts';
import { delay, waitFor } from '../test/agent/helpers/procs.ts';
import { World } from '../test/agent/helpers/world.ts';

const exec = promisify(execFile);
const SIZES = (process.env.SIZES ?? '1000,10000').split(',').map(Number);
const SAMPLES = Number(process.env.SAMPLES ?? 200);
const IDLE_S = Number(process.env.IDLE_S ?? 120); // two periodic resyncs (60 s) fall inside
const SETTLE_S = Number(process.env.SETTLE_S ?? 20);
/** The agent to measure: an executable (the SEA, e.g. dist/kube-lb-agent after `npm run build`); default src/main.ts under Node 24. */
const AGENT_BIN = process.env.AGENT_BIN || undefined;
/** Node options for the agent run from source, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (written at its clean exit). */
const AGENT_NODE_ARGS = (process.env.AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);

const v4 = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const v6 = (i: number) => `fd00:10::${i.toString(16)}`;
/** Addresses the latency samples move Services to. */
const moved = (k: number) => `10.200.${(k >> 8) & 255}.${k & 255}`;

const CLK_TCK = 100;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const median = (xs: number[]) => pct(xs, 50);
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
const logTime = (l: { readonly [k: string]: unknown }) => Date.parse(String(l.time));

interface SizeFigures {
  services: number;
  routes: number;
  load: { objects: number; ms: number };
  convergence: { spawnToRoutesMs: number; syncedToKernelMs: number; kernelPassMs: number; listMs: number };
  steady?: { rssMb: number; hwmMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number; cpuPct: number; cpuMs: number; seconds: number };
  latency: { samples: number; p50: number; p90: number; p99: number; max: number; agentMeanMs: number | null };
  /** RSS and JS heap after the latency samples: memory that grows with every cycle would show here. */
  rssAfterMb: number;
  heapAfter: string;
}

async function loadObjects(w: World, n: number): Promise<{ objects: number; ms: number }> {
  const t0 = performance.now();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    const ns = `ns${i % 20}`;
    // No node ports: the NodePort range (2,768 ports) cannot hold 10,000 Services, and BGP-routed IPs need none.
    const s = service(ns, name, { lbIPs: [v4(i), v6(i)], spec: { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', allocateLoadBalancerNodePorts: false } });
    writes.push(w.api.put(s));
    writes.push(w.api.put(endpointSlice(ns, name, [{ ip: `10.1.${(i >> 8) & 255}.${i & 255}`, node: 'node-a' }], { addressType: 'IPv4' })));
    writes.push(w.api.put(endpointSlice(ns, name, [{ ip: `fd00:1::${i.toString(16)}`, node: 'node-a' }], { addressType: 'IPv6' })));
    // Keep the pipe to the server from holding tens of thousands of lines at once.
    if (writes.length >= 3000) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  return { objects: 3 * n, ms: performance.now() - t0 };
}

async function countRoutes(w: World): Promise<number> {
  let n = 0;
  for (const f of ['-4', '-6']) {
    const text = await w.ip('-N', f, 'route', 'show', 'table', '198').catch(() => '');
    for (const line of text.split('\n')) if (line.includes(' proto 201 ')) n++;
  }
  return n;
}

function procStat(pid: number): { cpuTicks: number; rssKb: number; hwmKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  // Fields 14 and 15 (utime, stime), counted from 3 after the command.
  return { cpuTicks: Number(f[11]) + Number(f[12]), rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

async function steady(agent: AgentProc): Promise<NonNullable<SizeFigures['steady']>> {
  await delay(SETTLE_S * 1000);
  const a = procStat(agent.pid);
  const t0 = performance.now();
  await delay(IDLE_S * 1000);
  const b = procStat(agent.pid);
  const seconds = (performance.now() - t0) / 1000;
  const cpuMs = ((b.cpuTicks - a.cpuTicks) * 1000) / CLK_TCK;
  // Where the RSS goes, from the agent's own process metrics (read after the idle window: a scrape costs CPU).
  const metrics = (await agent.http('/metrics')).body;
  const mbOf = (name: string) => Number(new RegExp(`^kube_lb_agent_${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN) / 1048576;
  return {
    rssMb: b.rssKb / 1024,
    hwmMb: b.hwmKb / 1024,
    heapUsedMb: mbOf('nodejs_heap_size_used_bytes'),
    heapTotalMb: mbOf('nodejs_heap_size_total_bytes'),
    externalMb: mbOf('nodejs_external_memory_bytes'),
    cpuMs,
    cpuPct: (cpuMs / 1000 / seconds) * 100,
    seconds,
  };
}

async function latency(w: World, agent: AgentProc, n: number): Promise<SizeFigures['latency']> {
  const mon = await w.monitor();
  const histogram = async () => {
    const text = (await agent.http('/metrics')).body;
    const get = (name: string) => Number(/^(\S+) (\S+)$/m.exec(text.split('\n').filter((l) => l.startsWith(`${name} `)).join('\n'))?.[2] ?? NaN);
    return { sum: get('kube_lb_agent_event_to_kernel_seconds_sum'), count: get('kube_lb_agent_event_to_kernel_seconds_count') };
  };
  const h0 = await histogram();
  const out: number[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    const i = (k * 7919) % n;
    const ip = moved(k + 1);
    const from = mon.events.length;
    const t0 = performance.timeOrigin + performance.now();
    await w.api.patch({ kind: 'Service', namespace: `ns${i % 20}`, name: `svc-${i}` }, { status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }, { ip: v6(i), ipMode: 'VIP' }] } } });
    const seen = await waitFor(`route ${ip}`, () => mon.events.slice(from).find((e) => !e.deleted && e.dst === ip), 5000, 1);
    out.push(seen.at - t0);
    // Let the old route's deletion and the cycle end before the next sample.
    await delay(15);
  }
  const h1 = await histogram();
  await mon.close();
  const agentMeanMs = h1.count > h0.count ? ((h1.sum - h0.sum) / (h1.count - h0.count)) * 1000 : null;
  return { samples: out.length, p50: pct(out, 50), p90: pct(out, 90), p99: pct(out, 99), max: Math.max(...out), agentMeanMs };
}

let current: World | null = null;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`# ${sig}: cleaning up`);
    void (current?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function runSize(n: number, wantSteady: boolean): Promise<SizeFigures> {
  const w = await World.create(`bench${n}`, { apiArgs: ['--bookmark-ms', '60000', '--retain', '2000'] });
  current = w;
  try {
    const load = await loadObjects(w, n);
    const config = w.config({ pools: { bench: { cidrs: ['10.0.0.0/8', 'fd00:10::/64'] } } });
    const spawned = Date.now();
    const agent = w.startAgent(config, AGENT_BIN ? { bin: AGENT_BIN } : { nodeArgs: AGENT_NODE_ARGS });
    await waitFor(`${2 * n} routes`, async () => (await countRoutes(w)) >= 2 * n, 120_000, 20);
    const routesAt = Date.now();
    const sync = await agent.waitLog('synced', (l) => l.op === 'sync', 1000);
    const pass = await agent.waitLog('first kernel pass', (l) => l.op === 'reconcile' && Number(l.routesAdded) > 0, 1000);
    const lists = agent.logged((l) => l.op === 'list');
    const listMs = Math.max(...lists.map((l) => Number(l.ms)));
    const convergence = {
      spawnToRoutesMs: routesAt - spawned,
      syncedToKernelMs: logTime(pass) - logTime(sync),
      kernelPassMs: Number(pass.ms),
      listMs,
    };
    if (Number(pass.routesAdded) !== 2 * n) console.error(`# note: the first pass added ${pass.routesAdded} routes, not ${2 * n}`);
    const st = wantSteady ? await steady(agent) : undefined;
    const lat = await latency(w, agent, n);
    const rssNow = procStat(agent.pid).rssKb / 1024;
    const heapNow = async () => {
      const m = (await agent.http('/metrics')).body;
      const mbOf = (name: string) => (Number(new RegExp(`^kube_lb_agent_${name} (\\S+)$`, 'm').exec(m)?.[1] ?? NaN) / 1048576).toFixed(1);
      return `JS heap used ${mbOf('nodejs_heap_size_used_bytes')} of ${mbOf('nodejs_heap_size_total_bytes')} MB, external ${mbOf('nodejs_external_memory_bytes')} MB`;
    };
    const heapRightAfter = await heapNow();
    // V8 collects a burst's garbage at its next major GC, which may come much later: "used" here counts
    // garbage too (a forced full GC — a heap snapshot — brought 94 MB used back to 60 MB after 1,000 patches).
    await delay(SETTLE_S * 3000);
    const rssAfterMb = procStat(agent.pid).rssKb / 1024;
    const heapAfter = `right after: ${rssNow.toFixed(1)} MB, ${heapRightAfter}; ${SETTLE_S * 3} s later: ${await heapNow()}`;
    const code = (await agent.stop()).code;
    if (code !== 0) console.error(`# agent exited ${code}: ${agent.stderr.slice(-1000)}`);
    return { services: n, routes: 2 * n, load, convergence, ...(st ? { steady: st } : {}), latency: lat, rssAfterMb, heapAfter };
  } finally {
    await w.close();
    current = null;
  }
}

/** `ip -batch` adding the same routes in a fresh namespace: the floor for writing them. */
async function ipBatch(n: number): Promise<{ runs: number[]; median: number }> {
  const ns = `kla-agent-batch-${process.pid}`;
  const file = join(os.tmpdir(), `kla-agent-batch-${process.pid}.txt`);
  let text = '';
  for (let i = 0; i < n; i++) text += `route add ${v4(i)}/32 dev kube-lb0 table 198 proto 201\n`;
  for (let i = 0; i < n; i++) text += `route add ${v6(i)}/128 dev kube-lb0 table 198 proto 201\n`;
  writeFileSync(file, text);
  const runs: number[] = [];
  try {
    for (let r = 0; r < 3; r++) {
      await exec('ip', ['netns', 'add', ns]);
      try {
        await exec('ip', ['-n', ns, 'link', 'add', 'kube-lb0', 'type', 'bridge']);
        await exec('ip', ['-n', ns, 'link', 'set', 'kube-lb0', 'up']);
        const t0 = performance.now();
        await exec('ip', ['-n', ns, '-batch', file]);
        runs.push(performance.now() - t0);
      } finally {
        await exec('ip', ['netns', 'del', ns]).catch(() => {});
      }
    }
  } finally {
    await exec('rm', ['-f', file]);
  }
  return { runs, median: median(runs) };
}

if (process.getuid?.() !== 0) {
  console.error('bench:agent needs root: it creates network namespaces');
  process.exit(1);
}

console.log(`kube-lb-agent bench: the agent process (${AGENT_BIN ?? 'src/main.ts'}), ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, ${SAMPLES} latency samples, idle window ${IDLE_S} s`);
const results: SizeFigures[] = [];
for (const n of SIZES) {
  const r = await runSize(n, n === Math.max(...SIZES));
  results.push(r);
  const c = r.convergence;
  console.log(`\n${n.toLocaleString('en')} dual-stack Services (${r.routes.toLocaleString('en')} routes; ${r.load.objects.toLocaleString('en')} objects loaded in ${ms(r.load.ms)})`);
  console.log(`  initial convergence: spawn → all routes ${ms(c.spawnToRoutesMs)}; view synced → kernel done ${ms(c.syncedToKernelMs)}; kernel pass ${ms(c.kernelPassMs)} (longest list ${ms(c.listMs)})`);
  const l = r.latency;
  console.log(`  event → kernel (${l.samples} patches): p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, max ${ms(l.max)}; agent's own histogram mean ${l.agentMeanMs === null ? '-' : ms(l.agentMeanMs)}`);
  if (r.steady) {
    const s = r.steady;
    console.log(`  RSS after the ${l.samples} patches, settled: ${r.rssAfterMb.toFixed(1)} MB (${r.heapAfter})`);
    console.log(`  steady state: RSS ${s.rssMb.toFixed(1)} MB (peak ${s.hwmMb.toFixed(1)} MB; JS heap used ${s.heapUsedMb.toFixed(1)} of ${s.heapTotalMb.toFixed(1)} MB, external ${s.externalMb.toFixed(1)} MB); CPU ${s.cpuMs.toFixed(0)} ms over ${s.seconds.toFixed(1)} s idle = ${s.cpuPct.toFixed(2)} %`);
  }
}
const biggest = Math.max(...SIZES);
const batch = await ipBatch(biggest);
const agentPass = results.find((r) => r.services === biggest)!.convergence;
console.log(`\nbaseline: ip -batch, ${(2 * biggest).toLocaleString('en')} routes into an empty table: ${batch.runs.map(ms).join(', ')} (median ${ms(batch.median)})`);
console.log(`  agent kernel pass / ip -batch: ${(agentPass.kernelPassMs / batch.median).toFixed(2)}×; agent synced → kernel done / ip -batch: ${(agentPass.syncedToKernelMs / batch.median).toFixed(2)}×`);
const top = results.find((r) => r.services === biggest)!;
if (biggest >= 10_000) {
  const goals = [
    [`p99 < 50 ms at ${biggest}`, top.latency.p99 < 50],
    ['RSS ≤ 120 MB', (top.steady?.rssMb ?? Infinity) <= 120],
    ['idle CPU ≈ 0 (< 1 %)', (top.steady?.cpuPct ?? Infinity) < 1],
  ] as const;
  console.log(`\ngoals: ${goals.map(([g, ok]) => `${g}: ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
}
console.log(JSON.stringify({ results, ipBatch: batch }));

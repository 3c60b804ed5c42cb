// The kernel reconciler against `ip -batch`, on the real kernel, in the same
// run. Each round uses two fresh network namespaces with a kube-lb0 (bridge):
// in one the agent's reconciler (monitor running, as in the agent) takes an
// empty table 198 to 20,000 routes (10,000 IPv4 /32 + 10,000 IPv6 /128); in the
// other `ip -batch` adds the same routes. Then, with 20,000 in place: one
// route changed, and 1 % changed (time from the reconcile call to done), a
// full resync, and the agent process's peak RSS.
//
// `ip -batch` is timed from spawn to exit (its process start included; the
// start of `ip -batch` on an empty file is measured too and subtracted for
// the "net" figure). The agent is timed in-process, from the reconcile call
// to its promise resolving (Node's own start excluded). Both also by CPU time
// (user + system, the kernel's work on the routes included), which a busy
// machine disturbs less than wall time; for ip from bash's `times` (10 ms
// ticks).
//
// The agent side runs as an esbuild bundle, as the shipped binary does (Node
// type-stripping the TypeScript sources would add ~40 MB to its RSS).
//
// Usage: npm run bench:kernel   (root; ROUNDS=N, SAMPLES=N, PER_FAMILY=N;
//        KLA_PROFILE=file: a CPU profile of the first round's full reconcile)

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SAMPLES = Number(process.env.SAMPLES ?? 50);
const PER_FAMILY = Number(process.env.PER_FAMILY ?? 10_000);
const PROFILE = process.env.KLA_PROFILE;
const REPO = new URL('..', import.meta.url).pathname;
// Next to node_modules, so that the bundle finds the netlink package (kept outside: a native addon).
const AGENT = join(REPO, 'node_modules', '.cache', 'kla-bench', 'kernel-agent.mjs');
mkdirSync(join(REPO, 'node_modules', '.cache', 'kla-bench'), { recursive: true });
await esbuild.build({
  entryPoints: [join(REPO, 'bench', 'kernel-agent.ts')],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  outfile: AGENT,
  external: ['netlink'],
  logLevel: 'warning',
});

if (process.getuid?.() !== 0) {
  console.error('bench:kernel needs root (it creates network namespaces)');
  process.exit(1);
}

const ip = (...args: string[]) => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

function withNetns<T>(name: string, fn: (ns: string) => Promise<T>): Promise<T> {
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'add', 'kube-lb0', 'type', 'bridge');
  ip('-n', name, 'link', 'set', 'kube-lb0', 'up');
  return fn(name).finally(() => spawnSync('ip', ['netns', 'del', name]));
}

function timedSpawn(cmd: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, stdout }) : reject(new Error(`${cmd} exited ${code}: ${stderr}`))));
  });
}

const dir = mkdtempSync(join(os.tmpdir(), 'kla-bench-kernel-'));
const batchFile = join(dir, 'routes.batch');
const emptyFile = join(dir, 'empty.batch');
const lines: string[] = [];
for (let i = 0; i < PER_FAMILY; i++) lines.push(`route add 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev kube-lb0 table 198 proto 201`);
for (let i = 0; i < PER_FAMILY; i++) lines.push(`route add fd00:10::${i.toString(16)}/128 dev kube-lb0 table 198 proto 201`);
writeFileSync(batchFile, lines.join('\n') + '\n');
writeFileSync(emptyFile, '');

interface AgentResult {
  routes: number;
  desiredMs: number;
  fullMs: number;
  fullCpuMs: number;
  settledMs: number;
  full: { routesAdded: number; ok: boolean; failed: number };
  overflowsDuringFull: number;
  dumpsAfterFull: number;
  oneChange: { median: number; p95: number; desiredStateMedian: number; report: { added: number; deleted: number; resynced: boolean } };
  onePercent: { changed: number; median: number; report: { added: number; deleted: number; resynced: boolean } };
  resyncMs: number;
  resyncChanges: number;
  monitorBufferSize: number;
  rssStart: number;
  peakRssFull: number;
  peakRss: number;
}

const agentRuns: AgentResult[] = [];
const ipRuns: number[] = [];
const ipStart: number[] = [];
const ipCpu: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so that neither always meets a warmer machine.
    const order = round % 2 === 0 ? ['agent', 'ip'] : ['ip', 'agent'];
    for (const which of order) {
      if (which === 'ip') {
        await withNetns(`kla-bench-ip-${process.pid}`, async (ns) => {
          ipStart.push((await timedSpawn('ip', ['-n', ns, '-batch', emptyFile])).ms);
          const run = await timedSpawn('bash', ['-c', 'ip -n "$0" -batch "$1" && times', ns, batchFile]);
          ipRuns.push(run.ms);
          // `times`: the shell's user/sys, then its children's: "0m0.052s 0m0.140s".
          const children = run.stdout.trim().split('\n').at(-1)!.split(' ').map((t) => {
            const [, min, sec] = /^(\d+)m([\d.]+)s$/.exec(t)!;
            return Number(min) * 60_000 + Number(sec) * 1000;
          });
          ipCpu.push(children[0]! + children[1]!);
          const n = ip('-n', ns, 'route', 'show', 'table', '198').split('\n').filter(Boolean).length + ip('-n', ns, '-6', 'route', 'show', 'table', '198').split('\n').filter(Boolean).length;
          if (n !== 2 * PER_FAMILY) throw new Error(`ip -batch left ${n} routes`);
        });
      } else {
        await withNetns(`kla-bench-agent-${process.pid}`, async (ns) => {
          const env = round === 0 && PROFILE ? ['env', `KLA_PROFILE=${PROFILE}`] : [];
          const { stdout } = await timedSpawn('ip', ['netns', 'exec', ns, ...env, process.execPath, AGENT, String(PER_FAMILY), String(SAMPLES)]);
          const r = JSON.parse(stdout) as AgentResult;
          const n = ip('-n', ns, 'route', 'show', 'table', '198').split('\n').filter(Boolean).length + ip('-n', ns, '-6', 'route', 'show', 'table', '198').split('\n').filter(Boolean).length;
          if (!r.full.ok || r.full.routesAdded !== 2 * PER_FAMILY || n !== 2 * PER_FAMILY) throw new Error(`agent run wrong: ${stdout}; ${n} routes in the table`);
          agentRuns.push(r);
        });
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(x < 10 ? 3 : 1)} ms`;
const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`;
const m = (f: (r: AgentResult) => number) => median(agentRuns.map(f));

const agentFull = m((r) => r.fullMs);
const ipWall = median(ipRuns);
const ipNet = median(ipRuns.map((x, i) => x - ipStart[i]!));
const out = [
  `kernel reconcile benchmark — ${2 * PER_FAMILY} routes (${PER_FAMILY} IPv4 /32 + ${PER_FAMILY} IPv6 /128), table 198, dev kube-lb0 (bridge)`,
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Linux ${os.release()}, Node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  `median of ${ROUNDS} rounds, each in fresh namespaces`,
  '',
  `empty table → ${2 * PER_FAMILY} routes`,
  `  agent reconcile (call → done, monitor running)   ${ms(agentFull)}`,
  `  ip -batch (spawn → exit)                          ${ms(ipWall)}   (net of its ${ms(median(ipStart))} start: ${ms(ipNet)})`,
  `  ratio agent / ip -batch                           ${(agentFull / ipWall).toFixed(2)}   (against the net figure: ${(agentFull / ipNet).toFixed(2)})`,
  `  CPU time (user + sys): agent ${ms(m((r) => r.fullCpuMs))}, ip -batch ${ms(median(ipCpu))}; ratio ${(m((r) => r.fullCpuMs) / median(ipCpu)).toFixed(2)}`,
  `  agent until idle (incl. any dump after overflow)  ${ms(m((r) => r.settledMs))}   (monitor overflows: ${agentRuns.map((r) => r.overflowsDuringFull).join(', ')}; buffer ${agentRuns[0]!.monitorBufferSize} B)`,
  `  desiredState() for the announcements (not in the figure above)  ${ms(m((r) => r.desiredMs))}`,
  '',
  `${2 * PER_FAMILY} routes in place`,
  `  one route changed: reconcile call → done          median ${ms(m((r) => r.oneChange.median))}, p95 ${ms(m((r) => r.oneChange.p95))}   (${agentRuns[0]!.oneChange.report.added} add + ${agentRuns[0]!.oneChange.report.deleted} delete, full dump: ${agentRuns[0]!.oneChange.report.resynced})`,
  `    desiredState() with the previous state, before the call  ${ms(m((r) => r.oneChange.desiredStateMedian))}`,
  `  1 % changed (${agentRuns[0]!.onePercent.changed} IPs): reconcile call → done      median ${ms(m((r) => r.onePercent.median))}   (${agentRuns[0]!.onePercent.report.added} adds + ${agentRuns[0]!.onePercent.report.deleted} deletes)`,
  `  full resync (dump ${2 * PER_FAMILY} routes + whole diff, no change)   ${ms(m((r) => r.resyncMs))}`,
  '',
  `agent process RSS: ${mb(m((r) => r.rssStart))} at start; peak ${mb(m((r) => r.peakRssFull))} after the ${2 * PER_FAMILY}-route reconcile; peak ${mb(m((r) => r.peakRss))} at the end`,
];
console.log(out.join('\n'));

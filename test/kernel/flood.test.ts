// Reconciling while another process floods the namespace with 20,000 routes
// (`ip -batch`, as a routing daemon installing a full table would): 10,000 of
// them stray routes with our protocol in our table (the agent must delete
// them), 10,000 of another protocol (it must leave them). Meanwhile the agent
// is told five times to change what it announces. The monitor overflows
// (ENOBUFS) — certainly with the small buffer of the second run — and the
// agent must neither crash nor lose track: it ends with exactly the desired
// routes of ours and every foreign route.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { ReconcilerStats } from '../../src/kernel/index.ts';
import { withAgent } from './helpers/agent.ts';
import { requireRoot, type Netns } from './helpers/netns.ts';

const FLOOD = 20_000;
const WANT = 2_000;

const v4 = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const desired = (shift: number) => {
  const routes = [];
  for (let i = 0; i < WANT / 2; i++) {
    const n = i + shift;
    routes.push({ family: 4, dst: v4(0x0a0000 + n), prefix: 32, metric: 0 }, { family: 6, dst: `2001:db8:a::${n.toString(16)}`, prefix: 128, metric: 1024 });
  }
  return routes;
};

async function tableCounts(ns: Netns): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const fam of ['-4', '-6']) {
    const text = await ns.ip('-N', fam, 'route', 'show', 'table', '198');
    for (const line of text.split('\n')) {
      const proto = / proto (\d+)/.exec(line)?.[1];
      if (proto) counts[`${fam === '-4' ? 'v4' : 'v6'} proto ${proto}`] = (counts[`${fam === '-4' ? 'v4' : 'v6'} proto ${proto}`] ?? 0) + 1;
    }
  }
  return counts;
}

async function flood(t: TestContext, purpose: string, monitorBufferSize: number | undefined): Promise<void> {
  requireRoot();
  const dir = await mkdtemp(join(tmpdir(), 'kla-flood-'));
  try {
    const batch = join(dir, 'flood.batch');
    const lines: string[] = [];
    for (let i = 0; i < FLOOD / 2; i++) {
      lines.push(`route add ${v4(0x640000 + i)}/32 dev kube-lb0 table 198 proto 201`); // strays with our protocol
      lines.push(`route add ${v4(0xc80000 + i)}/32 dev kube-lb0 table 198 proto 12`); // another owner's
    }
    await writeFile(batch, lines.join('\n') + '\n');
    await withAgent(purpose, async () => {}, async (ns, agent) => {
      const started = await agent.call<{ monitorBufferSize: number }>('start', monitorBufferSize ? { monitorBufferSize } : {});
      const t0 = performance.now();
      const ipBatch = spawn('ip', ['-n', ns.name, '-batch', batch], { stdio: ['ignore', 'ignore', 'pipe'] });
      let ipErr = '';
      ipBatch.stderr.on('data', (d) => (ipErr += d));
      const floodDone = new Promise<number | null>((resolve) => ipBatch.on('close', resolve));
      let last = 0;
      for (let k = 0; k < 5; k++) {
        last = k % 2 === 0 ? 0 : 100;
        await agent.call('reconcile', { routes: desired(last) });
        await new Promise((r) => setTimeout(r, 30));
      }
      assert.equal(await floodDone, 0, ipErr);
      const floodMs = performance.now() - t0;
      // Converged: exactly the desired routes of ours, all of the other owner's.
      const want = { 'v4 proto 201': WANT / 2, 'v6 proto 201': WANT / 2, 'v4 proto 12': FLOOD / 2 };
      let counts: Record<string, number> = {};
      const deadline = Date.now() + 60_000;
      for (;;) {
        await agent.call('idle');
        counts = await tableCounts(ns);
        if (isDeepStrictEqual(counts, want) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const convergedMs = performance.now() - t0;
      const { stats } = await agent.call<{ stats: ReconcilerStats }>('idle');
      t.diagnostic(
        `monitor buffer ${started.monitorBufferSize} B: flood of ${FLOOD} routes took ${floodMs.toFixed(0)} ms; converged after ${convergedMs.toFixed(0)} ms; ` +
          `${stats.overflows} overflow(s), ${stats.resyncs} dump(s), ${stats.passes} passes (${stats.eventPasses} asked for by the monitor)`,
      );
      if (process.env.FLOOD_DEBUG) {
        for (const p of agent.passes) t.diagnostic(JSON.stringify(p.report));
        for (const l of agent.logs) t.diagnostic(JSON.stringify(l));
      }
      assert.deepEqual(counts, want);
      const ours = (await ns.ip('-N', 'route', 'show', 'table', '198', 'proto', '201')).split('\n').filter(Boolean).map((l) => l.split(' ')[0]).sort();
      assert.deepEqual(ours, desired(last).filter((r) => r.family === 4).map((r) => r.dst).sort());
      // Coalesced: a storm of 20,000 notifications makes a bounded number of passes.
      assert.ok(stats.eventPasses <= Math.ceil(convergedMs / 20) + 10, `${stats.eventPasses} passes for the monitor`);
      if (monitorBufferSize) assert.ok(stats.overflows >= 1, 'the small buffer must overflow: this run is about ENOBUFS');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a 20,000-route flood by another process during reconciles: no crash, converges (default monitor buffer)', { timeout: 180_000 }, (t) => flood(t, 'flood', undefined));

test('the same flood with a 64 KiB monitor buffer: overflows (ENOBUFS), dumps again, converges', { timeout: 180_000 }, (t) => flood(t, 'flood-small', 64 << 10));

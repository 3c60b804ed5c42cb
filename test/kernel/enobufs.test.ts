// The netlink addon's ENOBUFS abort, and our fix for it (patches/netlink+0.3.0.patch).
//
// A child process opens a route monitor socket with a tiny receive buffer in a
// fresh network namespace while `ip -batch` adds 20,000 routes there. With the
// patched addon that postinstall builds, the overflow reaches our code as an
// 'error' event with code ENOBUFS and the socket keeps working. The control run
// forces the same child onto the unpatched prebuilt addon (PREBUILDS_ONLY=1
// makes node-gyp-build skip build/), which must die by SIGABRT: proof that this
// test can fail.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NsChild, type Exit } from './helpers/child.ts';
import { createNetns, requireRoot } from './helpers/netns.ts';

const ROUTES = 20_000;
const MONITOR = new URL('./fixtures/route-monitor.ts', import.meta.url).pathname;

interface Ready {
  ready: true;
  addon: string;
  rcvbuf: number;
}
interface Report {
  enobufs: Record<string, number>;
  otherErrors: unknown[];
  routeMessages: number;
  stalls: number;
  alive: boolean;
  links: number;
  requestError?: string;
}
interface Flood {
  ready: Ready;
  report: Report | undefined;
  exit: Exit;
  routesInTable: number;
}

async function flood(purpose: string, env: NodeJS.ProcessEnv): Promise<Flood> {
  const dir = await mkdtemp(join(tmpdir(), 'kla-enobufs-'));
  const ns = await createNetns(purpose);
  let child: NsChild | undefined;
  try {
    await ns.ip('link', 'add', 'br0', 'type', 'bridge');
    await ns.ip('link', 'set', 'br0', 'up');
    const batch = join(dir, 'routes.batch');
    const lines = [];
    for (let i = 0; i < ROUTES; i++) {
      lines.push(`route add 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev br0 table 198 proto 201`);
    }
    await writeFile(batch, lines.join('\n') + '\n');

    child = new NsChild(ns.name, MONITOR, env);
    const readyLine = await child.nextLine(15_000);
    if (readyLine === undefined) assert.fail(`monitor exited before it was ready: ${JSON.stringify(await child.exit)}`);
    const ready = JSON.parse(readyLine) as Ready;

    await ns.ip('-batch', batch);
    const routesInTable = (await ns.ip('-4', 'route', 'show', 'table', '198')).split('\n').filter(Boolean).length;
    child.send('flood done');
    const exit = await child.waitExit(30_000);
    const reportLine = await child.nextLine(0);
    return { ready, report: reportLine ? (JSON.parse(reportLine) as Report) : undefined, exit, routesInTable };
  } finally {
    child?.kill();
    await ns.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

test('patched addon: a route monitor survives an ENOBUFS overflow and reports it', { timeout: 90_000 }, async (t) => {
  requireRoot();
  const r = await flood('enobufs', { PREBUILDS_ONLY: '' }); // empty: node-gyp-build treats it as unset
  t.diagnostic(`patched: exit ${r.exit.code ?? r.exit.signal}; ${JSON.stringify(r.report)}`);

  assert.match(r.ready.addon, /\/netlink\/build\/Release\/netlink_binding\.node$/, 'patched run must load the addon postinstall built');
  assert.equal(r.routesInTable, ROUTES, 'the flood must have added every route');
  assert.deepEqual([r.exit.code, r.exit.signal], [0, null], `monitor must exit 0; stderr: ${r.exit.stderr}`);
  assert.ok(r.report, 'monitor must print its report');
  assert.ok((r.report.enobufs.poll ?? 0) >= 1, 'an overflow seen by the poll watcher (the path that aborted) must reach the error listener with code ENOBUFS');
  assert.ok(r.report.routeMessages < ROUTES, 'messages were lost, as ENOBUFS says');
  assert.deepEqual(r.report.otherErrors, []);
  assert.equal(r.report.alive, true);
  assert.equal(r.report.requestError, undefined);
  assert.ok(r.report.links >= 2, 'a link dump on the same socket after the flood must succeed (lo, br0)');
});

test('control: the unpatched prebuilt addon aborts on the same flood', { timeout: 90_000 }, async (t) => {
  requireRoot();
  const r = await flood('enobufs-control', { PREBUILDS_ONLY: '1' });
  t.diagnostic(`control: exit ${r.exit.code ?? r.exit.signal}; stderr: ${r.exit.stderr.trim().replace(/\s+/g, ' ')}`);

  assert.match(r.ready.addon, /\/netlink\/prebuilds\/linux-x64\/node\.napi\.node$/, 'control run must load the unpatched prebuilt addon');
  assert.equal(r.routesInTable, ROUTES, 'the flood must have added every route');
  assert.ok(r.exit.signal === 'SIGABRT' || r.exit.code === 134, `expected SIGABRT / exit 134, got ${r.exit.code ?? r.exit.signal}`);
  assert.match(r.exit.stderr, /terminate called after throwing an instance of 'Napi::Error'/);
  assert.equal(r.report, undefined, 'an aborted monitor prints no report');
});

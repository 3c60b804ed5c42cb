// listLinks() through the netlink package, in a fresh network namespace.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Link } from '../../src/kernel/index.ts';
import { NsChild } from './helpers/child.ts';
import { createNetns, requireRoot } from './helpers/netns.ts';

const FIXTURE = new URL('./fixtures/list-links.ts', import.meta.url).pathname;

test('listLinks reports index, name, kind and admin state; a lost reply hits the deadline', { timeout: 30_000 }, async (t) => {
  requireRoot();
  const ns = await createNetns('links');
  let child: NsChild | undefined;
  try {
    // No `dummy` driver on this kernel: a bridge and an ifb stand in for kube-lb0.
    await ns.ip('link', 'add', 'kube-lb0', 'type', 'bridge');
    await ns.ip('link', 'set', 'kube-lb0', 'up');
    await ns.ip('link', 'add', 'kla-ifb', 'type', 'ifb');

    child = new NsChild(ns.name, FIXTURE);
    const exit = await child.waitExit(20_000);
    assert.deepEqual([exit.code, exit.signal], [0, null], `child failed: ${exit.stderr}`);
    const line = await child.nextLine(0);
    assert.ok(line, 'child printed nothing');
    const { links, timeout } = JSON.parse(line) as {
      links: Link[];
      timeout?: { code?: string; message: string; ms: number };
    };
    t.diagnostic(JSON.stringify(links));

    const byName = new Map(links.map((l) => [l.name, l]));
    assert.deepEqual(byName.get('lo'), { index: 1, name: 'lo', up: false });
    assert.deepEqual({ ...byName.get('kube-lb0'), index: 0 }, { index: 0, name: 'kube-lb0', kind: 'bridge', up: true });
    assert.deepEqual({ ...byName.get('kla-ifb'), index: 0 }, { index: 0, name: 'kla-ifb', kind: 'ifb', up: false });
    const indexes = links.map((l) => l.index);
    assert.deepEqual(indexes, [...new Set(indexes)].sort((a, b) => a - b), 'sorted by index, no duplicates');

    assert.ok(timeout, 'an operation that never settles must be rejected');
    assert.equal(timeout.code, 'NETLINK');
    assert.equal(timeout.message, 'waiting forever: ETIMEDOUT (no reply within 100 ms)');
    assert.ok(timeout.ms >= 100 && timeout.ms < 2000, `took ${timeout.ms} ms`);
  } finally {
    child?.kill();
    await ns.remove();
  }
});

// The request socket against the real kernel: errnos typed in one place,
// batches answered per request, a deadline on every request, requests in
// flight bounded by what the receive buffer can hold.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NsChild } from './helpers/child.ts';
import { createNetns, requireRoot } from './helpers/netns.ts';

const FIXTURE = new URL('./fixtures/socket-checks.ts', import.meta.url).pathname;

test('request socket: EEXIST, ESRCH, ENODEV typed; batch results per request; deadline; bounded in flight', { timeout: 60_000 }, async (t) => {
  requireRoot();
  const ns = await createNetns('socket');
  let child: NsChild | undefined;
  try {
    await ns.ip('link', 'add', 'kube-lb0', 'type', 'bridge');
    await ns.ip('link', 'set', 'kube-lb0', 'up');
    child = new NsChild(ns.name, FIXTURE);
    const exit = await child.waitExit(50_000);
    assert.deepEqual([exit.code, exit.signal], [0, null], exit.stderr);
    const f = JSON.parse((await child.nextLine(0))!) as Record<string, unknown> & { many: { maxInFlight: number; peakInFlight: number; recvBufferSize: number; failed: number }; batch: number[] };
    t.diagnostic(JSON.stringify(f));
    assert.equal(f.missingLink, true, 'a missing link is undefined, not an error');
    assert.equal(f.add, 'ok');
    assert.equal(f.addAgain, 'EEXIST');
    assert.equal(f.delMissing, 'ESRCH');
    assert.equal(f.noDevice, 'ENODEV');
    assert.deepEqual(f.batch, [0, 17, 3, 0], 'ok, EEXIST, ESRCH, ok — each request answered, the batch goes on after a failure');
    assert.equal(f.deadline, 'ETIMEDOUT');
    assert.ok((f.deadlineMs as number) < 1000);
    assert.equal(f.afterDeadline, 'ok', 'a late answer is dropped; the socket keeps working');
    assert.equal(f.closed, 'EBADF');
    assert.equal(f.many.failed, 0);
    assert.ok(f.many.peakInFlight <= f.many.maxInFlight, `peak ${f.many.peakInFlight} > cap ${f.many.maxInFlight}`);
    assert.ok(f.many.maxInFlight <= Math.max(16, f.many.recvBufferSize / 1024));
    assert.equal((await ns.ip('route', 'show', 'table', '198')).split('\n').filter(Boolean).length, 20_003);
  } finally {
    child?.kill();
    await ns.remove();
  }
});

// The shutdown watcher against a private bus with a stand-in logind, and a
// stand-in systemd-inhibit first on PATH: PrepareForShutdown(true) withdraws
// at once and releases the inhibitor only when done; (false) takes it again;
// only logind is believed; a bus that goes away and comes back is survived.

import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SystemBus } from '../../src/system/dbus.ts';
import { DelayInhibitor } from '../../src/system/inhibitor.ts';
import { ShutdownWatcher } from '../../src/system/logind.ts';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.ts';
import { LogindStandIn, spoofPrepareForShutdown } from './helpers/standins.ts';
import { memoryLogger, type LogLine } from './helpers/log.ts';
import { isGone, waitFor } from './helpers/procs.ts';

const fakeBin = resolve(import.meta.dirname, 'fixtures', 'bin');

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Rig {
  bus: SystemBus;
  inhibitor: DelayInhibitor;
  watcher: ShutdownWatcher;
  lines: LogLine[];
  shutdowns: number[];
  cancels: number;
  withdraw: Deferred;
}

function rig(address: string, logFile: string): Rig {
  const { log, lines } = memoryLogger();
  const bus = new SystemBus({ log, address, reconnectMinMs: 50, reconnectMaxMs: 200 });
  const inhibitor = new DelayInhibitor({ log, env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, FAKE_INHIBIT_LOG: logFile } });
  const r: Rig = { bus, inhibitor, watcher: null as unknown as ShutdownWatcher, lines, shutdowns: [], cancels: 0, withdraw: deferred() };
  r.watcher = new ShutdownWatcher({
    bus,
    log,
    inhibitor,
    onShutdown: () => {
      r.shutdowns.push(Date.now());
      return r.withdraw.promise;
    },
    onShutdownCancelled: () => {
      r.cancels++;
    },
    retakeMinMs: 50,
  });
  return r;
}

async function teardown(r: Rig | undefined): Promise<void> {
  if (!r) return;
  await r.watcher.close();
  await r.inhibitor.close();
  r.bus.close();
}

describe('ShutdownWatcher with logind', () => {
  let pb: PrivateBus;
  let logind: LogindStandIn;
  let r: Rig;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kla-logind-'));
    pb = await startPrivateBus();
    logind = await LogindStandIn.start(pb.address);
  });
  after(async () => {
    logind?.close();
    await pb?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    logind.preparingForShutdown = false;
    r = rig(pb.address, join(dir, 'inhibit.log'));
    r.watcher.start();
    await waitFor('inhibitor held at start', () => r.inhibitor.held);
  });
  afterEach(() => teardown(r));

  test('PrepareForShutdown(true): callback at once; inhibitor held until it is done, then gone', async () => {
    const pid = r.inhibitor.pid!;
    const sent = Date.now();
    logind.prepareForShutdown(true);
    await waitFor('onShutdown', () => r.shutdowns.length === 1, 1000);
    assert.ok(r.shutdowns[0]! - sent < 100, `called after ${r.shutdowns[0]! - sent} ms`);
    assert.equal(r.watcher.phase, 'shutting-down');
    await new Promise((res) => setTimeout(res, 300));
    assert.ok(!isGone(pid), 'inhibitor still held while withdrawing');
    assert.equal(r.inhibitor.held, true);
    r.withdraw.resolve();
    await waitFor('inhibitor gone', () => isGone(pid), 2000);
    assert.equal(r.inhibitor.held, false);
    assert.ok(r.lines.some((l) => l.msg === 'withdrawn before shutdown; delay inhibitor released'));
    // A repeated signal does not withdraw twice.
    logind.prepareForShutdown(true);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.shutdowns.length, 1);
  });

  test('PrepareForShutdown(false) after a shutdown: inhibitor taken again, owner told', async () => {
    const first = r.inhibitor.pid!;
    logind.prepareForShutdown(true);
    r.withdraw.resolve();
    await waitFor('released', () => isGone(first) && !r.inhibitor.held, 2000);
    logind.prepareForShutdown(false);
    await waitFor('held again', () => r.inhibitor.held, 2000);
    assert.notEqual(r.inhibitor.pid, first);
    assert.equal(r.cancels, 1);
    assert.equal(r.watcher.phase, 'watching');
    // And a second shutdown works the same way.
    r.withdraw = deferred();
    logind.prepareForShutdown(true);
    await waitFor('second onShutdown', () => r.shutdowns.length === 2, 1000);
  });

  test('cancelled while withdrawing: released when done, then taken again', async () => {
    const first = r.inhibitor.pid!;
    logind.prepareForShutdown(true);
    await waitFor('onShutdown', () => r.shutdowns.length === 1, 1000);
    logind.prepareForShutdown(false);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.cancels, 0, 'not before the withdrawal is done');
    r.withdraw.resolve();
    await waitFor('cancel handled', () => r.cancels === 1 && r.inhibitor.held, 2000);
    assert.ok(isGone(first));
  });

  test('a failing withdrawal still releases the inhibitor (logind must not wait for nothing)', async () => {
    const pid = r.inhibitor.pid!;
    logind.prepareForShutdown(true);
    await waitFor('onShutdown', () => r.shutdowns.length === 1, 1000);
    r.withdraw.reject(new Error('netlink down'));
    await waitFor('released', () => isGone(pid), 2000);
    assert.ok(r.lines.some((l) => l.level === 'error' && l.msg === 'withdrawal before shutdown failed'));
  });

  test('only logind is believed: spoofed signals, broadcast or sent to us, are ignored', async () => {
    // A broadcast from another sender does not even reach us: the match rule names logind.
    await spoofPrepareForShutdown(pb.address, true);
    // A signal sent straight to us is delivered whatever the match rules say; the sender check refuses it.
    await spoofPrepareForShutdown(pb.address, true, r.bus.uniqueName!);
    await waitFor('warning', () => r.lines.some((l) => l.reason === 'not-logind'), 2000);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.lines.filter((l) => l.reason === 'not-logind').length, 1);
    assert.equal(r.shutdowns.length, 0);
    assert.equal(r.inhibitor.held, true);
    assert.equal(r.watcher.phase, 'watching');
    // logind itself is still heard.
    logind.prepareForShutdown(true);
    await waitFor('onShutdown', () => r.shutdowns.length === 1, 1000);
    r.withdraw.resolve();
  });
});

describe('ShutdownWatcher: state at start, bus trouble', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kla-logind2-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('started while logind is already preparing for shutdown: withdraws at once', async () => {
    const pb = await startPrivateBus();
    const logind = await LogindStandIn.start(pb.address);
    logind.preparingForShutdown = true;
    const r = rig(pb.address, join(dir, 'a.log'));
    try {
      r.watcher.start();
      await waitFor('onShutdown', () => r.shutdowns.length === 1, 2000);
      assert.ok(r.lines.some((l) => l.reason === 'preparing-for-shutdown'));
    } finally {
      r.withdraw.resolve();
      await teardown(r);
      logind.close();
      await pb.dispose();
    }
  });

  test('no system bus at all: no crash, no inhibitor, one log line', async () => {
    const r = rig('unix:path=/nonexistent/kla/system_bus_socket', join(dir, 'b.log'));
    try {
      r.watcher.start();
      await new Promise((res) => setTimeout(res, 500)); // several reconnection attempts
      assert.equal(r.inhibitor.held, false);
      assert.equal(r.inhibitor.pid, undefined);
      assert.equal(r.lines.length, 1, JSON.stringify(r.lines));
      assert.match(r.lines[0]!.msg, /^no system bus at /);
    } finally {
      await teardown(r);
    }
  });

  test('a bus without logind: one info line, no inhibitor; logind appears: inhibitor taken', async () => {
    const pb = await startPrivateBus();
    const r = rig(pb.address, join(dir, 'c.log'));
    let logind: LogindStandIn | undefined;
    try {
      r.watcher.start();
      await waitFor('no-logind line', () => r.lines.some((l) => l.reason === 'no-logind'), 2000);
      assert.equal(r.inhibitor.pid, undefined);
      logind = await LogindStandIn.start(pb.address);
      await waitFor('inhibitor held', () => r.inhibitor.held, 2000);
    } finally {
      await teardown(r);
      logind?.close();
      await pb.dispose();
    }
  });

  test('the bus goes away and comes back: no crash, subscriptions renewed, shutdown still seen', async () => {
    const busDir = mkdtempSync(join(tmpdir(), 'kla-dbus-back-'));
    let pb = await startPrivateBus(busDir);
    let logind = await LogindStandIn.start(pb.address);
    const r = rig(pb.address, join(dir, 'd.log'));
    try {
      r.watcher.start();
      await waitFor('held', () => r.inhibitor.held, 2000);
      await pb.stop();
      logind.close();
      await waitFor('lost logged', () => r.lines.some((l) => l.msg === 'system bus connection lost'), 2000);
      await new Promise((res) => setTimeout(res, 300)); // failed reconnection attempts
      assert.equal(r.lines.filter((l) => l.op === 'dbus' && l.level === 'warn').length, 1, 'one line while it stays away');
      pb = await startPrivateBus(busDir);
      assert.equal(dirname(pb.socketPath), busDir);
      logind = await LogindStandIn.start(pb.address);
      await waitFor('reconnected', () => r.lines.some((l) => l.msg === 'system bus connected again'), 3000);
      await new Promise((res) => setTimeout(res, 100)); // AddMatch and owner query
      logind.prepareForShutdown(true);
      await waitFor('onShutdown after reconnect', () => r.shutdowns.length === 1, 2000);
    } finally {
      r.withdraw.resolve();
      await teardown(r);
      logind.close();
      await pb.dispose();
      rmSync(busDir, { recursive: true, force: true });
    }
  });
});

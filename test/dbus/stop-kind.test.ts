// askStopKind against a private bus with a stand-in systemd: which job stops
// our unit, and every way of not knowing (no bus, no systemd, slow systemd).

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SystemBus } from '../../src/system/dbus.ts';
import { askStopKind, decideStop, describeStop } from '../../src/system/systemd.ts';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.ts';
import { SystemdStandIn } from './helpers/standins.ts';
import { memoryLogger } from './helpers/log.ts';

const UNIT = 'kube-lb-agent.service';

describe('askStopKind', () => {
  let pb: PrivateBus;
  let systemd: SystemdStandIn;
  let bus: SystemBus;

  before(async () => {
    pb = await startPrivateBus();
    systemd = await SystemdStandIn.start(pb.address);
    systemd.addUnit(UNIT, [process.pid]);
  });
  after(async () => {
    bus?.close();
    systemd?.close();
    await pb?.dispose();
  });
  beforeEach(() => {
    bus?.close();
    bus = new SystemBus({ log: memoryLogger().log, address: pb.address });
    systemd.setJob(UNIT, null);
    systemd.systemState = 'running';
    systemd.delayMs = 0;
    systemd.silent = false;
    systemd.silentMembers.clear();
  });

  test('restart job → restart', async () => {
    const id = systemd.setJob(UNIT, 'restart');
    const a = await askStopKind(bus);
    assert.deepEqual(a, { kind: 'restart', reason: 'restart-job', unit: UNIT, jobId: id, jobType: 'restart', systemState: 'running' });
    assert.equal(decideStop('auto', a.kind).action, 'keep');
    assert.match(describeStop(decideStop('auto', a.kind), a), /restart job \d+ is restarting kube-lb-agent\.service: keeping routes/);
  });

  test('try-restart and reload-or-restart jobs → restart', async () => {
    for (const t of ['try-restart', 'reload-or-restart']) {
      systemd.setJob(UNIT, t);
      assert.equal((await askStopKind(bus)).kind, 'restart', t);
    }
  });

  test('stop job → stop', async () => {
    const id = systemd.setJob(UNIT, 'stop');
    const a = await askStopKind(bus);
    assert.deepEqual(a, { kind: 'stop', reason: 'stop-job', unit: UNIT, jobId: id, jobType: 'stop', systemState: 'running' });
    assert.equal(decideStop('auto', a.kind).action, 'withdraw');
  });

  test('a stop job during system shutdown → stop (system-stopping)', async () => {
    systemd.setJob(UNIT, 'stop');
    systemd.systemState = 'stopping';
    const a = await askStopKind(bus);
    assert.equal(a.kind, 'stop');
    assert.equal(a.reason, 'system-stopping');
  });

  test('system stopping wins even without a job, and at once when the job question hangs', async () => {
    systemd.systemState = 'stopping';
    assert.equal((await askStopKind(bus)).reason, 'system-stopping');
    systemd.silentMembers.add('GetUnitByPID');
    const t0 = Date.now();
    const a = await askStopKind(bus);
    assert.equal(a.kind, 'stop');
    assert.equal(a.reason, 'system-stopping');
    assert.ok(Date.now() - t0 < 200, 'did not wait for the job');
  });

  test('no job (kill, systemctl kill) → unknown, keep', async () => {
    const a = await askStopKind(bus);
    assert.deepEqual(a, { kind: 'unknown', reason: 'no-job', unit: UNIT, systemState: 'running' });
    assert.equal(decideStop('auto', a.kind).action, 'keep');
  });

  test('a start job → unknown (other-job)', async () => {
    systemd.setJob(UNIT, 'start');
    const a = await askStopKind(bus);
    assert.equal(a.kind, 'unknown');
    assert.equal(a.reason, 'other-job');
  });

  test('the job object vanished between the two reads → unknown (dbus-error)', async () => {
    systemd.setJob(UNIT, 'stop');
    systemd.dropJobObject(UNIT);
    const a = await askStopKind(bus);
    assert.equal(a.kind, 'unknown');
    assert.equal(a.reason, 'dbus-error');
    assert.match(a.detail ?? '', /UnknownObject/);
  });

  test('a PID in no unit (agent started by hand) → unknown (dbus-error)', async () => {
    const a = await askStopKind(bus, { pid: 999_999 });
    assert.equal(a.kind, 'unknown');
    assert.equal(a.reason, 'dbus-error');
    assert.match(a.detail ?? '', /NoUnitForPID/);
  });

  test('the unit is found by PID, whatever it is called', async () => {
    systemd.addUnit('kube-lb-agent@blue.service', [4242]);
    systemd.setJob('kube-lb-agent@blue.service', 'restart');
    const a = await askStopKind(bus, { pid: 4242 });
    assert.equal(a.kind, 'restart');
    assert.equal(a.unit, 'kube-lb-agent@blue.service');
  });

  test('a slow systemd → unknown (timeout) within the bound', async () => {
    systemd.setJob(UNIT, 'stop');
    systemd.delayMs = 2000;
    const t0 = Date.now();
    const a = await askStopKind(bus, { timeoutMs: 300 });
    const ms = Date.now() - t0;
    assert.equal(a.kind, 'unknown');
    assert.equal(a.reason, 'timeout');
    assert.ok(ms >= 290 && ms < 600, `took ${ms} ms`);
  });

  test('a systemd that never answers → unknown (timeout), default bound 5 s', async () => {
    systemd.silent = true;
    const t0 = Date.now();
    const a = await askStopKind(bus);
    const ms = Date.now() - t0;
    assert.equal(a.reason, 'timeout');
    assert.ok(ms >= 4990 && ms < 5500, `took ${ms} ms`);
  });
});

describe('askStopKind without systemd', () => {
  test('no system bus (socket path missing) → unknown (no-bus), fast, one log line', async () => {
    const { log, lines } = memoryLogger();
    const bus = new SystemBus({ log, address: 'unix:path=/nonexistent/kla/system_bus_socket' });
    const t0 = Date.now();
    const a = await askStopKind(bus);
    const ms = Date.now() - t0;
    bus.close();
    assert.equal(a.kind, 'unknown');
    assert.equal(a.reason, 'no-bus');
    assert.ok(ms < 200, `took ${ms} ms`);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0]!.level, 'warn');
    assert.match(lines[0]!.msg, /no system bus at \/nonexistent.*ENOENT/);
    const d = decideStop('auto', a.kind);
    assert.deepEqual(d, { action: 'keep', reason: 'auto-unknown' });
    assert.equal(describeStop(d, a), 'no system bus: keeping routes');
  });

  test('no usable address → unknown (no-bus)', async () => {
    const bus = new SystemBus({ log: memoryLogger().log, address: 'tcp:host=127.0.0.1,port=1' });
    assert.equal((await askStopKind(bus)).reason, 'no-bus');
    bus.close();
  });

  test('a bus on which nobody is systemd → unknown (no-bus)', async () => {
    const pb = await startPrivateBus();
    try {
      const bus = new SystemBus({ log: memoryLogger().log, address: pb.address });
      const t0 = Date.now();
      const a = await askStopKind(bus);
      bus.close();
      assert.equal(a.reason, 'no-bus');
      assert.match(a.detail ?? '', /ServiceUnknown/);
      assert.ok(Date.now() - t0 < 500);
    } finally {
      await pb.dispose();
    }
  });

  test('a bus that dies while we ask → unknown, no crash', async () => {
    const pb = await startPrivateBus();
    const systemd = await SystemdStandIn.start(pb.address);
    systemd.addUnit(UNIT, [process.pid]);
    systemd.setJob(UNIT, 'stop');
    systemd.silent = true;
    const { log, lines } = memoryLogger();
    const bus = new SystemBus({ log, address: pb.address });
    try {
      const asked = askStopKind(bus, { timeoutMs: 3000 });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      await pb.stop();
      const a = await asked;
      assert.equal(a.kind, 'unknown');
      assert.equal(a.reason, 'no-bus');
      assert.ok(Date.now() - t0 < 500, 'failed as soon as the bus went');
      assert.ok(lines.some((l) => l.msg === 'system bus connection lost'));
      assert.equal(bus.connected, false);
    } finally {
      bus.close();
      systemd.close();
      await pb.dispose();
    }
  });
});

// How the agent stops, decided by systemd's job (a stand-in systemd1 on a
// private bus answers for the agent's PID) and logind's PrepareForShutdown
// (a stand-in login1; the fake systemd-inhibit holds the "lock"). An
// `ip monitor` started before proves what left table 198 and when.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startPrivateBus } from '../dbus/helpers/private-bus.ts';
import { isGone } from '../dbus/helpers/procs.ts';
import { LogindStandIn, SystemdStandIn } from '../dbus/helpers/standins.ts';
import type { AgentProc } from './helpers/agent-proc.ts';
import { delay, waitFor } from './helpers/procs.ts';
import { withWorld, type World } from './helpers/world.ts';

const UNIT = 'kube-lb-agent.service';
const ROUTES = ['192.0.2.10', '192.0.2.11', '2001:db8::10'];

interface Systemd {
  readonly address: string;
  readonly systemd: SystemdStandIn;
  readonly logind: LogindStandIn;
  /** The fake systemd-inhibit's record: "args <pid> …" when started. */
  readonly inhibitLog: string;
  /** Starts an agent on this bus and tells systemd its PID is in our unit. */
  start(config: string): AgentProc;
}

async function withSystemd(w: World): Promise<Systemd> {
  const bus = await startPrivateBus();
  w.onClose(() => bus.dispose());
  const systemd = await SystemdStandIn.start(bus.address);
  w.onClose(() => systemd.close());
  const logind = await LogindStandIn.start(bus.address);
  w.onClose(() => logind.close());
  const inhibitLog = join(w.dir, 'inhibit.log');
  return {
    address: bus.address,
    systemd,
    logind,
    inhibitLog,
    start(config) {
      const agent = w.startAgent(config, { bus: bus.address, env: { FAKE_INHIBIT_LOG: inhibitLog } });
      systemd.addUnit(UNIT, [agent.pid]);
      return agent;
    },
  };
}

async function twoServices(w: World): Promise<void> {
  await w.putService('web', ['192.0.2.10', '2001:db8::10']);
  await w.putService('a', ['192.0.2.11']);
}

const inhibitRecords = (path: string) => {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  } catch {
    return [];
  }
};

describe('agent: stop', () => {
  it('a restart job keeps every route; the next agent adopts them: zero deletions throughout', async () => {
    await withWorld('restartjob', {}, async (w) => {
      const sd = await withSystemd(w);
      await twoServices(w);
      const first = sd.start(w.config());
      await w.waitRoutes(ROUTES);
      await waitFor('the agent Lease', () => w.agentLease());
      const mon = await w.monitor();

      sd.systemd.setJob(UNIT, 'restart');
      const exit = await first.stop();
      assert.equal(exit.code, 0);
      const decision = first.logged((l) => l.op === 'stop' && l.action !== undefined)[0];
      assert.equal(decision?.reason, 'auto-restart', JSON.stringify(decision));
      assert.equal(decision?.action, 'keep');
      assert.deepEqual(await w.routes(), ROUTES);
      assert.ok(await w.agentLease(), 'the Lease is kept over a restart');

      sd.systemd.setJob(UNIT, null);
      const second = sd.start(w.config());
      await waitFor('the new agent converged', async () => (await second.status()).phase === 'converged', 10_000);
      const s = await second.status();
      assert.equal(s.boot.kind, 'same');
      assert.deepEqual(s.announcements.map((a) => a.ip).sort(), ROUTES);
      await mon.flush();
      assert.deepEqual(mon.deletions(), [], 'no route left the table');
      assert.deepEqual(mon.inTable().map((e) => e.line), [], 'adopted as they are: not even replaced');

      // It does own them: a change now reaches the kernel.
      await w.deleteService('a');
      await w.waitRoutes(['192.0.2.10', '2001:db8::10']);
    });
  });

  it('a stop job withdraws everything, drains, deletes the Lease, then exits', async () => {
    await withWorld('stopjob', {}, async (w) => {
      const sd = await withSystemd(w);
      await twoServices(w);
      const agent = sd.start(w.config({ shutdown: { withdraw: 'auto', drain: '1s' } }));
      await w.waitRoutes(ROUTES);
      await waitFor('the agent Lease', () => w.agentLease());
      const mon = await w.monitor();

      sd.systemd.setJob(UNIT, 'stop');
      const sent = Date.now();
      agent.signal('SIGTERM');
      const exit = await agent.exited;
      const exitedAt = Date.now();
      assert.equal(exit.code, 0, agent.stderr);
      const decision = agent.logged((l) => l.op === 'stop' && l.action !== undefined)[0];
      assert.equal(decision?.reason, 'auto-stop', JSON.stringify(decision));
      assert.deepEqual(await w.routes(), []);
      await mon.flush();
      const dels = mon.deletions();
      assert.deepEqual(dels.map((e) => e.dst).sort(), ROUTES);
      for (const d of dels) {
        assert.ok(d.at >= sent - 5, 'deleted after SIGTERM');
        // The drain (1 s) comes after the withdrawal: BIRD has time to send withdrawals while we still run.
        // (ip monitor stamps a line when it reads it, so late stamps only shrink this margin.)
        assert.ok(exitedAt - d.at >= 700, `${d.dst} deleted only ${(exitedAt - d.at).toFixed(0)} ms before exit`);
      }
      assert.equal(await w.agentLease(), null, 'the Lease is gone');
    });
  });

  it('logind PrepareForShutdown(true) withdraws at once, before any SIGTERM, and then lets go of the inhibitor', async () => {
    await withWorld('poweroff', {}, async (w) => {
      const sd = await withSystemd(w);
      await twoServices(w);
      const agent = sd.start(w.config({ shutdown: { withdraw: 'auto', drain: '300ms' } }));
      await w.waitRoutes(ROUTES);
      await waitFor('the agent Lease', () => w.agentLease());
      await agent.waitLog('delay inhibitor held', (l) => l.op === 'inhibit' && /held/.test(l.msg));
      const holder = inhibitRecords(sd.inhibitLog).find((r) => r[0] === 'args') ?? [];
      assert.ok(holder.includes('--mode=delay') && holder.includes('--what=shutdown'), JSON.stringify(holder));
      assert.ok(!isGone(Number(holder[1])), 'the lock holder runs');
      const mon = await w.monitor();

      const t0 = Date.now();
      sd.logind.prepareForShutdown(true);
      await w.waitRoutes([], 3000);
      const withdrawnMs = Date.now() - t0;
      assert.ok(agent.running, 'no SIGTERM yet: the agent still runs');
      assert.equal(await w.agentLease(), null, 'the Lease is gone, so peers take over at once');
      // Released: the systemd-inhibit child (the lock's holder) is gone.
      await waitFor('the inhibitor released', () => isGone(Number(holder[1])), 3000);
      const released = agent.logged((l) => l.op === 'shutdown' && /withdrawn before shutdown/.test(l.msg))[0];
      assert.ok(released, 'released once withdrawn (and drained)');
      assert.ok((released.ms as number) >= 300, `released after the drain: ${released.ms} ms`);
      await mon.flush();
      const dels = mon.deletions();
      assert.deepEqual(dels.map((e) => e.dst).sort(), ROUTES);
      assert.ok(withdrawnMs < 1000, `withdrawn ${withdrawnMs} ms after the signal`);

      // Later systemd stops the unit as part of the shutdown: nothing comes back.
      sd.systemd.systemState = 'stopping';
      sd.systemd.setJob(UNIT, 'stop');
      await delay(200);
      const exit = await agent.stop();
      assert.equal(exit.code, 0);
      await mon.flush();
      assert.deepEqual(mon.additions(), [], 'nothing announced again');
      assert.deepEqual(await w.routes(), []);
    });
  });
  it('a cancelled shutdown (PrepareForShutdown false after true): the Lease is held again and the routes come back', async () => {
    await withWorld('poweroff-cancelled', {}, async (w) => {
      const sd = await withSystemd(w);
      await twoServices(w);
      const agent = sd.start(w.config({ announce: { election: 'per-service' }, shutdown: { withdraw: 'auto', drain: '300ms' } }));
      await w.waitRoutes(ROUTES);
      await waitFor('the agent Lease', () => w.agentLease());
      await agent.waitLog('delay inhibitor held', (l) => l.op === 'inhibit' && /held/.test(l.msg));

      sd.logind.prepareForShutdown(true);
      await w.waitRoutes([], 3000);
      await waitFor('the Lease deleted', async () => (await w.agentLease()) === null);
      await agent.waitLog('withdrawn before shutdown', (l) => l.op === 'shutdown' && /withdrawn before shutdown/.test(l.msg));

      sd.logind.prepareForShutdown(false);
      // Alone in the cluster, this node wins every per-service election only while its own Lease is fresh.
      await waitFor('the agent Lease again', () => w.agentLease(), 10_000);
      await w.waitRoutes(ROUTES, 10_000);
      const s = await agent.status();
      assert.equal(s.lease?.held, true, JSON.stringify(s.lease));
      assert.equal(s.announcements.length, ROUTES.length);
      const exit = await agent.stop();
      assert.equal(exit.code, 0, agent.stderr);
    });
  });
});

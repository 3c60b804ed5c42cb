// The lab with `election = "per-service"`: one node per VIP, and what
// happens at the data centre's router when that node's agent stops cleanly
// (stop job: it deletes its Lease, peers take over at once) or crashes
// (SIGKILL: its routes stay in its kernel — as they must while systemd
// restarts it — and a peer takes over once its Lease expires). The lab's
// agents run with kubernetes.lease_duration = "3s", lease_renew = "1s"
// (defaults 15 s / 5 s), so a crash is taken over in seconds.
// Needs root, bird2, iproute2, dbus, curl and dist/kube-lb-agent.

import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { waitFor } from './daemon.ts';
import { Lab } from './lab.ts';
import { describePaths } from './router.ts';
import { runFlows } from './traffic.ts';

const WEB = '198.51.100.10';
const DUAL6 = '2001:db8:100::11';
const LEASE_MS = 3000;
const RENEW_MS = 1000;

let lab: Lab;
const t0 = Date.now();
const progress = (l: string) => process.env.KLA_LAB_LOG && process.stderr.write(`  lab [${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}\n`);

/** The single node the router sends `vip` to. */
async function holder(vip: string): Promise<string> {
  const paths = await lab.paths();
  const p = paths.get(vip) ?? [];
  assert.equal(p.length, 1, `per-service: exactly one next hop for ${vip}; router: ${describePaths(paths)}`);
  return p[0]!;
}

/** Waits until the router sends `vip` to exactly one node other than `not`; returns it. */
async function takenOverFrom(vip: string, not: string, timeoutMs: number): Promise<string> {
  let seen: string[] = [];
  try {
    return await waitFor(`${vip} taken over from ${not}`, async () => {
      seen = (await lab.paths()).get(vip) ?? [];
      return seen.length === 1 && seen[0] !== not ? seen[0] : undefined;
    }, timeoutMs, 20);
  } catch (e) {
    throw new Error(`${(e as Error).message}; the router sends ${vip} to ${seen.join(',') || '(nobody)'}`);
  }
}

describe('lab: election "per-service" — failover at the router', { timeout: 300_000 }, () => {
  before(async () => {
    lab = await Lab.up({ log: progress, settings: { election: 'per-service', leaseDuration: `${LEASE_MS / 1000}s`, leaseRenew: `${RENEW_MS / 1000}s` } });
  });
  after(async () => {
    await lab?.down();
  });

  it('exactly one next hop per VIP, and traffic reaches only that node', async (t: TestContext) => {
    const paths = await lab.paths();
    t.diagnostic(`router: ${describePaths(paths)}`);
    for (const [vip] of lab.expectedPaths()) assert.equal(paths.get(vip)?.length, 1, `${vip}: ${describePaths(paths)}`);
    const h = await holder(WEB);
    const r = await runFlows(lab.reaper, lab.net.client, WEB, 100);
    assert.equal(r.failed, 0, JSON.stringify(r.errors));
    assert.deepEqual(Object.keys(r.perNode), [h], JSON.stringify(r.perNode));
  });

  it('clean stop (stop job) of the holder → another node takes over; failover time printed', async (t: TestContext) => {
    await lab.waitSettled();
    const from = await holder(WEB);
    const from6 = await holder(DUAL6);
    const mon = await lab.monitor();
    const agent = lab.agent(from);
    const tStop = Date.now();
    const exitP = agent.stopJob();
    const to = await takenOverFrom(WEB, from, 15_000);
    const seenAt = Date.now();
    const exit = await exitP;
    assert.equal(exit.code, 0);
    // From the router's own change log: when the old path left, when the new one arrived.
    const fromAddr = lab.node(from).v4;
    const toAddr = lab.node(to).v4;
    const changes = mon.of(WEB);
    const lost = mon.lostAt(WEB, fromAddr, tStop - 5);
    const arrived = changes.find((c) => !c.deleted && c.gateways.includes(toAddr))?.at;
    assert.ok(lost !== undefined && arrived !== undefined, changes.map((c) => c.line).join('\n'));
    t.diagnostic(`stop job on ${from} → ${WEB} at ${to}: ${(arrived - tStop).toFixed(0)} ms after SIGTERM (router had no path for ${Math.max(0, arrived - lost).toFixed(0)} ms; seen by polling after ${seenAt - tStop} ms)`);
    if (from6 === from) {
      const to6 = await takenOverFrom(DUAL6, from, 15_000);
      t.diagnostic(`${DUAL6} moved ${from} → ${to6}`);
    }
    const r = await runFlows(lab.reaper, lab.net.client, WEB, 50);
    assert.equal(r.failed, 0, JSON.stringify(r.errors));
    assert.deepEqual(Object.keys(r.perNode), [to]);
    // Back: systemd starts it again; the election settles to one node per VIP.
    agent.start();
    await lab.waitExpected();
    await lab.waitSettled();
  });

  it('crash (SIGKILL) of the holder → another node takes over once the Lease has expired; failover time printed', async (t: TestContext) => {
    await lab.waitSettled();
    const from = await holder(WEB);
    const mon = await lab.monitor();
    const agent = lab.agent(from);
    const tCrash = Date.now();
    await agent.crash();
    // When peers may take over: the crashed agent's last renewal + the Lease's duration (same clock here).
    const lease = await lab.api.get({ kind: 'Lease', namespace: 'kube-system', name: `kube-lb-agent-${from}` });
    const spec = (lease?.spec ?? {}) as { renewTime?: string; leaseDurationSeconds?: number };
    assert.ok(spec.renewTime && spec.leaseDurationSeconds, `${from}'s Lease: ${JSON.stringify(lease)}`);
    const expiry = Date.parse(spec.renewTime) + spec.leaseDurationSeconds * 1000;
    // The crashed agent's routes stay in its kernel (they must, while systemd restarts it): its BIRD keeps
    // announcing, so the router keeps that path; a peer adds its own once the Lease has expired.
    const toAddrs = new Map(lab.nodes.filter((n) => n.name !== from).map((n) => [n.v4, n.name]));
    const arrival = await waitFor(`a peer announcing ${WEB} after ${from}'s crash`, () => mon.of(WEB).find((c) => !c.deleted && c.gateways.some((g) => toAddrs.has(g))), LEASE_MS + 20_000, 20);
    const to = toAddrs.get(arrival.gateways.find((g) => toAddrs.has(g))!)!;
    const ms = arrival.at - tCrash;
    t.diagnostic(`SIGKILL of ${from}'s agent → ${to} announces ${WEB} at the router after ${ms.toFixed(0)} ms (lease_duration ${LEASE_MS} ms, renew ${RENEW_MS} ms; the Lease expired ${(expiry - tCrash).toFixed(0)} ms after the crash, the router had ${to}'s path ${(arrival.at - expiry).toFixed(0)} ms later); ${from}'s path stays until its agent is back`);
    // Not before the Lease had expired (stamps of one clock; 20 ms for iproute2's stamp granularity).
    assert.ok(arrival.at >= expiry - 20, `taken over ${(expiry - arrival.at).toFixed(0)} ms before ${from}'s Lease expired`);
    assert.ok((await lab.paths()).get(WEB)?.includes(from), 'the crashed node still announces (routes kept for the restart)');
    // systemd's Restart=: the agent comes back, adopts its routes, and the election settles again.
    agent.start();
    await lab.waitExpected(60_000);
    await lab.waitSettled();
    t.diagnostic(`after the restart: ${describePaths(await lab.paths(), [WEB, DUAL6])}`);
  });
});

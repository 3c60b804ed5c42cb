// Ownership: reconcile, the boot phase and `cleanup` touch only routes of the
// agent's protocol in its table and addresses on its interface. Each seeds the
// same namespace with other owners' things — protocol 248 (kube-vip) and 12
// (BIRD) in table 198, our protocol in the main table, addresses on another
// interface — and asserts each of them is still there, byte for byte.
//
// One kernel rule shows here: when an interface loses its last IPv4 address,
// the kernel drops every IPv4 route through it, in every table, without a
// notification. So another owner's IPv4 route *through kube-lb0* (an
// interface that is the agent's alone) lasts only while kube-lb0 has an IPv4
// address; the agent never takes the last one away while it still wants one
// (IPv4 address deletes come after the adds), and dumps again when it goes.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addresses, routes, withAgent } from './helpers/agent.ts';
import { createNetns, requireRoot, type Netns } from './helpers/netns.ts';

const MAIN_TS = new URL('../../src/main.ts', import.meta.url).pathname;

/** Other owners' things, and stale things of ours. */
async function seed(ns: Netns): Promise<void> {
  for (const dev of ['kube-lb0', 'other0']) {
    await ns.ip('link', 'add', dev, 'type', 'bridge');
    await ns.ip('link', 'set', dev, 'up');
  }
  const run = (...a: string[]) => ns.ip(...a);
  // Table 198, other owners: kube-vip (248), BIRD (12), also on kube-lb0.
  await run('route', 'add', '192.0.2.20/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '248');
  await run('route', 'add', '192.0.2.21/32', 'dev', 'other0', 'table', '198', 'proto', '12');
  await run('-6', 'route', 'add', '2001:db8:1::20/128', 'dev', 'kube-lb0', 'table', '198', 'proto', '248');
  // Our protocol in the main table, and another protocol there.
  await run('route', 'add', '192.0.2.40/32', 'dev', 'other0', 'proto', '201');
  await run('route', 'add', '192.0.2.41/32', 'dev', 'other0', 'proto', '248');
  await run('-6', 'route', 'add', '2001:db8:1::40/128', 'dev', 'kube-lb0', 'proto', '201');
  // Addresses on another interface.
  await run('addr', 'add', '192.0.2.50/32', 'dev', 'other0');
  await run('-6', 'addr', 'add', '2001:db8:9::1/128', 'dev', 'other0', 'nodad');
  // Stale things of ours: routes of our protocol in our table, addresses on kube-lb0.
  await run('route', 'add', '192.0.2.30/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
  await run('-6', 'route', 'add', '2001:db8:1::30/128', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
  await run('addr', 'add', '192.0.2.60/32', 'dev', 'kube-lb0');
  await run('-6', 'addr', 'add', '2001:db8:1::60/128', 'dev', 'kube-lb0', 'nodad');
}

/** Another owner's IPv4 route through kube-lb0: lasts while kube-lb0 has an IPv4 address (see above). */
const VIP_VIA_KUBE_LB0 = '192.0.2.20 dev kube-lb0 proto 248 scope 253';
const BIRD_198 = '192.0.2.21 dev other0 proto 12 scope 253';
const FOREIGN_198_V4 = [VIP_VIA_KUBE_LB0, BIRD_198];
const FOREIGN_198_V6 = ['2001:db8:1::20 dev kube-lb0 proto 248 metric 1024 pref medium'];

interface Snapshot {
  main4: string[];
  main6: string[];
  other0: string[];
  foreign198v4: string[];
  foreign198v6: string[];
}

async function others(ns: Netns): Promise<Snapshot> {
  const not201 = (l: string[]) => l.filter((r) => !/ proto 201 /.test(r + ' '));
  return {
    main4: await routes(ns, 4, 'main'),
    // Not the kernel's own prefix routes for kube-lb0's addresses (they go with the addresses).
    main6: (await routes(ns, 6, 'main')).filter((r) => !r.startsWith('fe80::') && !/ dev kube-lb0 proto 2 /.test(r)),
    other0: await addresses(ns, 'other0'),
    foreign198v4: not201(await routes(ns, 4)),
    foreign198v6: not201(await routes(ns, 6)),
  };
}

function assertOthersIntact(before: Snapshot, after: Snapshot, opts: { kubeLb0LostIpv4?: boolean } = {}): void {
  assert.deepEqual(after.foreign198v4, opts.kubeLb0LostIpv4 ? [BIRD_198] : FOREIGN_198_V4, 'routes of protocols 248 and 12 in table 198');
  assert.deepEqual(after.foreign198v6, FOREIGN_198_V6, 'IPv6 route of protocol 248 in table 198');
  assert.ok(before.main4.includes('192.0.2.40 dev other0 proto 201 scope 253'), 'seeded');
  assert.deepEqual(after.main4, before.main4, 'main table, our protocol included');
  assert.deepEqual(after.main6, before.main6, 'main table (IPv6)');
  assert.deepEqual(after.other0, ['192.0.2.50/32', '2001:db8:9::1/128'], 'addresses on another interface');
}

test('reconcile: removes only our stale routes and addresses; another owner\'s slot is a conflict, left alone', { timeout: 60_000 }, async () => {
  requireRoot();
  let before: Snapshot | undefined;
  await withAgent(
    'own-rec',
    async (ns) => {
      await seed(ns);
      before = await others(ns);
    },
    async (ns, agent) => {
      await agent.call('start');
      // Before the first reconcile nothing is changed (adopt, withdraw nothing).
      await agent.call('idle');
      assert.ok((await routes(ns, 4)).includes('192.0.2.30 dev kube-lb0 proto 201 scope 253'), 'kept until told');
      const config = '[routing]\nmethod = "both"\n[pools.a]\ncidrs = ["192.0.2.0/24", "2001:db8:1::/64"]\n';
      const announced = [
        { ip: '192.0.2.10', family: 4, prefix: 32, pool: 'a' },
        { ip: '192.0.2.20', family: 4, prefix: 32, pool: 'a' }, // held by kube-vip's route
        { ip: '2001:db8:1::20', family: 6, prefix: 128, pool: 'a' }, // held too (metric 1024 both)
      ];
      const r = await agent.call<{ report: { conflicts: number; routesDeleted: number; addressesDeleted: number } }>('reconcile', { announced, config });
      assert.equal(r.report.conflicts, 2);
      assert.equal(r.report.routesDeleted, 2);
      assert.equal(r.report.addressesDeleted, 2);
      assertOthersIntact(before!, await others(ns));
      assert.deepEqual(await routes(ns, 4), ['192.0.2.10 dev kube-lb0 proto 201 scope 253', ...FOREIGN_198_V4].sort());
      assert.deepEqual(await routes(ns, 6), FOREIGN_198_V6);
      assert.deepEqual(await addresses(ns), ['192.0.2.10/32', '192.0.2.20/32', '2001:db8:1::20/128']);
      assert.ok(agent.logs.some((l) => l.level === 'warn' && l.reason === 'slot-held' && l.ip === '192.0.2.20/32' && l.protocol === 248));
      // Withdrawing everything leaves the other owners' things too — but for the
      // kernel's own rule: kube-lb0's last IPv4 address gone, IPv4 routes through it go.
      await agent.call('reconcile', { announced: [], config });
      assertOthersIntact(before!, await others(ns), { kubeLb0LostIpv4: true });
      assert.deepEqual(await routes(ns, 4), [BIRD_198]);
      assert.deepEqual(await addresses(ns), []);
    },
  );
});

test('boot phase: a fresh boot sweeps only ours; a restart within the same boot keeps everything', { timeout: 60_000 }, async () => {
  requireRoot();
  const dir = mkdtempSync(join(tmpdir(), 'kla-boot-'));
  const bootIdPath = join(dir, 'boot_id');
  const stateDirectory = join(dir, 'state');
  const ids = ['11111111-2222-3333-4444-555555555555', '66666666-7777-8888-9999-000000000000'];
  let before: Snapshot | undefined;
  try {
    await withAgent(
      'own-boot',
      async (ns) => {
        await seed(ns);
        before = await others(ns);
      },
      async (ns, agent) => {
        // What is ours, read only (what `status` shows with the agent down).
        const held = await agent.call<{ link: string; routes: string[]; otherRoutes: string[]; addresses: string[] }>('list');
        assert.deepEqual([held.link, held.routes.sort(), held.otherRoutes.sort(), held.addresses.sort()], [
          'kube-lb0',
          ['192.0.2.30/32 proto 201', '2001:db8:1::30/128 proto 201'],
          ['192.0.2.20/32 proto 248', '192.0.2.21/32 proto 12', '2001:db8:1::20/128 proto 248'],
          ['192.0.2.60/32', '2001:db8:1::60/128'],
        ]);
        writeFileSync(bootIdPath, ids[0] + '\n');
        const fresh = await agent.call<{ verdict: { kind: string; kernel: { swept: { routes: unknown[]; addresses: unknown[] } } } }>('boot', { stateDirectory, bootIdPath });
        assert.equal(fresh.verdict.kind, 'fresh');
        assert.equal(fresh.verdict.kernel.swept.routes.length, 2);
        assert.equal(fresh.verdict.kernel.swept.addresses.length, 2);
        assertOthersIntact(before!, await others(ns), { kubeLb0LostIpv4: true });
        assert.deepEqual(await routes(ns, 4), [BIRD_198]);
        assert.deepEqual(await routes(ns, 6), FOREIGN_198_V6);
        assert.deepEqual(await addresses(ns), []);

        // Same boot (the unit's `run` after its ExecStartPre, or a restart): everything is kept.
        await ns.ip('route', 'add', '192.0.2.31/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
        await ns.ip('addr', 'add', '192.0.2.61/32', 'dev', 'kube-lb0');
        const same = await agent.call<{ verdict: { kind: string; kernel: { swept?: unknown } } }>('boot', { stateDirectory, bootIdPath });
        assert.equal(same.verdict.kind, 'same');
        assert.equal(same.verdict.kernel.swept, undefined);
        assert.ok((await routes(ns, 4)).includes('192.0.2.31 dev kube-lb0 proto 201 scope 253'));
        assert.deepEqual(await addresses(ns), ['192.0.2.61/32']);

        // An unreadable record counts as the same boot: keep, never wipe.
        writeFileSync(join(stateDirectory, 'boot_id'), 'garbage\n');
        const unreadable = await agent.call<{ verdict: { kind: string; why: string } }>('boot', { stateDirectory, bootIdPath });
        assert.deepEqual([unreadable.verdict.kind, unreadable.verdict.why], ['same', 'record-unreadable']);
        assert.deepEqual(await addresses(ns), ['192.0.2.61/32']);

        // The next boot (a new boot id): fresh again.
        writeFileSync(bootIdPath, ids[1] + '\n');
        const next = await agent.call<{ verdict: { kind: string; why: string } }>('boot', { stateDirectory, bootIdPath });
        assert.deepEqual([next.verdict.kind, next.verdict.why], ['fresh', 'boot-id-changed']);
        assert.deepEqual(await routes(ns, 4), [BIRD_198]);
        assert.deepEqual(await addresses(ns), []);
        assertOthersIntact(before!, await others(ns), { kubeLb0LostIpv4: true });
        // Whatever the verdict, the interface is up after the boot phase.
        await ns.ip('link', 'set', 'kube-lb0', 'down');
        await agent.call('boot', { stateDirectory, bootIdPath });
        assert.match(await ns.ip('-o', 'link', 'show', 'kube-lb0'), /<[^>]*\bUP\b/, 'interface up after the boot phase');
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function cleanupCli(ns: Netns, cfg: string, ...args: string[]) {
  return spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, MAIN_TS, 'cleanup', '-c', cfg, '--log-level', 'silent', ...args], { encoding: 'utf8', timeout: 30_000 });
}

test('cleanup: prints and removes ours; --protocol 248 clears kube-vip\'s routes only; --remove-interface deletes kube-lb0 only', { timeout: 60_000 }, async () => {
  requireRoot();
  const dir = mkdtempSync(join(tmpdir(), 'kla-cleanup-'));
  const cfg = join(dir, 'config.toml');
  writeFileSync(cfg, `[interface]\nkind = "bridge"\n[state]\ndirectory = "${dir}/state"\n`);
  const ns = await createNetns('own-clean');
  try {
    await seed(ns);
    const before = await others(ns);

    // kube-vip's leftovers in table 198 only: not its route in main, not BIRD's, not ours.
    const vip = cleanupCli(ns, cfg, '--protocol', '248');
    assert.equal(vip.status, 0, vip.stderr);
    assert.equal(
      vip.stdout,
      'removed route 192.0.2.20/32 table 198 proto 248 metric 0\nremoved route 2001:db8:1::20/128 table 198 proto 248 metric 1024\ncleanup: removed 2 routes (table 198, proto 248)\n',
    );
    assert.deepEqual(await routes(ns, 4), [BIRD_198, '192.0.2.30 dev kube-lb0 proto 201 scope 253']);
    assert.deepEqual(await routes(ns, 6), ['2001:db8:1::30 dev kube-lb0 proto 201 metric 1024 pref medium']);
    assert.deepEqual(await routes(ns, 4, 'main'), before.main4, "kube-vip's route in main stays");
    assert.deepEqual(await addresses(ns), ['192.0.2.60/32', '2001:db8:1::60/128'], 'the agent\'s addresses stay');

    const r = cleanupCli(ns, cfg);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'removed route 192.0.2.30/32 table 198 proto 201 metric 0',
        'removed route 2001:db8:1::30/128 table 198 proto 201 metric 1024',
        'removed address 192.0.2.60/32 dev kube-lb0',
        'removed address 2001:db8:1::60/128 dev kube-lb0',
        'cleanup: removed 2 routes (table 198, proto 201), 2 addresses (kube-lb0)',
        '',
      ].join('\n'),
    );
    assert.deepEqual(await routes(ns, 4), [BIRD_198]);
    assert.deepEqual(await routes(ns, 6), []);
    assert.deepEqual(await routes(ns, 4, 'main'), before.main4);
    assert.deepEqual((await others(ns)).main6, before.main6);
    assert.deepEqual(await addresses(ns, 'other0'), ['192.0.2.50/32', '2001:db8:9::1/128']);
    assert.deepEqual(await addresses(ns), []);

    const again = cleanupCli(ns, cfg);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, 'cleanup: removed 0 routes (table 198, proto 201), 0 addresses (kube-lb0)\n', 'idempotent');
    await ns.ip('addr', 'add', '192.0.2.62/32', 'dev', 'kube-lb0');

    const rm = cleanupCli(ns, cfg, '--remove-interface');
    assert.equal(rm.status, 0, rm.stderr);
    assert.match(rm.stdout, /^removed address 192\.0\.2\.62\/32 dev kube-lb0\nremoved interface kube-lb0\ncleanup: removed 0 routes \(table 198, proto 201\), 1 address \(kube-lb0\), the interface\n$/);
    assert.equal((await ns.ip('-o', 'link', 'show')).includes('kube-lb0'), false);
    assert.equal((await ns.ip('-o', 'link', 'show', 'other0')).includes('other0'), true);
    assert.deepEqual(await addresses(ns, 'other0'), ['192.0.2.50/32', '2001:db8:9::1/128']);
    assert.deepEqual(await routes(ns, 4), [BIRD_198]);
    assert.deepEqual(await routes(ns, 4, 'main'), before.main4);
    // Our protocol's IPv6 route in main through kube-lb0 went with the interface (the kernel's doing).
    assert.deepEqual((await others(ns)).main6, before.main6.filter((l) => !l.includes('kube-lb0')));

    const none = cleanupCli(ns, cfg, '--remove-interface');
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout, 'cleanup: removed 0 routes (table 198, proto 201), 0 addresses (kube-lb0), no interface (kube-lb0 did not exist)\n');

    const bad = cleanupCli(ns, cfg, '--protocol', 'vip');
    assert.equal(bad.status, 2, 'a bad --protocol is a usage error');
  } finally {
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

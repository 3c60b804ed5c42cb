// `cleanup` with a broken configuration (needs root: a network namespace).
// The usual reason the agent fails for good is a configuration an
// administrator broke; the OnFailure= unit then runs `cleanup`, which must
// still withdraw the agent's routes. It falls back to the table, protocol and
// interface the last boot phase recorded in the state directory, says so in
// the log, and touches nothing else; with no usable record it refuses (exit
// 3) and touches nothing at all.
//
// The settings here are deliberately not the defaults (table 1198, protocol
// 202, interface lb-test0), and the namespace holds routes under the default
// settings too: a fallback to the defaults instead of the record would show.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addresses, routes } from './helpers/agent.ts';
import { createNetns, requireRoot, type Netns } from './helpers/netns.ts';

const MAIN_TS = new URL('../../src/main.ts', import.meta.url).pathname;

function cli(ns: Netns, ...args: string[]) {
  return spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, MAIN_TS, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, JOURNAL_STREAM: '' },
  });
}

/** stdout of cleanup holds its result lines and (with --log-format json) its log lines. */
function split(stdout: string): { lines: string[]; logs: Record<string, unknown>[] } {
  const all = stdout.split('\n').filter(Boolean);
  return {
    lines: all.filter((l) => !l.startsWith('{')),
    logs: all.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Ours under the recorded settings: two routes and an address. */
async function seedOurs(ns: Netns, address = true): Promise<void> {
  await ns.ip('route', 'add', '192.0.2.30/32', 'dev', 'lb-test0', 'table', '1198', 'proto', '202');
  await ns.ip('-6', 'route', 'add', '2001:db8:1::30/128', 'dev', 'lb-test0', 'table', '1198', 'proto', '202');
  if (address) await ns.ip('addr', 'add', '192.0.2.60/32', 'dev', 'lb-test0');
}

const OURS4 = ['192.0.2.30 dev lb-test0 proto 202 scope 253'];
const OURS6 = ['2001:db8:1::30 dev lb-test0 proto 202 metric 1024 pref medium'];

/** Everything that is not ours under the recorded settings, as text to compare. */
async function others(ns: Netns): Promise<string> {
  const parts = await Promise.all([
    routes(ns, 4, 198),
    routes(ns, 6, 198),
    routes(ns, 4, 'main'),
    routes(ns, 4, 1198).then((r) => r.filter((l) => !/ proto 202 /.test(l))),
    addresses(ns, 'kube-lb0'),
    addresses(ns, 'other0'),
  ]);
  return JSON.stringify(parts);
}

test('cleanup with a broken configuration: the recorded settings, ours only; no record or a bad one: refuses, touches nothing', { timeout: 120_000 }, async () => {
  requireRoot();
  const dir = mkdtempSync(join(tmpdir(), 'kla-cleanup-fallback-'));
  const state = join(dir, 'state');
  const cfg = join(dir, 'config.toml');
  const good = `[routing]\ntable = 1198\nprotocol = 202\n[interface]\nname = "lb-test0"\nkind = "bridge"\n[state]\ndirectory = "${state}"\n`;
  writeFileSync(cfg, good);
  const ns = await createNetns('clean-fallback');
  try {
    // The boot phase creates lb-test0 and records the settings it used.
    const boot = cli(ns, 'boot', '-c', cfg, '--log-level', 'warn');
    assert.equal(boot.status, 0, boot.stderr + boot.stdout);
    await ns.ip('link', 'set', 'lo', 'up');
    for (const dev of ['kube-lb0', 'other0']) {
      await ns.ip('link', 'add', dev, 'type', 'bridge');
      await ns.ip('link', 'set', dev, 'up');
    }
    await seedOurs(ns);
    // Not ours under the record: the default settings' things, another
    // protocol in our table, our protocol elsewhere, other interfaces.
    await ns.ip('route', 'add', '192.0.2.40/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
    await ns.ip('-6', 'route', 'add', '2001:db8:1::40/128', 'dev', 'kube-lb0', 'table', '198', 'proto', '202');
    await ns.ip('route', 'add', '192.0.2.41/32', 'dev', 'other0', 'table', '1198', 'proto', '201');
    await ns.ip('route', 'add', '192.0.2.42/32', 'dev', 'other0', 'proto', '202');
    await ns.ip('addr', 'add', '192.0.2.50/32', 'dev', 'kube-lb0');
    await ns.ip('addr', 'add', '192.0.2.51/32', 'dev', 'other0');
    const before = await others(ns);
    assert.deepEqual(await routes(ns, 4, 1198), ['192.0.2.41 dev other0 proto 201 scope 253', ...OURS4].sort());

    // An administrator breaks the configuration.
    writeFileSync(cfg, '[routing\ntable = 1198\n');
    const r = cli(ns, 'cleanup', '-c', cfg, '--state-directory', state, '--log-format', 'json');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const { lines, logs } = split(r.stdout);
    assert.deepEqual(lines, [
      'removed route 192.0.2.30/32 table 1198 proto 202 metric 0',
      'removed route 2001:db8:1::30/128 table 1198 proto 202 metric 1024',
      'removed address 192.0.2.60/32 dev lb-test0',
      'cleanup: removed 2 routes (table 1198, proto 202), 1 address (lb-test0)',
    ]);
    const said = logs.find((l) => l.reason === 'config-unusable');
    assert.ok(said, `a log line says the fallback: ${r.stdout}`);
    assert.equal(said.level, 'warn');
    assert.equal(said.table, 1198);
    assert.equal(said.protocol, 202);
    assert.equal(said.interface, 'lb-test0');
    assert.equal(said.record, join(state, 'kernel.json'));
    assert.match(String(said.msg), /configuration cannot be used .*config\.toml:1:.*recorded in .*kernel\.json \(table 1198, protocol 202, interface lb-test0\)/);
    assert.deepEqual(await routes(ns, 4, 1198), ['192.0.2.41 dev other0 proto 201 scope 253']);
    assert.deepEqual(await routes(ns, 6, 1198), []);
    assert.deepEqual(await addresses(ns, 'lb-test0'), []);
    assert.equal(await others(ns), before, 'nothing else touched');

    // A missing configuration file falls back the same way.
    await seedOurs(ns);
    const missing = cli(ns, 'cleanup', '-c', join(dir, 'gone.toml'), '--state-directory', state, '--log-level', 'silent');
    assert.equal(missing.status, 0, missing.stderr + missing.stdout);
    assert.equal(missing.stdout.split('\n').at(-2), 'cleanup: removed 2 routes (table 1198, proto 202), 1 address (lb-test0)');
    assert.equal(await others(ns), before);

    // A usable configuration wins over the record. (No address this time:
    // when an interface loses its last IPv4 address the kernel drops the
    // IPv4 routes through it, which would hide what cleanup left.)
    await seedOurs(ns, false);
    writeFileSync(cfg, `[routing]\ntable = 1198\n[interface]\nname = "lb-test0"\n[state]\ndirectory = "${state}"\n`);
    const valid = cli(ns, 'cleanup', '-c', cfg, '--log-level', 'silent');
    assert.equal(valid.status, 0, valid.stderr);
    assert.equal(valid.stdout.split('\n').at(-2), 'cleanup: removed 1 route (table 1198, proto 201), 0 addresses (lb-test0)');
    assert.deepEqual(await routes(ns, 4, 1198), OURS4, 'protocol 202 is not the configured one');
    assert.deepEqual(await routes(ns, 6, 1198), OURS6);
    await ns.ip('route', 'add', '192.0.2.41/32', 'dev', 'other0', 'table', '1198', 'proto', '201');
    await ns.ip('addr', 'add', '192.0.2.60/32', 'dev', 'lb-test0');

    // Broken configuration and no record, or a record that would point at the
    // main table: refuse with the configuration's own error, remove nothing.
    writeFileSync(cfg, '[routing\n');
    const kept = async () => {
      assert.deepEqual(await routes(ns, 4, 1198), ['192.0.2.41 dev other0 proto 201 scope 253', ...OURS4].sort());
      assert.deepEqual(await routes(ns, 6, 1198), OURS6);
      assert.deepEqual(await addresses(ns, 'lb-test0'), ['192.0.2.60/32']);
      assert.equal(await others(ns), before);
    };
    unlinkSync(join(state, 'kernel.json'));
    const none = cli(ns, 'cleanup', '-c', cfg, '--state-directory', state, '--log-format', 'json');
    assert.equal(none.status, 3, none.stderr + none.stdout);
    assert.match(none.stderr, /config\.toml:1:/);
    assert.deepEqual(split(none.stdout).lines, []);
    const refusal = split(none.stdout).logs.find((l) => l.reason === 'config-unusable');
    assert.equal(refusal?.level, 'error', none.stdout);
    assert.match(String(refusal?.msg), /no record .*kernel\.json: refusing to guess what is ours; nothing removed/);
    await kept();

    writeFileSync(join(state, 'kernel.json'), '{"table":254,"protocol":202,"interfaceName":"lb-test0"}\n');
    const bad = cli(ns, 'cleanup', '-c', cfg, '--state-directory', state, '--log-format', 'json');
    assert.equal(bad.status, 3, bad.stderr + bad.stdout);
    assert.match(String(split(bad.stdout).logs.find((l) => l.reason === 'config-unusable')?.msg), /kernel\.json is unusable: .*main table/);
    await kept();

    // The boot phase writes the record again from a good configuration.
    writeFileSync(cfg, good);
    const again = cli(ns, 'boot', '-c', cfg, '--log-level', 'warn');
    assert.equal(again.status, 0, again.stderr + again.stdout);
    writeFileSync(cfg, 'nonsense = \n');
    const after = cli(ns, 'cleanup', '-c', cfg, '--state-directory', state, '--log-level', 'silent');
    assert.equal(after.status, 0, after.stderr + after.stdout);
    assert.deepEqual(await routes(ns, 4, 1198), ['192.0.2.41 dev other0 proto 201 scope 253']);
    assert.equal(await others(ns), before);
  } finally {
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

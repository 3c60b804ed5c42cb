// The systemd unit as shipped in the .deb: systemd-analyze verify is clean,
// the offline security exposure is at most 2.0, and the settings that the
// agent's job depends on are there (and those that would break it are not).

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { binaryCommands, ensureDeb, requireRoot, requireTools, ROOT, run, UNIT, unitRoot } from './deb.ts';
import { readUnit, value, values, words } from './unit-file.ts';

const MAX_EXPOSURE = 2.0;
const dirs: string[] = [];

let deb = '';
before(() => {
  requireRoot();
  requireTools('systemd-analyze', 'dpkg-deb', 'dpkg-buildpackage', 'dh', 'man');
  deb = ensureDeb();
});
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function analyze(args: string[], root: string) {
  return run('systemd-analyze', [...args, `--root=${root}`, 'kube-lb-agent.service'], {
    env: { ...process.env, MANPATH: join(root, 'usr', 'share', 'man'), SYSTEMD_LOG_COLOR: '0' },
  });
}

describe('systemd unit as shipped', () => {
  test('the shipped unit is systemd/kube-lb-agent.service', () => {
    const root = unitRoot(deb, { withBinary: true });
    dirs.push(root);
    const shipped = readFileSync(join(root, 'lib', 'systemd', 'system', 'kube-lb-agent.service'), 'utf8');
    assert.equal(shipped, readFileSync(UNIT, 'utf8'));
  });

  test('systemd-analyze verify: no errors, no warnings', () => {
    const root = unitRoot(deb, { withBinary: true });
    dirs.push(root);
    const r = analyze(['verify'], root);
    assert.equal(r.status, 0, `systemd-analyze verify failed:\n${r.stdout}${r.stderr}`);
    // Unknown keys and bad values are only logged, with exit status 0.
    assert.equal(r.stderr.trim(), '', `systemd-analyze verify warned:\n${r.stderr}`);
  });

  test('systemd-analyze verify fails when the executable is missing (the check can fail)', () => {
    const root = unitRoot(deb, { withBinary: false });
    dirs.push(root);
    const r = analyze(['verify'], root);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/usr\/bin\/kube-lb-agent is not executable/);
  });

  test(`offline security exposure is at most ${MAX_EXPOSURE}`, () => {
    const root = unitRoot(deb, { withBinary: true });
    dirs.push(root);
    const r = analyze(['security', '--offline=true', '--no-pager'], root);
    const m = /Overall exposure level for kube-lb-agent\.service: (\d+(?:\.\d+)?) (\S+)/.exec(r.stdout);
    assert.ok(m, `no exposure level in:\n${r.stdout}${r.stderr}`);
    const exposure = Number(m[1]);
    assert.ok(exposure <= MAX_EXPOSURE, `exposure ${exposure} ${m[2]} > ${MAX_EXPOSURE}:\n${r.stdout}`);
    // --threshold is on the 0–100 scale: 20 is an exposure of 2.0.
    const t = analyze(['security', '--offline=true', '--no-pager', `--threshold=${MAX_EXPOSURE * 10}`], root);
    assert.equal(t.status, 0, `security --threshold=${MAX_EXPOSURE * 10} failed:\n${t.stdout}`);
  });
});

describe('what the agent needs from its unit', () => {
  const unit = readUnit(UNIT);

  test('readiness: the boot phase runs before the unit counts as started', () => {
    assert.equal(value(unit, 'Service', 'Type'), 'exec');
    assert.deepEqual(values(unit, 'Service', 'ExecStartPre'), ['/usr/bin/kube-lb-agent boot']);
    assert.deepEqual(values(unit, 'Service', 'ExecStart'), ['/usr/bin/kube-lb-agent run']);
    assert.equal(value(unit, 'Service', 'NotifyAccess'), undefined);
  });

  test('ordering: after the network, before kubelet, k3s and k0s', () => {
    assert.ok(words(unit, 'Unit', 'After').includes('network-online.target'));
    assert.ok(words(unit, 'Unit', 'Wants').includes('network-online.target'));
    const before = words(unit, 'Unit', 'Before');
    for (const u of ['kubelet.service', 'k3s.service', 'k3s-agent.service', 'k0sworker.service', 'k0scontroller.service']) {
      assert.ok(before.includes(u), `Before= lacks ${u}`);
    }
    assert.deepEqual(words(unit, 'Install', 'WantedBy'), ['multi-user.target']);
  });

  test('restart on failure, with a start limit and a stop that leaves time to drain', () => {
    assert.equal(value(unit, 'Service', 'Restart'), 'on-failure');
    assert.ok(value(unit, 'Service', 'RestartSec'));
    assert.ok(value(unit, 'Unit', 'StartLimitIntervalSec'));
    assert.ok(value(unit, 'Unit', 'StartLimitBurst'));
    assert.equal(value(unit, 'Service', 'KillMode'), 'mixed');
    const stop = Number.parseInt(value(unit, 'Service', 'TimeoutStopSec') ?? '0', 10);
    assert.ok(stop >= 10, `TimeoutStopSec=${stop}s leaves no room for a drain`);
  });

  test('identity: the static user of the package, with CAP_NET_ADMIN only', () => {
    assert.equal(value(unit, 'Service', 'User'), 'kube-lb-agent');
    assert.equal(value(unit, 'Service', 'DynamicUser'), undefined);
    const sysusers = readFileSync(join(ROOT, 'debian', 'kube-lb-agent.sysusers'), 'utf8');
    assert.match(sysusers, /^u kube-lb-agent /m);
    assert.deepEqual(words(unit, 'Service', 'CapabilityBoundingSet'), ['CAP_NET_ADMIN']);
    assert.deepEqual(words(unit, 'Service', 'AmbientCapabilities'), ['CAP_NET_ADMIN']);
    assert.equal(value(unit, 'Service', 'NoNewPrivileges'), 'yes');
  });

  test('nothing that would stop the agent from doing its job', () => {
    // Host network namespace and the init user namespace: routes in the host's table 198.
    assert.notEqual(value(unit, 'Service', 'PrivateNetwork'), 'yes');
    assert.notEqual(value(unit, 'Service', 'PrivateUsers'), 'yes');
    // V8's JIT needs memory that becomes executable after it is written.
    assert.notEqual(value(unit, 'Service', 'MemoryDenyWriteExecute'), 'yes');
    // /proc/sys/kernel/random/boot_id must stay readable.
    assert.notEqual(value(unit, 'Service', 'ProcSubset'), 'pid');
    // The API server may be at any address.
    assert.deepEqual(values(unit, 'Service', 'IPAddressDeny'), []);
    // The native addon is dlopen'ed from the state directory.
    assert.deepEqual(values(unit, 'Service', 'NoExecPaths'), []);
    assert.deepEqual(values(unit, 'Service', 'StateDirectory'), ['kube-lb-agent']);
    assert.equal(value(unit, 'Service', 'ProtectSystem'), 'strict');
    // netlink for the kernel, unix for D-Bus, inet for the API and HTTP.
    const families = words(unit, 'Service', 'RestrictAddressFamilies');
    for (const f of ['AF_NETLINK', 'AF_UNIX', 'AF_INET', 'AF_INET6']) assert.ok(families.includes(f), `lacks ${f}`);
    // A filtered system call fails with an error instead of killing the agent.
    assert.equal(value(unit, 'Service', 'SystemCallErrorNumber'), 'EPERM');
  });

  test('journald: syslog priority prefixes are honoured', () => {
    assert.notEqual(value(unit, 'Service', 'SyslogLevelPrefix'), 'no');
    assert.notEqual(value(unit, 'Service', 'StandardOutput'), 'null');
  });

  test('OnFailure= cleanup exactly when the binary has a cleanup command', () => {
    const hasCleanup = binaryCommands().includes('cleanup');
    const onFailure = words(unit, 'Unit', 'OnFailure');
    if (hasCleanup) {
      assert.deepEqual(onFailure, ['kube-lb-agent-cleanup.service']);
      const cleanup = readUnit(join(ROOT, 'systemd', 'kube-lb-agent-cleanup.service'));
      assert.deepEqual(values(cleanup, 'Service', 'ExecStart'), ['/usr/bin/kube-lb-agent cleanup']);
    } else {
      assert.deepEqual(onFailure, [], 'OnFailure= names a unit whose command the binary does not have');
    }
  });
});

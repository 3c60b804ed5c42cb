// apt-get install of the built .deb on this machine, then apt-get purge:
// the files, the user, the iproute2 names and the binary work after install,
// and nothing of the package is left after purge. Changes this machine: it
// installs and purges the package kube-lb-agent (purging a leftover first).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BINARY, ensureDeb, ok, packageVersion, requireRoot, requireTools, ROOT, run, tempDir, UNIT } from './deb.ts';

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// Other sessions may be using apt on this machine: wait for its lock.
const APT_OPTS = ['-o', 'DPkg::Lock::Timeout=300', '-y'];
const STATE_DIR = '/var/lib/kube-lb-agent';
const CONF_DIR = '/etc/kube-lb-agent';

let deb = '';
let debPaths: string[] = [];
const existedBefore = new Set<string>();
let installedList: string[] = [];
const scratch: string[] = [];

function installed(): boolean {
  return run('dpkg-query', ['-W', '-f=${db:Status-Status}', 'kube-lb-agent']).stdout.trim() === 'installed';
}
function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
function gone(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch {
    return true;
  }
}

before(() => {
  requireRoot();
  requireTools('apt-get', 'dpkg-deb', 'dpkg-buildpackage', 'dh', 'ip', 'unshare', 'getent', 'man');
  deb = ensureDeb();
  if (run('dpkg-query', ['-W', 'kube-lb-agent']).status === 0) {
    ok('apt-get', ['purge', ...APT_OPTS, 'kube-lb-agent'], { env: APT_ENV });
  }
  debPaths = ok('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -t', 'sh', deb])
    .stdout.split('\n')
    .map((p) => p.replace(/^\.\/?/, '/').replace(/\/$/, ''))
    .filter((p) => p !== '' && p !== '/');
  for (const p of [...debPaths, CONF_DIR, STATE_DIR]) if (!gone(p)) existedBefore.add(p);
});

after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
  // A failure half-way must not leave the package on the machine.
  if (run('dpkg-query', ['-W', 'kube-lb-agent']).status === 0) {
    run('apt-get', ['purge', ...APT_OPTS, 'kube-lb-agent'], { env: APT_ENV });
  }
});

describe('apt-get install, then apt-get purge', () => {
  test('apt-get install ./dist/kube-lb-agent_<version>_amd64.deb succeeds', () => {
    assert.equal(getentUser(), undefined, 'a user kube-lb-agent exists before the install');
    const r = run('apt-get', ['install', ...APT_OPTS, '--no-install-recommends', deb], { env: APT_ENV });
    assert.equal(r.status, 0, `apt-get install failed:\n${r.stdout}${r.stderr}`);
    assert.ok(installed());
    installedList = ok('dpkg-query', ['-L', 'kube-lb-agent']).stdout.split('\n').filter((l) => l.startsWith('/') && l !== '/.');
  });

  test('the files are in place, byte for byte', () => {
    assert.equal(sha256('/usr/bin/kube-lb-agent'), sha256(BINARY), 'the binary was changed (stripped?) on its way into the package');
    assert.equal(lstatSync('/usr/bin/kube-lb-agent').mode & 0o777, 0o755);
    assert.equal(readFileSync('/lib/systemd/system/kube-lb-agent.service', 'utf8'), readFileSync(UNIT, 'utf8'));
    assert.equal(readFileSync(`${CONF_DIR}/config.toml`, 'utf8'), readFileSync(join(ROOT, 'packaging', 'config.toml'), 'utf8'));
    assert.match(readFileSync('/etc/iproute2/rt_tables.d/kube-lb.conf', 'utf8'), /^198\s+kube-lb$/m);
    assert.match(readFileSync('/etc/iproute2/rt_protos.d/kube-lb.conf', 'utf8'), /^201\s+kube-lb$/m);
    assert.match(readFileSync('/usr/lib/sysusers.d/kube-lb-agent.conf', 'utf8'), /^u kube-lb-agent /m);
    assert.ok(existsSync('/usr/share/doc/kube-lb-agent/copyright'));
    assert.equal(ok('man', ['-w', 'kube-lb-agent']).stdout.trim(), '/usr/share/man/man8/kube-lb-agent.8.gz');
  });

  test('the configuration file is a conffile', () => {
    const conffiles = ok('dpkg-query', ['-W', '-f=${Conffiles}', 'kube-lb-agent']).stdout;
    for (const f of [`${CONF_DIR}/config.toml`, '/etc/iproute2/rt_tables.d/kube-lb.conf', '/etc/iproute2/rt_protos.d/kube-lb.conf']) {
      assert.match(conffiles, new RegExp(`^ ${f} [0-9a-f]{32}$`, 'm'), `${f} is not a conffile`);
    }
  });

  test('the system user and group exist', () => {
    const user = getentUser();
    assert.ok(user, 'no user kube-lb-agent');
    const [, , uid, gid, , home, shell] = user.split(':');
    assert.ok(Number(uid) > 0 && Number(uid) < 1000, `uid ${uid} is not a system uid`);
    assert.equal(home, STATE_DIR);
    assert.equal(shell, '/usr/sbin/nologin');
    const group = ok('getent', ['group', 'kube-lb-agent']).stdout.trim();
    assert.equal(group.split(':')[2], gid);
  });

  test('the unit is enabled, not started (no systemd running here to start it)', () => {
    const link = '/etc/systemd/system/multi-user.target.wants/kube-lb-agent.service';
    assert.ok(lstatSync(link).isSymbolicLink(), `${link} is missing`);
  });

  test('ip resolves the table name kube-lb', () => {
    const r = run('ip', ['route', 'show', 'table', 'kube-lb']);
    assert.doesNotMatch(r.stderr, /invalid/i, r.stderr);
    // Table 198 may not exist yet on this host: that is the only error allowed.
    assert.ok(r.status === 0 || /FIB table does not exist/.test(r.stderr), r.stderr);
  });

  test('ip resolves the protocol name kube-lb', () => {
    const r = run('ip', ['route', 'show', 'proto', 'kube-lb']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  test('a route added by name shows by name (in a scratch network namespace)', () => {
    const script = [
      'ip route add blackhole 192.0.2.1/32 table kube-lb proto kube-lb',
      'ip -6 route add blackhole 2001:db8::1/128 table kube-lb proto kube-lb',
      'ip route show table 198',
      'ip -6 route show table kube-lb proto kube-lb',
    ].join(' && ');
    const out = ok('unshare', ['--net', 'sh', '-ec', script]).stdout;
    assert.match(out, /^blackhole 192\.0\.2\.1 proto kube-lb/m);
    assert.match(out, /^blackhole 2001:db8::1 /m);
  });

  test('kube-lb-agent version runs from /usr/bin', () => {
    const cwd = tempDir('empty-cwd');
    scratch.push(cwd);
    const r = run('kube-lb-agent', ['version'], { cwd, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    assert.equal(r.status, 0, `kube-lb-agent version failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`kube-lb-agent ${packageVersion().replaceAll('.', '\\.')}\\b`));
  });

  test('the shipped configuration passes check-config', () => {
    const r = run('/usr/bin/kube-lb-agent', ['check-config', '--config', `${CONF_DIR}/config.toml`]);
    assert.equal(r.status, 0, `check-config failed:\n${r.stdout}${r.stderr}`);
  });

  test('apt-get purge leaves nothing behind', () => {
    // What the agent leaves at run time: its state and the extracted addon.
    mkdirSync(`${STATE_DIR}/addons`, { recursive: true });
    writeFileSync(`${STATE_DIR}/boot-id`, 'x\n');
    writeFileSync(`${STATE_DIR}/addons/netlink-0000.node`, '');
    const user = getentUser()?.split(':');
    if (user) chownSync(`${STATE_DIR}/addons`, Number(user[2]), Number(user[3]));
    // And what dpkg leaves beside a changed conffile.
    writeFileSync(`${CONF_DIR}/config.toml.dpkg-old`, '# old\n');

    const r = run('apt-get', ['purge', ...APT_OPTS, 'kube-lb-agent'], { env: APT_ENV });
    assert.equal(r.status, 0, `apt-get purge failed:\n${r.stdout}${r.stderr}`);
    assert.equal(run('dpkg-query', ['-W', 'kube-lb-agent']).status, 1, 'dpkg still knows the package');

    const left: string[] = [];
    for (const p of new Set([...debPaths, ...installedList, CONF_DIR, STATE_DIR])) {
      if (!existedBefore.has(p) && !gone(p)) left.push(p);
    }
    const links = ['/etc/systemd/system/multi-user.target.wants/kube-lb-agent.service',
      '/var/lib/systemd/deb-systemd-helper-enabled/kube-lb-agent.service.dsh-also',
      '/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/kube-lb-agent.service'];
    for (const l of links) if (!gone(l)) left.push(l);
    assert.deepEqual(left, [], `left behind after purge: ${left.join(', ')}`);
    assert.equal(getentUser(), undefined, 'the user kube-lb-agent is still there');
    assert.equal(run('getent', ['group', 'kube-lb-agent']).status, 2, 'the group kube-lb-agent is still there');
  });
});

function getentUser(): string | undefined {
  const r = run('getent', ['passwd', 'kube-lb-agent']);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

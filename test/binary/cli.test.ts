// The built single executable, run the way an operator runs it: copied into an
// empty directory with no node_modules anywhere above it and no Node on PATH.
// Needs: `npm run build` (dist/kube-lb-agent); root for the network namespace.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertExitCase, cliFor, exitCases, repoRoot, tempConfig } from '../helpers/cli.ts';
import { assertRenderExitCase, renderExitCases } from '../render/cli-cases.ts';

const built = join(repoRoot, 'dist', 'kube-lb-agent');
const empty = mkdtempSync('/tmp/kla-bin-');
const bin = join(empty, 'kube-lb-agent');
const addonDir = join(empty, 'addons');
const ns = `kla-bin-${process.pid}`;
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: empty, KUBE_LB_AGENT_ADDON_DIR: addonDir };
const cli = cliFor([bin]);
const run = (args: string[]) => cli(args, { cwd: empty, env });

before(() => {
  assert.ok(existsSync(built), `${built} is missing: run \`npm run build\` first`);
  assert.equal(process.getuid?.(), 0, 'needs root: creates a network namespace');
  for (let d = empty; d !== '/'; d = join(d, '..')) {
    assert.ok(!existsSync(join(d, 'node_modules')), `${d}/node_modules would be reachable`);
  }
  assert.ok(!existsSync('/node_modules'));
  copyFileSync(built, bin);
  spawnSync('chmod', ['755', bin]);
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(empty, { recursive: true, force: true });
});

for (const c of exitCases) {
  test(`binary: ${c.name}`, () => assertExitCase((args, o) => cli(args, { cwd: empty, env, ...o }), c));
}

// render bird|frr: exit codes and messages (test/render/cli-cases.ts), fixtures by absolute path.
for (const c of renderExitCases) {
  test(`binary: ${c.name}`, () => assertRenderExitCase((args, o) => cli(args, { cwd: empty, env, ...o }), c));
}

test('binary: version --verbose loads the embedded netlink addon and sees exactly the links of a fresh namespace', () => {
  const r = spawnSync('ip', ['netns', 'exec', ns, bin, 'version', '--verbose'], { encoding: 'utf8', cwd: empty, env });
  assert.equal(r.status, 0, r.stderr);
  // Nothing on stderr: e.g. V8's "Code cache data rejected" when the build made the cache with other flags.
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^node: v24\./m);
  assert.match(r.stdout, /\(single executable\)/);
  assert.match(r.stdout, /netlink: ok, 1 link\(s\)\n\s+1 lo\s/);
  const files = readdirSync(addonDir);
  assert.equal(files.length, 1, `one content-hashed addon file: ${files}`);
  assert.match(files[0]!, /^netlink-[0-9a-f]{16}\.node$/);
  const first = statSync(join(addonDir, files[0]!));
  // A second start reuses the verified file instead of writing it again.
  const again = run(['version', '--verbose']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(statSync(join(addonDir, files[0]!)).mtimeMs, first.mtimeMs);
});

test('binary: a corrupted extracted addon is detected and replaced', () => {
  const r0 = run(['version', '--verbose']);
  assert.equal(r0.status, 0, r0.stderr);
  const file = join(addonDir, readdirSync(addonDir)[0]!);
  spawnSync('sh', ['-c', `chmod 600 '${file}' && printf garbage > '${file}'`]);
  const r = run(['version', '--verbose']);
  assert.equal(r.status, 0, r.stderr);
  assert.notEqual(readFileSync(file).subarray(0, 4).toString('latin1'), 'garb');
});

// boot and run touch the kernel (sweep, kube-lb0): inside the test's namespace,
// with a bridge (this kernel has no dummy driver).
const inNs = (args: string[]) => spawnSync('ip', ['netns', 'exec', ns, bin, ...args], { encoding: 'utf8', cwd: empty, env, timeout: 30_000 });
const nsConfig = () => tempConfig('\n[interface]\nkind = "bridge"\n');

test('binary: boot records the boot id; a second boot is a restart within the same boot', () => {
  const cfg = nsConfig();
  const run = inNs;
  const first = run(['boot', '-c', cfg.path]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /"boot":"fresh"/);
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  assert.equal(readFileSync(join(cfg.dir, 'state', 'boot_id'), 'utf8').trim(), bootId);
  const second = run(['boot', '-c', cfg.path]);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /"boot":"same"/);
});

test('binary: run serves until SIGTERM and exits 0', async () => {
  const cfg = nsConfig();
  const child = spawn('ip', ['netns', 'exec', ns, bin, 'run', '-c', cfg.path], { cwd: empty, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "agent running" line: ${out}`)), 10_000);
    child.stdout.on('data', () => {
      if (out.includes('agent running')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0);
  assert.match(out, /"op":"stop","signal":"SIGTERM"/);
});

test("binary: root never loads the addon from the agent user's directory; it falls back to a private one", () => {
  // As the package's prerm does: root runs `cleanup` while the state
  // directory's addons/ belongs to the kube-lb-agent user.
  const cfg = tempConfig('\n[interface]\nkind = "bridge"\n');
  const userDir = join(cfg.dir, 'state', 'addons');
  spawnSync('mkdir', ['-p', userDir]);
  spawnSync('chown', ['nobody', userDir]);
  spawnSync('chmod', ['700', userDir]);
  const { KUBE_LB_AGENT_ADDON_DIR: _forced, ...noForce } = env;
  spawnSync('ip', ['-n', ns, 'link', 'add', 'kube-lb0', 'type', 'bridge']);
  const r = spawnSync('ip', ['netns', 'exec', ns, bin, 'cleanup', '-c', cfg.path], { encoding: 'utf8', cwd: empty, env: noForce });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cleanup: removed 0 routes/);
  assert.deepEqual(readdirSync(userDir), [], 'nothing written into the other user\'s directory');
});

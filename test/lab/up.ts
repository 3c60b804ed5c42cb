// Brings a lab up and keeps it until Ctrl-C (or SIGTERM), then takes it all
// down: for looking around by hand. As root, after `npm run build`:
//   ./node_modules/.bin/node test/lab/up.ts [--variant bird-kernel|bird-direct|frr-import-table|frr-connected]
//                                           [--election all|per-service|leader]

import { parseArgs } from 'node:util';
import { VARIANTS, type Variant } from './daemons.ts';
import { Lab } from './lab.ts';
import { describePaths } from './router.ts';

const { values } = parseArgs({ options: { variant: { type: 'string' }, election: { type: 'string' } } });
const variant = (values.variant ?? 'bird-kernel') as Variant;
if (!VARIANTS.includes(variant)) throw new Error(`--variant: one of ${VARIANTS.join(', ')}`);
const election = (values.election ?? 'all') as 'all' | 'per-service' | 'leader';
if (!['all', 'per-service', 'leader'].includes(election)) throw new Error('--election: all, per-service or leader');

const t0 = Date.now();
const lab = await Lab.up({ variant, settings: { election }, log: (l) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${l}\n`) });
const say = (s: string) => process.stdout.write(`${s}\n`);
say(`\nrouter: ${describePaths(await lab.paths())}\n`);
say(`router table:     ip netns exec ${lab.net.router} ip route; ip netns exec ${lab.net.router} ip -6 route`);
say(`router BIRD:      birdc -s ${lab.routerBird.socket} show route`);
for (const n of lab.nodes) {
  const a = lab.agent(n.name);
  say(`${n.name}: status   ip netns exec ${n.ns} ${lab.bin} status -c ${a.config}`);
  say(`       table 198 ip -n ${n.ns} route show table 198`);
}
say(`client:           ip netns exec ${lab.net.client} ./node_modules/.bin/node test/lab/bin/traffic-client.ts 198.51.100.10 8080 --flows 30`);
say(`\nCtrl-C tears it all down.`);
await new Promise(() => {});

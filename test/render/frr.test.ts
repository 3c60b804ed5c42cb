// The rendered FRR configurations in a real zebra + bgpd (Debian's FRR 8.4),
// in a fresh network namespace, loaded with `vtysh -b` as the frr service
// loads frr.conf. What reaches bgpd's table is what would be announced.
// import-table: the pools' prefixes with the agent's metric pass; another
// metric, outside the pools, the pool itself do not; a route of ANOTHER
// protocol with a pool prefix and the same metric DOES pass (FRR keeps no
// kernel protocol number: the limit the rendered file states), IPv6 does not
// pass at all (8.4 has no ipv6 import-table), and zebra copies the imported
// routes into the main table. connected: only addresses on the agent's
// interface inside the pools. Configuration: dual-aggregated.toml (table 210,
// protocol 202, metric 77, interface lb-test0). Needs root, frr.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, type Netns } from '../kernel/helpers/netns.ts';
import { cases, renderCase } from './cases.ts';
import { requireDaemons, startFrr, waitFor, type Frr } from './daemons.ts';

let ns: Netns;
const daemons: Frr[] = [];

before(async () => {
  requireDaemons();
  ns = await createNetns('render-frr');
  await ns.ip('link', 'set', 'lo', 'up');
  for (const link of ['lb-test0', 'other0']) {
    await ns.ip('link', 'add', link, 'type', 'bridge');
    await ns.ip('link', 'set', link, 'up');
  }
  await ns.ip('addr', 'add', '10.9.9.1/24', 'dev', 'other0');
});

after(async () => {
  for (const d of daemons) await d.stop();
  await ns?.remove();
});

async function bgpTable(frr: Frr, family: 4 | 6): Promise<string[]> {
  const out = await frr.vtysh(family === 4 ? 'show ip bgp json' : 'show bgp ipv6 unicast json');
  const json = JSON.parse(out) as { routes?: Record<string, unknown> };
  return Object.keys(json.routes ?? {}).sort();
}

/** Waits until bgpd holds `sentinel` — added after everything else, so all before it has been processed — and returns the table. */
async function tableWith(frr: Frr, family: 4 | 6, sentinel: string): Promise<string[]> {
  return waitFor(`bgpd to hold ${sentinel}`, async () => {
    const t = await bgpTable(frr, family);
    return t.includes(sentinel) ? t : undefined;
  });
}

function assertCleanLoad(frr: Frr): void {
  const bad = frr.logs().split('\n').filter((l) => /failed|Unknown command|error|Invalid|out of the allowed range|Backtrace/i.test(l) && !/MPLS/.test(l));
  assert.deepEqual(bad, [], 'zebra and bgpd took every line of the rendered file');
}

const renderOf = (name: string) => renderCase(cases.find((c) => c.name === name)!).text;

test('FRR import-table variant: the pools at the agent\'s metric reach bgpd; the stated limits hold', async () => {
  const add = (dst: string, proto: string, metric: string) =>
    ns.ip('route', 'add', dst, 'dev', 'lb-test0', 'table', '210', 'proto', proto, 'metric', metric);
  const ours = ['192.0.2.10/32', '192.0.2.16/28', '198.51.100.7/32'];
  for (const dst of ours) await add(dst, '202', '77');
  await add('192.0.2.12/32', '202', '5');
  await add('192.0.2.0/24', '202', '77');
  await add('192.0.2.32/27', '202', '77');
  await add('203.0.113.1/32', '202', '77');
  await add('0.0.0.0/0', '202', '77');
  await add('192.0.2.11/32', 'boot', '77');
  await add('2001:db8:1::10/128', '202', '77');

  const frr = await startFrr(ns.name, renderOf('frr-import-table-dual-aggregated'));
  daemons.push(frr);
  assert.match(await frr.vtysh('show running-config'), /^ip import-table 210 route-map KUBE-LB-IMPORT-V4$/m);
  await tableWith(frr, 4, '192.0.2.10/32');
  await add('192.0.2.99/32', '202', '77');
  const v4 = await tableWith(frr, 4, '192.0.2.99/32');
  // 192.0.2.11/32 is proto boot: FRR cannot tell it from the agent's, as the file says.
  assert.deepEqual(v4, [...ours, '192.0.2.11/32', '192.0.2.99/32'].sort());
  assert.deepEqual(await bgpTable(frr, 6), [], 'FRR 8.4 imports no IPv6 table');
  assert.match(renderOf('frr-import-table-dual-aggregated'), /IS exported/);
  // zebra's copy in the main table, as the file says.
  assert.match(await ns.ip('route', 'show', 'table', 'main', 'proto', 'zebra'), /^192\.0\.2\.10 .*dev lb-test0/m);
  assertCleanLoad(frr);

  await ns.ip('route', 'del', '192.0.2.10/32', 'table', '210');
  await waitFor('bgpd to drop the withdrawn route', async () => ((await bgpTable(frr, 4)).includes('192.0.2.10/32') ? undefined : true));
  await frr.stop();
  await ns.ip('route', 'flush', 'table', '210');
});

test('FRR connected variant: only the addresses on the agent\'s interface inside the pools reach bgpd', async () => {
  const addr = (a: string, dev: string, ...flags: string[]) => ns.ip('addr', 'add', a, 'dev', dev, ...flags);
  await addr('192.0.2.10/32', 'lb-test0', 'noprefixroute');
  await addr('192.0.2.20/28', 'lb-test0', 'noprefixroute');
  await addr('2001:db8:1::10/128', 'lb-test0', 'nodad', 'noprefixroute');
  await addr('2001:db8:1::20/120', 'lb-test0', 'nodad', 'noprefixroute');
  await addr('203.0.113.1/32', 'lb-test0', 'noprefixroute');
  await addr('192.0.2.30/32', 'other0');
  await addr('2001:db8:1::30/128', 'other0', 'nodad');

  const frr = await startFrr(ns.name, renderOf('frr-connected-dual-aggregated'));
  daemons.push(frr);
  await tableWith(frr, 4, '192.0.2.10/32');
  await addr('192.0.2.99/32', 'lb-test0', 'noprefixroute');
  await addr('2001:db8:1::99/128', 'lb-test0', 'nodad', 'noprefixroute');
  assert.deepEqual(await tableWith(frr, 4, '192.0.2.99/32'), ['192.0.2.10/32', '192.0.2.16/28', '192.0.2.99/32']);
  assert.deepEqual(await tableWith(frr, 6, '2001:db8:1::99/128'), ['2001:db8:1::/120', '2001:db8:1::10/128', '2001:db8:1::99/128'], 'not fe80::/64 either');
  assertCleanLoad(frr);
  await frr.stop();
});

// The rendered BIRD configurations in a real BIRD 2 (Debian's 2.0.12), in a
// fresh network namespace: the kernel variant learns exactly the agent's
// routes from its table (its protocol, inside a pool, host routes or the
// aggregate) and the direct variant exactly the agent's addresses on its
// interface; the export filter passes what was learned. The configuration is
// dual-aggregated.toml: table 210, protocol 202, interface lb-test0, so every
// value is read from the agent's config. Needs root, bird2. The kernel here
// has no dummy driver: the interface is a bridge, as in test/kernel.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, type Netns } from '../kernel/helpers/netns.ts';
import { cases, renderCase } from './cases.ts';
import { requireDaemons, startBird, waitFor, type Bird } from './daemons.ts';

let ns: Netns;
const birds: Bird[] = [];

before(async () => {
  requireDaemons();
  ns = await createNetns('render-bird');
  await ns.ip('link', 'set', 'lo', 'up');
  for (const link of ['lb-test0', 'other0']) {
    await ns.ip('link', 'add', link, 'type', 'bridge');
    await ns.ip('link', 'set', link, 'up');
  }
  await ns.ip('addr', 'add', '10.9.9.1/24', 'dev', 'other0');
});

after(async () => {
  for (const b of birds) await b.stop();
  await ns?.remove();
});

/** The prefixes in a BIRD table, from `show route` (optionally through a named filter). */
async function routes(bird: Bird, table: 'master4' | 'master6', filter?: string): Promise<string[]> {
  const out = await bird.birdc('show', 'route', 'table', table, ...(filter ? ['filter', filter] : []));
  return out
    .split('\n')
    .map((l) => /^(\S+\/\d+)\s/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined)
    .sort();
}

async function settle(bird: Bird, table: 'master4' | 'master6', want: readonly string[]): Promise<string[]> {
  // What BIRD holds once it has what we expect; if it never has, the last view fails the assertion below.
  let last: string[] = [];
  try {
    await waitFor(`${table} to hold ${want.join(' ')}`, async () => {
      last = await routes(bird, table);
      return want.every((p) => last.includes(p)) ? true : undefined;
    }, 15_000);
  } catch {
    // fall through: the equality below shows the difference
  }
  return last;
}

const renderOf = (name: string) => renderCase(cases.find((c) => c.name === name)!).text;

test('BIRD kernel variant: learns only the agent\'s protocol, inside the pools, host routes and aggregates', async () => {
  const add = (dst: string, proto: string, table = '210') => ns.ip('route', 'add', dst, 'dev', 'lb-test0', 'table', table, 'proto', proto);
  const ours4 = ['192.0.2.10/32', '192.0.2.16/28', '198.51.100.7/32'];
  const ours6 = ['2001:db8:1::10/128', '2001:db8:1::/120'];
  for (const dst of [...ours4, ...ours6]) await add(dst, '202');
  // Not ours: other protocols in the table, our protocol outside the pools, the pool itself, a wrong length, a default, another table.
  await add('192.0.2.11/32', 'boot');
  await add('192.0.2.12/32', '248');
  await add('192.0.2.0/24', '202');
  await add('192.0.2.32/27', '202');
  await add('203.0.113.1/32', '202');
  await add('0.0.0.0/0', '202');
  await add('2001:db8:1::11/128', 'static');
  await add('2001:db8:2::1/128', '202');
  await add('::/0', '202');
  await add('192.0.2.13/32', '202', 'main');

  const bird = await startBird(ns.name, renderOf('bird-kernel-dual-aggregated'));
  birds.push(bird);
  assert.deepEqual(await settle(bird, 'master4', ours4), [...ours4].sort());
  assert.deepEqual(await settle(bird, 'master6', ours6), [...ours6].sort());
  assert.deepEqual(await routes(bird, 'master4', 'kube_lb_export_v4'), [...ours4].sort(), 'the export filter passes what was learned');
  assert.deepEqual(await routes(bird, 'master6', 'kube_lb_export_v6'), [...ours6].sort());

  // The agent adds and withdraws while BIRD runs: netlink carries both.
  await add('192.0.2.20/32', '202');
  await ns.ip('route', 'del', '192.0.2.10/32', 'table', '210');
  await ns.ip('route', 'add', '192.0.2.21/32', 'dev', 'lb-test0', 'table', '210', 'proto', 'boot');
  const after4 = ['192.0.2.16/28', '192.0.2.20/32', '198.51.100.7/32'];
  let now4: string[] = [];
  await waitFor('BIRD to follow the table', async () => {
    now4 = await routes(bird, 'master4');
    return now4.includes('192.0.2.20/32') && !now4.includes('192.0.2.10/32') ? true : undefined;
  }, 15_000).catch(() => {});
  assert.deepEqual(now4, after4.sort());
  // BIRD wrote nothing into the agent's table.
  assert.doesNotMatch(await ns.ip('route', 'show', 'table', '210', 'proto', 'bird'), /\S/);
  await bird.stop();
});

test('BIRD direct variant: learns only the addresses on the agent\'s interface inside the pools', async () => {
  await ns.ip('route', 'flush', 'table', '210');
  const addr = (a: string, dev: string, ...flags: string[]) => ns.ip('addr', 'add', a, 'dev', dev, ...flags);
  // As the agent writes them: noprefixroute (and nodad for IPv6).
  await addr('192.0.2.10/32', 'lb-test0', 'noprefixroute');
  await addr('192.0.2.20/28', 'lb-test0', 'noprefixroute');
  await addr('2001:db8:1::10/128', 'lb-test0', 'nodad', 'noprefixroute');
  await addr('2001:db8:1::20/120', 'lb-test0', 'nodad', 'noprefixroute');
  // Not exported: outside the pools (on the interface), inside a pool on another interface.
  await addr('203.0.113.1/32', 'lb-test0', 'noprefixroute');
  await addr('192.0.2.30/32', 'other0');
  await addr('2001:db8:1::30/128', 'other0', 'nodad');

  const bird = await startBird(ns.name, renderOf('bird-direct-dual-aggregated'));
  birds.push(bird);
  const ours4 = ['192.0.2.10/32', '192.0.2.16/28'];
  const ours6 = ['2001:db8:1::10/128', '2001:db8:1::/120'];
  assert.deepEqual(await settle(bird, 'master4', ours4), [...ours4].sort());
  assert.deepEqual(await settle(bird, 'master6', ours6), [...ours6].sort(), 'not the link-local fe80::/64 either');
  assert.deepEqual(await routes(bird, 'master4', 'kube_lb_export_v4'), [...ours4].sort());
  assert.deepEqual(await routes(bird, 'master6', 'kube_lb_export_v6'), [...ours6].sort());

  await ns.ip('addr', 'del', '192.0.2.10/32', 'dev', 'lb-test0');
  let now4: string[] = [];
  await waitFor('BIRD to drop the deleted address', async () => {
    now4 = await routes(bird, 'master4');
    return now4.includes('192.0.2.10/32') ? undefined : true;
  }, 15_000).catch(() => {});
  assert.deepEqual(now4, ['192.0.2.16/28']);
  await bird.stop();
});

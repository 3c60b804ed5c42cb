// `npm run demo` (through demo.sh, which installs and builds what is
// missing): the lab up, the router's ECMP routes, real traffic, a failover
// (a stop job on one node), a restart without a flap, and the lab down again
// — on the way out, on an error and on Ctrl-C.
//   --hold   keep the lab up at the end until Ctrl-C (to look around with ip netns exec / birdc)

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { POOL_V4, POOL_V6 } from './cluster.ts';
import { delay } from './daemon.ts';
import { Lab } from './lab.ts';
import { ipn } from './net.ts';
import { Load, runFlows } from './traffic.ts';

const exec = promisify(execFile);
const hold = process.argv.includes('--hold');
const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const t0 = Date.now();
const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (n: number, s: string) => say(`\n${bold(`${n}. ${s}`)}`);
const indent = (text: string, by = '   ') => text.replace(/\n+$/, '').split('\n').map((l) => `${by}${l}`).join('\n');
const WEB = '198.51.100.10';
const DUAL6 = '2001:db8:100::11';

/** The router's table with each gateway named after its node. */
async function routerTable(lab: Lab, only?: string): Promise<string> {
  let text = only ? await ipn(lab.net.router, 'route', 'show', only) : await lab.routerTable();
  for (const n of lab.nodes) {
    text = text.replaceAll(`via ${n.v4} `, `via ${n.v4} (${n.name}) `).replaceAll(`via ${n.v6} `, `via ${n.v6} (${n.name}) `);
  }
  return text.replace(/\t/g, '    ');
}

function perNode(counts: Record<string, number>): string {
  return Object.keys(counts).sort().map((k) => `${k} ${counts[k]}`).join(', ');
}

let lab: Lab | null = null;
try {
  say(bold('kube-lb-agent lab demo: real agents, BIRD 2, a router with ECMP, real packets'));
  step(1, 'Bringing the lab up');
  lab = await Lab.up({ log: (l) => say(`   [${((Date.now() - t0) / 1000).toFixed(1)} s] ${l}`) });
  const n1 = lab.node('node1');

  step(2, 'The cluster (the test API server, in the router\'s namespace)');
  for (const s of lab.services) say(`   ${s.name.padEnd(8)} ${s.ips.join(' ').padEnd(33)} ${s.policy.padEnd(8)} ${s.note}`);
  say(`   pool "lab": ${POOL_V4}, ${POOL_V6}`);

  step(3, 'On node1: the agent\'s routes in table 198, and the BIRD config it rendered');
  say(`   $ ip route show table 198; ip -6 route show table 198`);
  say(indent(`${await ipn(n1.ns, '-4', 'route', 'show', 'table', '198')}${await ipn(n1.ns, '-6', 'route', 'show', 'table', '198')}`));
  const cmd = lab.routing.get('node1')!.rendered.split('\n').find((l) => l.includes('kube-lb-agent render'))?.replace(/^#\s*/, '').replace(/ > .*$/, '');
  say(`   $ ${cmd}`);
  const rendered = lab.routing.get('node1')!.rendered.split('\n');
  const from = rendered.findIndex((l) => l.startsWith('protocol kernel'));
  say(indent(rendered.slice(from, from + 8).join('\n')));
  say('   …');
  say(`   $ kube-lb-agent status`);
  const status = await exec('ip', ['netns', 'exec', n1.ns, lab.bin, 'status', '-c', lab.agent('node1').config]).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  say(indent(status));

  step(4, 'The router: one ECMP route per VIP, a next hop per announcing node');
  say(`   $ ip route show proto bird; ip -6 route show proto bird`);
  say(indent(await routerTable(lab)));
  say(`   (203.0.113.50 and 2001:db8:ffff::50 are outside the pool: no node announces them.)`);
  say(`   $ birdc show route ${WEB}/32`);
  say(indent((await lab.routerBird.birdc('show', 'route', `${WEB}/32`)).replace(/^BIRD.*ready\.\n/, '')));

  step(5, 'Real traffic: 300 TCP flows from the client to each VIP (layer-4 ECMP hash)');
  for (const vip of [WEB, DUAL6]) {
    const r = await runFlows(lab.reaper, lab.net.client, vip, 300);
    say(`   ${vip.padEnd(17)} ${r.ok}/300 answered; per node: ${perNode(r.perNode)}`);
  }

  step(6, 'Failover: `systemctl stop kube-lb-agent` on node2 (a stop job)');
  const n2 = lab.node('node2');
  const mon = await lab.monitor();
  const load = new Load(lab.reaper, lab.net.client, WEB, 4);
  await delay(500);
  const tStop = Date.now();
  const stopped = lab.agent('node2').proc!;
  const exitP = lab.agent('node2').stopJob();
  await lab.waitPaths(WEB, ['node1', 'node3']);
  await exitP;
  const tExit = Date.now();
  const lost = mon.lostAt(WEB, n2.v4, tStop - 5);
  const decision = stopped.logged((l) => l.op === 'stop' && l.action !== undefined)[0];
  if (decision) say(`   agent log: "${decision.msg}"`);
  say(`   the agent withdrew its routes, deleted its Lease, drained 1 s and exited (${tExit - tStop} ms after SIGTERM)`);
  if (lost !== undefined) say(`   router: node2's next hop for ${WEB} gone ${(lost - tStop).toFixed(0)} ms after SIGTERM — ${(tExit - lost).toFixed(0)} ms before the agent exited`);
  await delay(500);
  const during = await load.stop();
  say(`   client load meanwhile: ${during.ok} requests answered, ${during.failed} failed; per node: ${perNode(during.perNode)}`);
  if (during.failed > 0) {
    const kinds = [...new Set(during.errors.map((e) => e.err))].join(', ');
    say(`   (${kinds}: flows in flight when the router's ECMP set shrank are re-hashed onto another node, which`);
    say(`    resets them — Linux's hash-threshold multipath; new flows are unaffected)`);
  }
  say(`   $ ip route show ${WEB}`);
  say(indent(await routerTable(lab, WEB)));

  step(7, 'node2\'s agent starts again');
  lab.agent('node2').start();
  const back = await lab.waitPaths(WEB, ['node1', 'node2', 'node3'], 30_000);
  say(`   back in the ECMP route ${back} ms after the start (a new process: start-up, API sync, plan, kernel, BIRD, BGP)`);

  step(8, '`systemctl restart kube-lb-agent` on node1 (a restart job): no flap');
  const mon2 = await lab.monitor();
  const load2 = new Load(lab.reaper, lab.net.client, WEB, 4);
  await delay(500);
  const tR = Date.now();
  const restarted = lab.agent('node1').proc!;
  await lab.agent('node1').restartJob();
  const kept = restarted.logged((l) => l.op === 'stop' && l.action !== undefined)[0];
  if (kept) say(`   agent log: "${kept.msg}"`);
  await lab.agent('node1').proc!.waitLog('converged', (l) => l.op === 'phase' && l.phase === 'converged', 30_000);
  const tConv = Date.now();
  await delay(500);
  const across = await load2.stop();
  say(`   the agent kept its routes, the new one adopted them: converged ${tConv - tR} ms after SIGTERM`);
  say(`   router route changes meanwhile: ${mon2.of(WEB).length + mon2.of(DUAL6).length}; client load: ${across.ok} answered, ${across.failed} failed`);

  if (hold) {
    step(9, 'The lab stays up until Ctrl-C. Look around:');
    say(`   ip netns exec ${lab.net.router} ip route`);
    say(`   birdc -s ${lab.routerBird.socket} show route`);
    say(`   ip netns exec ${n1.ns} ${lab.bin} status -c ${lab.agent('node1').config}`);
    await new Promise(() => {});
  }
} catch (e) {
  process.stderr.write(`\ndemo failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
} finally {
  if (lab) {
    say(`\nTearing down (processes killed by PID, namespaces deleted) …`);
    await lab.down();
    say(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  }
}

// The lab: a router, N nodes and a client in network namespaces of a unique
// per-run prefix (net.ts); the test API server in the router's namespace
// (cluster.ts); on every node the real kube-lb-agent binary (agents.ts), a
// routing daemon configured by `kube-lb-agent render` (daemons.ts) and a
// tiny server behind the VIPs (traffic.ts); the router's BIRD peering eBGP
// with every node and installing ECMP routes (bird.ts, router.ts).
//
// Lab.up() brings it all up and waits until the router holds exactly the
// expected paths; down() takes it all away. Whatever happens — an error
// half-way up, SIGINT, SIGTERM, the process exiting — every process is
// killed by PID, the namespaces deleted and the directory removed
// (reaper.ts).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_SETTINGS, NodeAgent, type AgentSettings } from './agents.ts';
import { Bird, routerBirdConfig } from './bird.ts';
import { poolVips, sampleServices, startCluster, type ApiServerProcess, type SampleService } from './cluster.ts';
import { waitFor } from './daemon.ts';
import { startNodeRouting, variantFamilies, variantMethod, type NodeRouting, type Variant } from './daemons.ts';
import { addServiceAddresses, buildNetwork, deleteNamespaces, ipn, uniquePrefix, type LabNode, type Network } from './net.ts';
import { Reaper } from './reaper.ts';
import { RouterMonitor, describePaths, routerPaths, waitPaths } from './router.ts';
import { TrafficServer } from './traffic.ts';

const exec = promisify(execFile);
export const REPO = join(import.meta.dirname, '../..');
export const DEFAULT_BIN = join(REPO, 'dist/kube-lb-agent');

export interface LabOptions {
  readonly nodes?: number;
  readonly variant?: Variant;
  readonly settings?: Partial<AgentSettings>;
  /** The agent executable; default dist/kube-lb-agent (or $KLA_LAB_BIN). */
  readonly bin?: string;
  /** Start the traffic servers (default true). */
  readonly traffic?: boolean;
  /** Wait for the BGP sessions and the expected paths (default true; false for debugging). */
  readonly wait?: boolean;
  /** Progress lines (the demo prints them). */
  readonly log?: (line: string) => void;
}

/** Debian packages the lab needs, with the command that proves each is there. */
const PACKAGES: readonly { pkg: string; file: string }[] = [
  { pkg: 'iproute2', file: '/usr/bin/ip' },
  { pkg: 'bird2', file: '/usr/sbin/bird' },
  { pkg: 'frr', file: '/usr/lib/frr/zebra' },
  { pkg: 'dbus', file: '/usr/bin/dbus-daemon' },
  { pkg: 'curl', file: '/usr/bin/curl' },
  { pkg: 'openssl', file: '/usr/bin/openssl' },
  { pkg: 'procps', file: '/usr/sbin/sysctl' },
];

/** Installs with apt-get what is missing (the machine's own apt sources; nothing is named here). */
export async function ensurePackages(log: (l: string) => void = () => {}): Promise<void> {
  const missing = PACKAGES.filter((p) => !existsSync(p.file)).map((p) => p.pkg);
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await exec('apt-get', ['update', '-qq'], { env, maxBuffer: 64 << 20 });
  await exec('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, maxBuffer: 64 << 20 });
}

export class Lab {
  readonly reaper = new Reaper();
  readonly dir: string;
  readonly bin: string;
  readonly log: (line: string) => void;
  variant: Variant;
  settings: AgentSettings;
  net!: Network;
  api!: ApiServerProcess;
  routerBird!: Bird;
  readonly agents = new Map<string, NodeAgent>();
  readonly routing = new Map<string, NodeRouting>();
  readonly servers = new Map<string, TrafficServer>();
  readonly monitors: RouterMonitor[] = [];
  services: SampleService[] = [];
  #down: Promise<void> | null = null;

  private constructor(o: LabOptions) {
    const source = o.bin ?? process.env.KLA_LAB_BIN ?? DEFAULT_BIN;
    if (!existsSync(source)) throw new Error(`${source} is missing: run \`npm run build\` first`);
    this.dir = mkdtempSync(join(tmpdir(), 'klab-'));
    this.reaper.dirs.add(this.dir);
    // FRR's daemons run as the frr user and must reach their directory below this one.
    chmodSync(this.dir, 0o755);
    this.variant = o.variant ?? 'bird-kernel';
    this.settings = { ...DEFAULT_SETTINGS, method: variantMethod(this.variant), ...o.settings };
    this.log = o.log ?? (() => {});
    // A copy: someone's rebuild of dist/ can neither change the binary under a running lab nor fail on a busy file.
    this.bin = join(this.dir, 'kube-lb-agent');
    copyFileSync(source, this.bin);
    chmodSync(this.bin, 0o755);
    this.reaper.onSignal = () => this.down();
  }

  static async up(o: LabOptions = {}): Promise<Lab> {
    if (process.getuid?.() !== 0) assert.fail('the lab needs root: it creates network namespaces and runs routing daemons in them');
    await ensurePackages(o.log);
    const lab = new Lab(o);
    try {
      await lab.#up(o);
    } catch (e) {
      await lab.down();
      throw e;
    }
    return lab;
  }

  get nodes(): readonly LabNode[] {
    return this.net.nodes;
  }

  node(name: string): LabNode {
    const n = this.net.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  }

  agent(name: string): NodeAgent {
    const a = this.agents.get(name);
    if (!a) throw new Error(`no agent on ${name}`);
    return a;
  }

  async #up(o: LabOptions): Promise<void> {
    const t0 = Date.now();
    const prefix = await uniquePrefix();
    this.log(`namespaces ${prefix}{router,node1..${o.nodes ?? 3},client}`);
    this.net = await buildNetwork(this.reaper, prefix, o.nodes ?? 3);
    this.services = sampleServices(this.net.nodes);
    this.log(`test API server in ${this.net.router}, sample Services: ${this.services.map((s) => `${s.name} ${s.ips.join(' ')}`).join(', ')}`);
    this.api = await startCluster(this.net.nodes, this.net.router);
    this.reaper.adopt(this.api.proc);
    this.routerBird = await Bird.start({ reaper: this.reaper, ns: this.net.router, name: 'router', dir: this.dir, conf: routerBirdConfig(this.net.nodes) });
    this.log(`router BIRD up (AS 65000, ECMP: merge paths on; fib_multipath_hash_policy=1)`);
    const vips = poolVips(this.services);
    // kube-proxy binds every LoadBalancer IP, the out-of-pool one too; only the agent decides what is announced.
    const bound = this.services.flatMap((s) => s.ips);
    await Promise.all(
      this.net.nodes.map(async (n) => {
        const agent = await NodeAgent.create({ node: n, dir: join(this.dir, n.name), bin: this.bin, reaper: this.reaper, kubeconfig: this.api.info.kubeconfig, settings: this.settings });
        this.agents.set(n.name, agent);
        await addServiceAddresses(n.ns, bound);
        agent.start();
        await this.startRouting(n);
        if (o.traffic !== false) this.servers.set(n.name, await TrafficServer.start(this.reaper, n, vips));
      }),
    );
    this.log(`${this.net.nodes.length} nodes up: kube-lb-agent (${this.settings.election}, method ${this.settings.method}) + ${this.variant} + a server on the VIPs`);
    if (o.wait === false) return;
    await this.waitSessions();
    await this.waitExpected();
    this.log(`converged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** Renders the node's routing-daemon config from its agent config and starts the daemon. */
  async startRouting(n: LabNode): Promise<NodeRouting> {
    const r = await startNodeRouting({ reaper: this.reaper, bin: this.bin, variant: this.variant, node: n, config: this.agent(n.name).config, dir: join(this.dir, n.name) });
    this.routing.set(n.name, r);
    return r;
  }

  /** Every BGP session of the router (the families the variant announces) is Established. */
  async waitSessions(timeoutMs = 60_000): Promise<void> {
    const fams = variantFamilies(this.variant);
    const want = this.net.nodes.flatMap((n) => fams.map((f) => `${n.name}_v${f}`));
    let states = new Map<string, string>();
    try {
      await waitFor('BGP sessions', async () => {
        states = await this.routerBird.bgpStates();
        return want.every((p) => states.get(p) === 'Established');
      }, timeoutMs, 200);
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${[...states].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  }

  /** VIP → nodes the router should send it to, from the sample Services and the election. */
  expectedPaths(): Map<string, string[]> {
    const fams = variantFamilies(this.variant);
    const out = new Map<string, string[]>();
    for (const s of this.services) {
      if (s.name === 'outside') continue;
      for (const ip of s.ips) {
        if (!fams.includes(ip.includes(':') ? 6 : 4)) continue;
        out.set(ip, s.policy === 'Local' ? [...s.endpointsOn] : this.net.nodes.map((n) => n.name));
      }
    }
    return out;
  }

  /** Waits until the router's BGP routes are exactly the expected ones (per-service: one node per VIP). */
  async waitExpected(timeoutMs = 60_000): Promise<void> {
    const want = this.expectedPaths();
    let seen = new Map<string, string[]>();
    const perService = this.settings.election === 'per-service';
    try {
      await waitFor('the router to hold the expected paths', async () => {
        seen = await routerPaths(this.net.router, this.net.nodes);
        if (seen.size !== want.size) return false;
        for (const [vip, nodes] of want) {
          const got = seen.get(vip) ?? [];
          if (perService ? !(got.length === 1 && nodes.includes(got[0]!)) : got.join(',') !== nodes.join(',')) return false;
        }
        return true;
      }, timeoutMs, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n  want: ${describePaths(want)}\n  seen: ${describePaths(seen)}`);
    }
  }

  /**
   * Waits until the lab is at rest: every running agent converged with no
   * withdrawal held, and the router's paths are exactly the union of what
   * the agents announce — twice in a row, 500 ms apart (an agent that just
   * started may still be about to claim a VIP).
   */
  async waitSettled(timeoutMs = 60_000): Promise<void> {
    let last = '';
    let stable = 0;
    let why = '';
    await waitFor('the lab to settle', async () => {
      const announced = new Map<string, string[]>();
      for (const [name, a] of this.agents) {
        if (!a.running) continue;
        const s = await a.proc!.status();
        if (s.phase !== 'converged' || s.guard.holding) {
          why = `${name} is ${s.phase}${s.guard.holding ? ', holding a withdrawal' : ''}`;
          stable = 0;
          return false;
        }
        for (const x of s.announcements) announced.set(x.ip, [...(announced.get(x.ip) ?? []), name].sort());
      }
      const want = describePaths(announced);
      const seen = describePaths(await this.paths());
      if (want !== seen) {
        why = `agents announce ${want}; the router has ${seen}`;
        stable = 0;
        return false;
      }
      stable = seen === last ? stable + 1 : 1;
      last = seen;
      why = '';
      return stable >= 2;
    }, timeoutMs, 500).catch((e: Error) => {
      throw new Error(`${e.message}: ${why}`);
    });
  }

  paths(): Promise<Map<string, string[]>> {
    return routerPaths(this.net.router, this.net.nodes);
  }

  waitPaths(vip: string, nodes: readonly string[], timeoutMs?: number): Promise<number> {
    return waitPaths(this.net.router, this.net.nodes, vip, nodes, timeoutMs);
  }

  async monitor(): Promise<RouterMonitor> {
    const m = await RouterMonitor.start(this.reaper, this.net.router);
    this.monitors.push(m);
    return m;
  }

  /** Routes for `ip` in the node's table 198, any protocol (`ip route show table 198 IP`). */
  async routes198(node: string, ip: string): Promise<string[]> {
    const out = await ipn(this.node(node).ns, ip.includes(':') ? '-6' : '-4', 'route', 'show', 'table', '198', ip).catch(() => '');
    return out.split('\n').filter(Boolean);
  }

  /** What the node's routing daemon holds to announce. */
  nodeBirdRoutes(node: string): Promise<string> {
    const r = this.routing.get(node);
    if (!r) throw new Error(`no routing daemon on ${node}`);
    return r.learned();
  }

  /** `ip -n <router> route` of both families: what the demo shows. */
  async routerTable(): Promise<string> {
    return `${await ipn(this.net.router, '-4', 'route', 'show', 'proto', 'bird')}${await ipn(this.net.router, '-6', 'route', 'show', 'proto', 'bird')}`;
  }

  /** Everything away; idempotent, never throws. */
  down(): Promise<void> {
    this.#down ??= this.#teardown();
    return this.#down;
  }

  async #teardown(): Promise<void> {
    for (const m of this.monitors) m.close();
    await Promise.allSettled([...this.servers.values()].map((s) => s.stop('SIGKILL')));
    await Promise.allSettled([...this.agents.values()].map((a) => a.close()));
    await Promise.allSettled([...this.routing.values()].map((r) => r.stop('SIGKILL')));
    if (this.routerBird) await this.routerBird.stop('SIGKILL').catch(() => {});
    if (this.api) await this.api.close().catch(() => {});
    await deleteNamespaces(this.reaper, this.net ?? null).catch(() => {});
    this.reaper.dispose();
  }
}

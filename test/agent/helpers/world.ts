// One agent test's world: a network namespace `kla-agent-<n>-<pid>` with
// `kube-lb0` (a bridge: this kernel has no dummy driver), the test API server
// running inside it (the agent reaches it on 127.0.0.1), a temporary
// directory for configs and the state directory, and the agents, route
// monitors and buses started in it. `close()` removes all of it, killing
// every process by PID; tests call it in `finally`/`after`, also on failure.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApiServer, type ApiServerProcess } from '../../apiserver/process.ts';
import { endpointSlice, node, service } from '../../apiserver/fixtures.ts';
import type { KubeObject } from '../../apiserver/store.ts';
import { AgentProc, type AgentProcOptions } from './agent-proc.ts';
import { exec, requireRoot, waitFor } from './procs.ts';
import { RouteMonitor } from './route-monitor.ts';

export const NODE_NAME = 'node-a';
export const PEER = 'node-b';
export const TABLE = 198;
export const PROTO = 201;

let seq = 0;

/** TOML sections as data: `{ section: { key: value } }`; pools as `{ pools: { name: { cidrs: [...] } } }`. */
export type TomlValue = string | number | boolean | readonly string[];
export type ConfigSections = Record<string, Record<string, TomlValue | Record<string, TomlValue>>>;

export interface WorldOptions {
  /** The API server starts down (`--down`): nothing listens until `api.start()`. */
  readonly apiDown?: boolean;
  /** Skip creating kube-lb0 (the agent creates it). */
  readonly noInterface?: boolean;
  readonly apiArgs?: readonly string[];
}

export interface ServiceOptions {
  readonly namespace?: string;
  readonly policy?: 'Cluster' | 'Local';
  /** Nodes holding a serving endpoint; default [node-a]; [] = none. */
  readonly endpointsOn?: readonly string[];
  readonly loadBalancerClass?: string;
  readonly annotations?: Record<string, string>;
}

export class World {
  readonly ns: string;
  readonly dir: string;
  readonly stateDir: string;
  api!: ApiServerProcess;
  readonly agents: AgentProc[] = [];
  readonly monitors: RouteMonitor[] = [];
  readonly #cleanups: (() => Promise<void> | void)[] = [];
  #configs = 0;

  private constructor(purpose: string) {
    this.ns = `kla-agent-${++seq}-${process.pid}`;
    this.dir = mkdtempSync(join(tmpdir(), `kla-agent-${purpose}-`));
    this.stateDir = join(this.dir, 'state');
  }

  static async create(purpose: string, o: WorldOptions = {}): Promise<World> {
    requireRoot();
    const w = new World(purpose);
    try {
      await exec('ip', ['netns', 'add', w.ns]);
      await w.ip('link', 'set', 'lo', 'up');
      if (!o.noInterface) await w.ip('link', 'add', 'kube-lb0', 'type', 'bridge');
      w.api = await spawnApiServer({ args: ['--bookmark-ms', '500', ...(o.apiDown ? ['--down'] : []), ...(o.apiArgs ?? [])], prefix: ['ip', 'netns', 'exec', w.ns] });
      await w.api.put(node(NODE_NAME, { internalIP: '10.0.0.1' }));
      await w.api.put(node(PEER, { internalIP: '10.0.0.2' }));
    } catch (e) {
      await w.close();
      throw e;
    }
    return w;
  }

  /** `ip -n NS …args` → stdout. */
  async ip(...args: string[]): Promise<string> {
    return (await exec('ip', ['-n', this.ns, ...args], { maxBuffer: 256 << 20 })).stdout;
  }

  /** Our routes in table 198 (protocol 201), both families: destinations, sorted. */
  async routes(): Promise<string[]> {
    const out: string[] = [];
    for (const f of ['-4', '-6']) {
      // IPv6 has no table 198 until a route is put in it.
      const text = await this.ip('-N', f, 'route', 'show', 'table', String(TABLE)).catch((e: { stderr?: string }) => {
        if (/FIB table does not exist/.test(e.stderr ?? '')) return '';
        throw e;
      });
      for (const line of text.split('\n')) {
        const m = /^(\S+)\s.*\bproto (\d+)\b/.exec(line.trim());
        if (m && Number(m[2]) === PROTO) out.push(m[1]!.replace(/\/(32|128)$/, ''));
      }
    }
    return out.sort();
  }

  /** Writes a config: the test defaults (short timers) overridden section by section. */
  config(over: ConfigSections = {}): string {
    const sections: ConfigSections = {
      node: { name: NODE_NAME },
      kubernetes: { kubeconfig: this.api.info.kubeconfig, request_timeout: '2s', backoff_max: '1s', lease_duration: '15s', lease_renew: '5s' },
      interface: { kind: 'bridge' },
      state: { directory: this.stateDir },
      log: { format: 'json', level: 'info' },
      shutdown: { withdraw: 'auto', drain: '200ms' },
      safety: { hold: '60s' },
      reconcile: { resync_interval: '60s' },
      pools: { a: { cidrs: ['192.0.2.0/24', '2001:db8::/64'] } },
    };
    for (const [name, keys] of Object.entries(over)) sections[name] = name === 'pools' ? { ...keys } : { ...sections[name], ...keys };
    const path = join(this.dir, `config-${++this.#configs}.toml`);
    writeFileSync(path, toToml(sections));
    return path;
  }

  /** Starts the agent in the namespace; killed by close() if still running. */
  startAgent(config: string, o: Omit<AgentProcOptions, 'ns' | 'config'> = {}): AgentProc {
    const a = new AgentProc({ ns: this.ns, config, ...o });
    this.agents.push(a);
    return a;
  }

  async monitor(): Promise<RouteMonitor> {
    const m = await RouteMonitor.start(this.ns);
    this.monitors.push(m);
    return m;
  }

  /** Something else to undo at close (a bus, a stand-in), in reverse order. */
  onClose(fn: () => Promise<void> | void): void {
    this.#cleanups.push(fn);
  }

  /** A LoadBalancer Service with these ingress IPs and an EndpointSlice per family with endpoints on `endpointsOn`. */
  async putService(name: string, ips: readonly string[], o: ServiceOptions = {}): Promise<void> {
    const ns = o.namespace ?? 'default';
    await this.api.put(
      service(ns, name, {
        lbIPs: [...ips],
        ...(o.policy ? { externalTrafficPolicy: o.policy } : {}),
        ...(o.loadBalancerClass ? { loadBalancerClass: o.loadBalancerClass } : {}),
        ...(o.annotations ? { annotations: o.annotations } : {}),
      }),
    );
    await this.putEndpoints(name, o.endpointsOn ?? [NODE_NAME], ns);
  }

  /** The Service's EndpointSlices (IPv4 and IPv6), one serving endpoint on each of `nodes`. */
  async putEndpoints(name: string, nodes: readonly string[], ns = 'default'): Promise<void> {
    await this.api.put(endpointSlice(ns, name, nodes.map((nd, i) => ({ ip: `10.1.0.${i + 1}`, node: nd })), { addressType: 'IPv4' }));
    await this.api.put(endpointSlice(ns, name, nodes.map((nd, i) => ({ ip: `fd00::${i + 1}`, node: nd })), { addressType: 'IPv6' }));
  }

  /** Waits until our routes in table 198 are exactly `want` (any order). */
  async waitRoutes(want: readonly string[], timeoutMs = 10_000): Promise<void> {
    const expected = [...want].sort().join(' ');
    let last = '';
    try {
      await waitFor(`routes ${expected || '(none)'}`, async () => (last = (await this.routes()).join(' ')) === expected, timeoutMs, 25);
    } catch (e) {
      throw new Error(`${(e as Error).message}; table 198 holds: ${last || '(none)'}`);
    }
  }

  async deleteService(name: string, ns = 'default'): Promise<void> {
    await this.api.delete({ kind: 'Service', namespace: ns, name });
  }

  agentLease(nodeName = NODE_NAME): Promise<KubeObject | null> {
    return this.api.get({ kind: 'Lease', namespace: 'kube-system', name: `kube-lb-agent-${nodeName}` });
  }

  /** Kills every process by PID, removes the namespace and the directory. Idempotent; never throws. */
  async close(): Promise<void> {
    await Promise.allSettled(this.agents.map((a) => a.kill()));
    await Promise.allSettled(this.monitors.map((m) => m.close()));
    for (const fn of this.#cleanups.splice(0).reverse()) await Promise.resolve().then(fn).catch(() => {});
    if (this.api) await this.api.close().catch(() => {});
    await exec('ip', ['netns', 'del', this.ns]).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function toToml(sections: ConfigSections): string {
  const value = (v: TomlValue): string => (Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v));
  let out = '';
  for (const [name, keys] of Object.entries(sections)) {
    if (name === 'pools') {
      for (const [pool, pk] of Object.entries(keys as Record<string, Record<string, TomlValue>>)) {
        out += `[pools.${pool}]\n`;
        for (const [k, v] of Object.entries(pk)) out += `${k} = ${value(v)}\n`;
        out += '\n';
      }
      continue;
    }
    out += `[${name}]\n`;
    for (const [k, v] of Object.entries(keys)) out += `${k} = ${value(v as TomlValue)}\n`;
    out += '\n';
  }
  return out;
}

/** Runs `fn` in a fresh world and closes it afterwards, also when `fn` throws. */
export async function withWorld(purpose: string, o: WorldOptions, fn: (w: World) => Promise<void>): Promise<void> {
  const w = await World.create(purpose, o);
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}

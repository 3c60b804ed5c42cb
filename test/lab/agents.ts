// One node's kube-lb-agent: the real single executable (a copy of
// dist/kube-lb-agent taken when the lab came up, so a rebuild by someone else
// cannot change the binary under a running lab, nor fail on a busy file),
// `run -c` a config of its own, in the node's namespace. Each node is a
// machine of its own, so each has its own private D-Bus with stand-ins for
// systemd1 and login1: a "restart job", a "stop job" and logind's
// PrepareForShutdown(true) reach the agent's real code paths, as the real
// systemd and logind would present them (test/dbus/helpers).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProc, type AgentExit } from '../agent/helpers/agent-proc.ts';
import { startPrivateBus, type PrivateBus } from '../dbus/helpers/private-bus.ts';
import { LogindStandIn, SystemdStandIn } from '../dbus/helpers/standins.ts';
import { POOL_V4, POOL_V6 } from './cluster.ts';
import type { LabNode } from './net.ts';
import type { Reaper } from './reaper.ts';

export const UNIT = 'kube-lb-agent.service';

export interface AgentSettings {
  readonly election: 'all' | 'per-service' | 'leader';
  readonly method: 'routes' | 'addresses';
  /** kubernetes.lease_duration: a crashed agent's peers take over after this. */
  readonly leaseDuration: string;
  readonly leaseRenew: string;
  readonly drain: string;
  /** safety.hold: how long a mass withdrawal is held (lab: short, so an election moving back is not held a minute). */
  readonly hold: string;
}

export const DEFAULT_SETTINGS: AgentSettings = { election: 'all', method: 'routes', leaseDuration: '3s', leaseRenew: '1s', drain: '1s', hold: '5s' };

export function agentConfig(o: { node: string; kubeconfig: string; dir: string; settings: AgentSettings }): string {
  const s = o.settings;
  return `# kube-lb-agent config of lab node ${o.node} (written by test/lab/agents.ts)
[node]
name = "${o.node}"

[kubernetes]
kubeconfig = "${o.kubeconfig}"
request_timeout = "2s"
backoff_max = "1s"
lease_duration = "${s.leaseDuration}"
lease_renew = "${s.leaseRenew}"

[interface]
# this kernel has no dummy driver
kind = "bridge"

[routing]
method = "${s.method}"

[announce]
election = "${s.election}"

[http]
listen = "127.0.0.1:20244"

[log]
format = "json"
level = "info"

[shutdown]
withdraw = "auto"
drain = "${s.drain}"

[safety]
hold = "${s.hold}"

[state]
directory = "${join(o.dir, 'state')}"
addon_directory = "${join(o.dir, 'addons')}"

[pools.lab]
cidrs = ["${POOL_V4}", "${POOL_V6}"]
`;
}

export class NodeAgent {
  readonly node: LabNode;
  readonly dir: string;
  readonly config: string;
  readonly #bin: string;
  readonly #reaper: Reaper;
  #bus!: PrivateBus;
  systemd!: SystemdStandIn;
  logind!: LogindStandIn;
  /** The running agent process, or the last one. */
  proc: AgentProc | null = null;
  /** Every agent process this node has had (their logs). */
  readonly history: AgentProc[] = [];

  private constructor(o: { node: LabNode; dir: string; bin: string; reaper: Reaper; kubeconfig: string; settings: AgentSettings }) {
    this.node = o.node;
    this.dir = o.dir;
    this.#bin = o.bin;
    this.#reaper = o.reaper;
    mkdirSync(o.dir, { recursive: true });
    this.config = join(o.dir, 'config.toml');
    this.writeConfig(o.kubeconfig, o.settings);
  }

  static async create(o: { node: LabNode; dir: string; bin: string; reaper: Reaper; kubeconfig: string; settings: AgentSettings }): Promise<NodeAgent> {
    const a = new NodeAgent(o);
    mkdirSync(join(o.dir, 'bus'), { recursive: true });
    a.#bus = await startPrivateBus(join(o.dir, 'bus'));
    o.reaper.pids.add(a.#bus.pid);
    a.systemd = await SystemdStandIn.start(a.#bus.address);
    a.logind = await LogindStandIn.start(a.#bus.address);
    return a;
  }

  writeConfig(kubeconfig: string, settings: AgentSettings): void {
    writeFileSync(this.config, agentConfig({ node: this.node.name, kubeconfig, dir: this.dir, settings }));
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** Starts the agent (as systemd's start job would) and tells the systemd stand-in its PID is the unit's. */
  start(): AgentProc {
    if (this.running) throw new Error(`${this.node.name}: the agent runs already`);
    const p = new AgentProc({
      ns: this.node.ns,
      config: this.config,
      bin: this.#bin,
      bus: this.#bus.address,
      env: { FAKE_INHIBIT_LOG: join(this.dir, 'inhibit.log') },
    });
    this.#reaper.adopt(p.proc);
    this.systemd.setJob(UNIT, null);
    this.systemd.systemState = 'running';
    this.logind.preparingForShutdown = false;
    this.systemd.addUnit(UNIT, [p.pid]);
    this.proc = p;
    this.history.push(p);
    return p;
  }

  /** `systemctl stop`: a stop job on the unit, then SIGTERM; resolves when the process has exited. */
  async stopJob(o: { systemStopping?: boolean } = {}): Promise<AgentExit> {
    const p = this.#need();
    if (o.systemStopping) this.systemd.systemState = 'stopping';
    this.systemd.setJob(UNIT, 'stop');
    return p.stop(30_000);
  }

  /** `systemctl restart`: a restart job, SIGTERM, wait for the exit, start again. Returns the old exit. */
  async restartJob(): Promise<AgentExit> {
    const p = this.#need();
    this.systemd.setJob(UNIT, 'restart');
    const exit = await p.stop(30_000);
    this.start();
    return exit;
  }

  /** SIGKILL by PID: a crash, no stop sequence. */
  async crash(): Promise<AgentExit> {
    return this.#need().kill();
  }

  /** logind says the machine is going down (PrepareForShutdown(true)); the agent keeps running. */
  prepareForShutdown(): void {
    this.logind.prepareForShutdown(true);
  }

  #need(): AgentProc {
    if (!this.proc || !this.proc.running) throw new Error(`${this.node.name}: no agent running`);
    return this.proc;
  }

  /** Kills the agent by PID (if running) and the bus. */
  async close(): Promise<void> {
    if (this.proc?.running) await this.proc.kill();
    this.systemd?.close();
    this.logind?.close();
    if (this.#bus) {
      await this.#bus.dispose();
      this.#reaper.pids.delete(this.#bus.pid);
    }
  }
}

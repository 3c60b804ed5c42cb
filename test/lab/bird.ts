// BIRD 2 in the lab. The router's configuration is the lab's own — it is the
// data centre's router, not something we ship: eBGP with every node (AS
// 65001, the same for all, so their paths are equal), one session per node
// and family, everything imported, and `merge paths on` in its kernel
// protocols so equal paths become one ECMP route in its main table. Short
// connect timers, so sessions come up in about a second.
//
// The nodes' configuration is what we ship: `kube-lb-agent render bird`
// from the node's own agent config (see daemons.ts).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_AS, ROUTER_AS, ROUTER_V4, ROUTER_V6, exec, type LabNode } from './net.ts';
import { Daemon } from './daemon.ts';
import type { Reaper } from './reaper.ts';

export function routerBirdConfig(nodes: readonly LabNode[]): string {
  const sessions = nodes.flatMap((n) => [
    `protocol bgp ${n.name}_v4 from lab_node_v4 { neighbor ${n.v4} as ${NODE_AS}; }`,
    `protocol bgp ${n.name}_v6 from lab_node_v6 { neighbor ${n.v6} as ${NODE_AS}; }`,
  ]);
  return `# The lab's router (test/lab/bird.ts): the data centre's side, not ours.
log stderr all;
router id ${ROUTER_V4};

protocol device {
}

# ECMP: equal BGP paths from several nodes become one multipath route.
protocol kernel kernel_v4 {
  ipv4 { import none; export all; };
  merge paths on;
}
protocol kernel kernel_v6 {
  ipv6 { import none; export all; };
  merge paths on;
}

template bgp lab_node_v4 {
  local ${ROUTER_V4} as ${ROUTER_AS};
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 4;
  ipv4 { import all; export none; };
}
template bgp lab_node_v6 {
  local ${ROUTER_V6} as ${ROUTER_AS};
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 4;
  ipv6 { import all; export none; };
}

${sessions.join('\n')}
`;
}

/** One BIRD: `bird -f -c CONF -s SOCK -P PID` in a namespace, a child of ours (foreground), killed by PID. */
export class Bird extends Daemon {
  readonly socket: string;
  readonly confPath: string;

  private constructor(o: { reaper: Reaper; ns: string; name: string; dir: string; conf: string }) {
    super(o.reaper, `bird ${o.name}`);
    this.socket = join(o.dir, `${o.name}.bird.ctl`);
    this.confPath = join(o.dir, `${o.name}.bird.conf`);
    writeFileSync(this.confPath, o.conf);
    this.spawn(['ip', 'netns', 'exec', o.ns, 'bird', '-f', '-c', this.confPath, '-s', this.socket, '-P', join(o.dir, `${o.name}.bird.pid`)]);
  }

  static async start(o: { reaper: Reaper; ns: string; name: string; dir: string; conf: string }): Promise<Bird> {
    const b = new Bird(o);
    await b.waitUntil('its control socket answers', async () => /ready/.test(await b.birdc('show', 'status').catch(() => '')), 15_000);
    return b;
  }

  async birdc(...args: string[]): Promise<string> {
    return (await exec('birdc', ['-s', this.socket, ...args], { maxBuffer: 16 << 20 })).stdout;
  }

  /** BGP protocols and their state, from `show protocols`. */
  async bgpStates(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const line of (await this.birdc('show', 'protocols')).split('\n')) {
      const m = /^(\S+)\s+BGP\s+\S+\s+(\S+)\s+\S+\s*(\S*)/.exec(line);
      if (m) out.set(m[1]!, m[3] || m[2]!);
    }
    return out;
  }
}

export { ROUTER_V4, ROUTER_V6 };

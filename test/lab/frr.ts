// FRR 8.4 on a lab node: zebra and bgpd in the node's namespace, each with
// its own zserv socket, vty socket directory and pid file in the lab's
// directory (nothing under /var/run/frr, so several nodes and other
// engineers' FRRs never meet), running as the `frr` user as Debian runs them
// (root is not in the frrvty group, which FRR insists on). They start with an
// empty configuration; the rendered frr.conf — an integrated config — is then
// applied with `vtysh -f`, as `vtysh -b` applies /etc/frr/frr.conf at boot.

import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import { exec } from './net.ts';
import type { Reaper } from './reaper.ts';

const FRR_LIB = '/usr/lib/frr';

function frrIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

class FrrDaemon extends Daemon {
  constructor(reaper: Reaper, label: string, argv: readonly string[]) {
    super(reaper, label);
    this.spawn(argv);
  }
}

export class Frr {
  readonly dir: string;
  readonly ns: string;
  readonly zebra: FrrDaemon;
  readonly bgpd: FrrDaemon;
  readonly confPath: string;

  private constructor(o: { ns: string; dir: string; zebra: FrrDaemon; bgpd: FrrDaemon; confPath: string }) {
    this.ns = o.ns;
    this.dir = o.dir;
    this.zebra = o.zebra;
    this.bgpd = o.bgpd;
    this.confPath = o.confPath;
  }

  get pids(): number[] {
    return [this.zebra.pid, this.bgpd.pid];
  }

  static async start(o: { reaper: Reaper; ns: string; name: string; dir: string; conf: string }): Promise<Frr> {
    const dir = join(o.dir, `${o.name}.frr`);
    mkdirSync(dir, { recursive: true });
    const { uid, gid } = frrIds();
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o755);
    const empty = join(dir, 'empty.conf');
    const confPath = join(dir, 'frr.conf');
    writeFileSync(empty, '', { mode: 0o644 });
    writeFileSync(confPath, o.conf, { mode: 0o644 });
    const zserv = join(dir, 'zserv.api');
    const common = (d: string) => ['-f', empty, '-z', zserv, '--vty_socket', dir, '-i', join(dir, `${d}.pid`), '-u', 'frr', '-g', 'frr', '-P', '0', '--log', 'stdout'];
    const zebra = new FrrDaemon(o.reaper, `zebra ${o.name}`, ['ip', 'netns', 'exec', o.ns, `${FRR_LIB}/zebra`, ...common('zebra')]);
    let bgpd: FrrDaemon | undefined;
    try {
      await zebra.waitUntil('its zserv socket', () => existsSync(zserv) && existsSync(join(dir, 'zebra.vty')), 15_000);
      bgpd = new FrrDaemon(o.reaper, `bgpd ${o.name}`, ['ip', 'netns', 'exec', o.ns, `${FRR_LIB}/bgpd`, ...common('bgpd')]);
      await bgpd.waitUntil('its vty socket', () => existsSync(join(dir, 'bgpd.vty')), 15_000);
      const frr = new Frr({ ns: o.ns, dir, zebra, bgpd, confPath });
      await frr.vtysh('-f', confPath);
      return frr;
    } catch (e) {
      await bgpd?.stop('SIGKILL');
      await zebra.stop('SIGKILL');
      throw e;
    }
  }

  /** `vtysh --vty_socket DIR …args` inside the node's namespace. */
  async vtysh(...args: string[]): Promise<string> {
    try {
      return (await exec('ip', ['netns', 'exec', this.ns, 'vtysh', '--vty_socket', this.dir, ...args], { maxBuffer: 16 << 20 })).stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`vtysh ${args.join(' ')} failed: ${err.stderr || ''}${err.stdout || ''}${err.message}`);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.bgpd.stop(signal);
    await this.zebra.stop(signal);
  }
}

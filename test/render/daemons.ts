// The real routing daemons for the render tests, each in the test's own
// network namespace with its own control socket, pid file and logs in a
// temporary directory; stopped by their own PIDs (other BIRDs and FRRs run
// on this machine). Needs root and bird2 + frr (scripts/install-deps.sh).

import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tmp.ts';

const exec = promisify(execFile);
const FRR_LIBEXEC = '/usr/lib/frr';

export function requireDaemons(): void {
  const missing = ['bird', 'birdc', 'vtysh', `${FRR_LIBEXEC}/zebra`, `${FRR_LIBEXEC}/bgpd`].filter(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0,
  );
  if (missing.length > 0) assert.fail(`missing ${missing.join(', ')}: apt-get install -y bird2 frr (scripts/install-deps.sh)`);
}

/** Polls `probe` until it returns a value (not undefined); the bound only ends a hung wait, it asserts no timing. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, boundMs = 30_000): Promise<T> {
  const end = Date.now() + boundMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) assert.fail(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

function launch(netns: string, argv: string[], log: string): ChildProcess {
  // `ip netns exec` execs the daemon: the child's PID is the daemon's own.
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  child.on('exit', () => writeFileSync(log, out));
  return child;
}

export interface Bird {
  readonly dir: string;
  /** `birdc -s SOCKET …` output. */
  birdc(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** BIRD in the foreground (-f) with `config`, its socket and pid file in a temporary directory. */
export async function startBird(netns: string, config: string): Promise<Bird> {
  const dir = tempDir('kla-render-bird-');
  const conf = join(dir, 'bird.conf');
  const socket = join(dir, 'bird.ctl');
  writeFileSync(conf, config);
  const child = launch(netns, ['bird', '-f', '-c', conf, '-s', socket, '-P', join(dir, 'bird.pid')], join(dir, 'bird.out'));
  const birdc = async (...args: string[]) => (await exec('birdc', ['-s', socket, ...args])).stdout;
  await waitFor('BIRD to answer on its socket', async () => {
    if (child.exitCode !== null) assert.fail(`bird exited ${child.exitCode}: ${readFileSync(join(dir, 'bird.out'), 'utf8')}`);
    return existsSync(socket) && (await birdc('show', 'status')).includes('Daemon is up and running') ? true : undefined;
  });
  return { dir, birdc, stop: () => stop(child) };
}

export interface Frr {
  readonly dir: string;
  /** `vtysh -c …` against this zebra and bgpd. */
  vtysh(...commands: string[]): Promise<string>;
  /** zebra's and bgpd's log lines so far. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * zebra and bgpd (as user frr, as packaged) with no configuration, then
 * `config` as frr.conf loaded through `vtysh -b`, the way the frr service
 * loads an integrated config.
 */
export async function startFrr(netns: string, config: string): Promise<Frr> {
  const dir = tempDir('kla-render-frr-');
  // The daemons drop to user frr: their sockets and pid files go here.
  chmodSync(dir, 0o755);
  const frrUser = spawnSync('id', ['-u', 'frr'], { encoding: 'utf8' }).stdout.trim();
  const frrGroup = spawnSync('id', ['-g', 'frr'], { encoding: 'utf8' }).stdout.trim();
  chownSync(dir, Number(frrUser), Number(frrGroup));
  writeFileSync(join(dir, 'frr.conf'), config);
  writeFileSync(join(dir, 'vtysh.conf'), '');
  const common = ['-z', join(dir, 'zserv.api'), '--vty_socket', dir, '-P', '0', '-f', '/dev/null'];
  const children: ChildProcess[] = [];
  const vtysh = async (...commands: string[]) =>
    (await exec('ip', ['netns', 'exec', netns, 'vtysh', '--vty_socket', dir, ...commands.flatMap((c) => ['-c', c])])).stdout;
  const handle: Frr = {
    dir,
    vtysh,
    logs: () => ['zebra', 'bgpd'].map((d) => (existsSync(join(dir, `${d}.log`)) ? readFileSync(join(dir, `${d}.log`), 'utf8') : '')).join(''),
    async stop() {
      for (const c of children.reverse()) await stop(c);
    },
  };
  try {
    for (const daemon of ['zebra', 'bgpd']) {
      const child = launch(netns, [join(FRR_LIBEXEC, daemon), ...common, '-i', join(dir, `${daemon}.pid`), '--log', `file:${join(dir, `${daemon}.log`)}`], join(dir, `${daemon}.out`));
      children.push(child);
      await waitFor(`${daemon}'s vty socket`, async () => {
        if (child.exitCode !== null) assert.fail(`${daemon} exited ${child.exitCode}`);
        return existsSync(join(dir, `${daemon}.vty`)) ? true : undefined;
      });
    }
    await exec('ip', ['netns', 'exec', netns, 'vtysh', '--vty_socket', dir, '--config_dir', dir, '-b']);
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return handle;
}

// A private message bus for the D-Bus tests: a `dbus-daemon` child with a
// configuration of our own, listening on a socket in a temporary directory,
// with a policy as open as a session bus (anyone may own any name — the
// stand-ins take org.freedesktop.systemd1 and org.freedesktop.login1). The
// daemon is killed by its PID on stop(), and at the latest when the test
// process exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateBus {
  /** The daemon's own address line (`unix:path=…,guid=…`). */
  readonly address: string;
  readonly socketPath: string;
  readonly pid: number;
  /** Kill the daemon (SIGKILL by default) and wait for it. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Remove the temporary directory too. */
  dispose(): Promise<void>;
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of alive) if (c.pid !== undefined) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
});

function config(socketPath: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/** Start a bus; `dir` lets a second daemon take over the same socket path (a bus that comes back). */
export async function startPrivateBus(dir?: string): Promise<PrivateBus> {
  const base = dir ?? mkdtempSync(join(tmpdir(), 'kla-dbus-'));
  const socketPath = join(base, 'system_bus_socket');
  rmSync(socketPath, { force: true });
  const conf = join(base, 'bus.conf');
  writeFileSync(conf, config(socketPath));
  const child = spawn('dbus-daemon', [`--config-file=${conf}`, '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  alive.add(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`dbus-daemon did not print its address: ${stderr}`)), 5000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited (${code}): ${stderr}`));
    });
  });
  const pid = child.pid!;
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone
      }
    }
    await exited;
    alive.delete(child);
    // A killed daemon leaves its socket behind: a bus that is gone has no socket.
    rmSync(socketPath, { force: true });
  };
  return {
    address,
    socketPath,
    pid,
    stop,
    async dispose() {
      await stop();
      if (!dir) rmSync(base, { recursive: true, force: true });
    },
  };
}

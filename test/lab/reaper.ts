// Everything a lab starts or creates is registered here, so it goes away on
// every way out: the lab's down() (the normal path), an error, SIGINT,
// SIGTERM, SIGHUP, and at the latest the process's exit — synchronously
// then: processes killed by their PID (never by name: other engineers run
// BIRDs and agents on this machine too), namespaces deleted, directories
// removed.

import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';

const reapers = new Set<Reaper>();
let handlersInstalled = false;
let signalled = 0;

export class Reaper {
  readonly pids = new Set<number>();
  readonly namespaces = new Set<string>();
  readonly dirs = new Set<string>();
  /** The orderly teardown a signal runs first (the lab's down()). */
  onSignal: (() => Promise<void>) | null = null;

  constructor() {
    reapers.add(this);
    installHandlers();
  }

  /** Kill by PID, delete namespaces, remove directories: no awaiting, never throws. */
  reapSync(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.pids.clear();
    for (const ns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // gone already
      }
    }
    this.namespaces.clear();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }

  dispose(): void {
    this.reapSync();
    reapers.delete(this);
  }

  /** spawn() whose PID is registered until the child has exited. */
  spawn(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    if (child.pid !== undefined) {
      const pid = child.pid;
      this.pids.add(pid);
      child.once('close', () => this.pids.delete(pid));
    }
    return child;
  }

  /** Registers a PID that something else spawned (the agent helper's children). */
  adopt(child: ChildProcess): void {
    if (child.pid === undefined) return;
    const pid = child.pid;
    if (child.exitCode !== null || child.signalCode !== null) return;
    this.pids.add(pid);
    child.once('close', () => this.pids.delete(pid));
  }
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => {
    for (const r of reapers) r.reapSync();
  });
  for (const [sig, num] of Object.entries(SIGNALS)) {
    process.on(sig, () => {
      // A second signal while tearing down: stop being polite.
      if (++signalled > 1) process.exit(128 + num);
      process.stderr.write(`\nlab: ${sig} — tearing down\n`);
      void (async () => {
        for (const r of reapers) {
          const stop = setTimeout(() => r.reapSync(), 15_000);
          try {
            await r.onSignal?.();
          } catch {
            // reapSync below does the rest
          }
          clearTimeout(stop);
          r.reapSync();
        }
        process.stderr.write('lab: torn down\n');
        process.exit(128 + num);
      })();
    });
  }
}

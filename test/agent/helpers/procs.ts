// Every child process the agent tests start is registered here and killed by
// its PID: by its owner's close(), and at the latest when the test process
// exits (a failed assertion, a timeout). Never by name.

import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

export const exec = promisify(execFile);

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of alive) killPid(c, 'SIGKILL');
});

export function track(child: ChildProcess): ChildProcess {
  alive.add(child);
  child.once('close', () => alive.delete(child));
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export function killPid(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // gone already
  }
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) assert.fail('the agent tests need root: they create network namespaces and run the agent in them');
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` (sync or async) until it returns something truthy. */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await delay(everyMs);
  }
}

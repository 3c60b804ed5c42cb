// A long-running lab process (BIRD, zebra, bgpd, a traffic server) started
// in the foreground as our child, so its PID is known and it is killed by
// that PID, never by name. Its output is kept (the last 64 kB) for the
// message of a failed wait.

import type { ChildProcess } from 'node:child_process';
import type { Reaper } from './reaper.ts';

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; the error says what was awaited and what was last seen. */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await delay(everyMs);
  }
}

export class Daemon {
  readonly label: string;
  readonly #reaper: Reaper;
  proc!: ChildProcess;
  exited!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';

  constructor(reaper: Reaper, label: string) {
    this.#reaper = reaper;
    this.label = label;
  }

  protected spawn(argv: readonly string[], env?: NodeJS.ProcessEnv): void {
    this.proc = this.#reaper.spawn(argv[0]!, argv.slice(1), env ? { env: { ...process.env, ...env } } : {});
    this.exited = new Promise((resolve) => this.proc.once('close', (code, signal) => resolve({ code, signal })));
    const keep = (s: string) => {
      this.output += s;
      if (this.output.length > 65536) this.output = this.output.slice(-65536);
    };
    this.proc.stdout?.setEncoding('utf8').on('data', keep);
    this.proc.stderr?.setEncoding('utf8').on('data', keep);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async waitUntil<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
    try {
      return await waitFor(`${this.label}: ${what}`, () => {
        if (!this.running) throw new Error(`${this.label} exited: ${this.output.slice(-2000)}`);
        return probe();
      }, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- ${this.label} output (last 2 kB) ---\n${this.output.slice(-2000)}`);
    }
  }

  /** Sends `signal` by PID and waits for the exit; SIGKILL after `graceMs`. Idempotent. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // gone
    }
    const t = setTimeout(() => {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

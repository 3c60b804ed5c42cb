// A logind delay inhibitor for shutdown, held through a child process:
//   systemd-inhibit --what=shutdown --mode=delay --who=... --why=... cat
// logind hands the lock out as a file descriptor, which dbus-next cannot
// receive; systemd-inhibit takes it, keeps it while its command runs, and
// runs the command only once the lock is granted.
//
// The command is `cat` reading a pipe from us. That gives three things:
//   - it cannot outlive the agent: when the agent dies, for whatever reason,
//     the kernel closes our end of the pipe, cat reads EOF and exits, and
//     systemd-inhibit exits with it, closing the lock;
//   - a readiness probe: a line written to cat comes back on its stdout only
//     once cat runs, i.e. once logind granted the lock;
//   - a clean release: end the pipe and SIGTERM systemd-inhibit by PID.
// Under the unit's hardening the child runs as the agent's user; logind asks
// polkit for org.freedesktop.login1.inhibit-delay-shutdown (allowed for any
// user by systemd's shipped policy), and denies it when polkitd is absent.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from './logger.ts';

export const INHIBIT_WHO = 'kube-lb-agent';
export const INHIBIT_WHY = 'withdraw routes before shutdown';
const PROBE = 'kube-lb-agent: inhibitor probe\n';

/** The arguments given to systemd-inhibit (after the program name). */
export function inhibitArgs(who = INHIBIT_WHO, why = INHIBIT_WHY): string[] {
  return ['--what=shutdown', '--mode=delay', `--who=${who}`, `--why=${why}`, 'cat'];
}

export type InhibitFailure = 'spawn-failed' | 'exited' | 'timeout' | 'released' | 'closed';

export type TakeResult = { readonly held: true; readonly pid: number } | { readonly held: false; readonly reason: InhibitFailure; readonly detail: string };

/** What logind.ts needs of an inhibitor; tests may fake it. */
export interface Inhibitor {
  readonly held: boolean;
  take(): Promise<TakeResult>;
  release(): Promise<void>;
  /** Called when a held lock's child exits on its own (logind gone, killed). */
  onLost(fn: (detail: string) => void): void;
}

export interface DelayInhibitorOptions {
  readonly log: Logger;
  /** Program to run; default `systemd-inhibit`, looked up on the child's PATH. */
  readonly command?: string;
  /** Environment of the child (PATH, DBUS_SYSTEM_BUS_ADDRESS); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long logind may take to grant the lock; default 5000 ms. */
  readonly readyTimeoutMs?: number;
  /** How long release waits for the child to exit before SIGKILL; default 1000 ms. */
  readonly exitTimeoutMs?: number;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

interface Attempt {
  readonly child: Child;
  readonly result: Promise<TakeResult>;
  readonly exited: Promise<void>;
  held: boolean;
  releasing: boolean;
}

export class DelayInhibitor implements Inhibitor {
  readonly #log: Logger;
  readonly #command: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #readyTimeoutMs: number;
  readonly #exitTimeoutMs: number;
  readonly #lostListeners: Array<(detail: string) => void> = [];
  #attempt: Attempt | null = null;
  #closed = false;

  constructor(opts: DelayInhibitorOptions) {
    this.#log = opts.log;
    this.#command = opts.command ?? 'systemd-inhibit';
    this.#env = opts.env ?? process.env;
    this.#readyTimeoutMs = opts.readyTimeoutMs ?? 5000;
    this.#exitTimeoutMs = opts.exitTimeoutMs ?? 1000;
  }

  get held(): boolean {
    return this.#attempt?.held === true;
  }

  /** The PID of the systemd-inhibit child, while there is one. */
  get pid(): number | undefined {
    return this.#attempt?.child.pid;
  }

  onLost(fn: (detail: string) => void): void {
    this.#lostListeners.push(fn);
  }

  /** Take the lock; idempotent while held or being taken. Never throws. */
  take(): Promise<TakeResult> {
    if (this.#closed) return Promise.resolve({ held: false, reason: 'closed', detail: 'inhibitor closed' });
    if (this.#attempt && !this.#attempt.releasing) return this.#attempt.result;
    const attempt = this.#spawn();
    this.#attempt = attempt;
    return attempt.result;
  }

  /** Release the lock (end the child by PID) and wait until the child is gone. Idempotent. */
  async release(): Promise<void> {
    const attempt = this.#attempt;
    if (attempt) await this.#end(attempt);
  }

  /** Release for good; later take() calls fail with `closed`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.release();
  }

  async #end(attempt: Attempt): Promise<void> {
    const wasHeld = attempt.held;
    attempt.releasing = true;
    const { child } = attempt;
    child.stdin.end();
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    // The exit deadline's timer is cleared once the child is gone: left running it
    // held every stop of the agent open for exitTimeoutMs (found by the lab).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#exitTimeoutMs);
    });
    const gone = await Promise.race([attempt.exited.then(() => true), deadline]);
    clearTimeout(timer);
    if (!gone && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await attempt.exited;
    }
    if (this.#attempt === attempt) this.#attempt = null;
    if (wasHeld) this.#log.info({ op: 'inhibit', pid: child.pid }, 'shutdown delay inhibitor released');
    attempt.held = false;
  }

  #spawn(): Attempt {
    const child = spawn(this.#command, inhibitArgs(), { env: this.#env, stdio: ['pipe', 'pipe', 'pipe'] }) as Child;
    // The child never keeps the agent alive; the agent's exit releases the lock.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr] as Array<{ unref?: () => void }>) s.unref?.();
    child.stdin.on('error', () => {}); // EPIPE when the child is gone: its exit is what matters

    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 2000) stderr += d;
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');

    let attempt!: Attempt;
    const exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve()); // never started
    });
    const result = new Promise<TakeResult>((resolve) => {
      let settled = false;
      const settle = (r: TakeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A failed attempt is forgotten, so that the next take() tries again.
        if (!r.held && this.#attempt === attempt && r.reason !== 'timeout') this.#attempt = null;
        resolve(r);
      };
      const timer = setTimeout(() => {
        settle({ held: false, reason: 'timeout', detail: `no lock within ${this.#readyTimeoutMs} ms` });
        void this.#end(attempt);
      }, this.#readyTimeoutMs);
      // This timer (not the child) keeps the process alive while a take() is pending.

      child.once('error', (e: Error) => {
        settle({ held: false, reason: 'spawn-failed', detail: `${this.#command}: ${e.message}` });
      });
      child.stdout.on('data', (d: string) => {
        if (settled) return;
        stdout += d;
        if (!stdout.includes(PROBE)) return;
        attempt.held = true;
        this.#log.info({ op: 'inhibit', pid: child.pid }, 'shutdown delay inhibitor held');
        settle({ held: true, pid: child.pid ?? 0 });
      });
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        const how = signal ? `signal ${signal}` : `exit ${code}`;
        const detail = `${this.#command} ended (${how})${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
        const wasHeld = attempt.held;
        attempt.held = false;
        if (this.#attempt === attempt && !attempt.releasing) this.#attempt = null;
        if (attempt.releasing) {
          settle({ held: false, reason: 'released', detail });
          return;
        }
        settle({ held: false, reason: 'exited', detail });
        if (wasHeld) for (const fn of this.#lostListeners) fn(detail);
      });
    });
    attempt = { child, result, exited, held: false, releasing: false };
    child.stdin.write(PROBE);
    return attempt;
  }
}


// The real agent, `node src/main.ts run -c FILE`, inside a test's network
// namespace (`ip netns exec` execs, so the child's PID is the agent's own —
// what systemd's GetUnitByPID would be asked about). Its JSON log lines are
// kept; its HTTP endpoints, which listen on the namespace's loopback, are
// read with curl run in the namespace.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exec, isRunning, killPid, track, waitFor } from './procs.ts';

export const REPO = join(import.meta.dirname, '../../..');
export const NODE = join(REPO, 'node_modules/.bin/node');
export const MAIN = join(REPO, 'src/main.ts');
/** The fake systemd-inhibit of the D-Bus tests: runs its command, as the real one does once logind grants the lock. */
export const FAKE_INHIBIT_BIN = join(REPO, 'test/dbus/fixtures/bin');

export interface LogLine {
  readonly level: number | string;
  readonly msg: string;
  readonly op?: string;
  readonly reason?: string;
  readonly [k: string]: unknown;
}

export interface AgentExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface AgentProcOptions {
  readonly ns: string;
  readonly config: string;
  /** D-Bus system bus address; default a path where no bus is. */
  readonly bus?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Node options before the script, e.g. ['--expose-gc']. */
  readonly nodeArgs?: readonly string[];
  /** Run this executable (e.g. the single executable dist/kube-lb-agent) instead of src/main.ts. */
  readonly bin?: string;
}

export class AgentProc {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly ns: string;
  readonly logs: LogLine[] = [];
  readonly exited: Promise<AgentExit>;
  readonly startedAt = Date.now();
  stderr = '';

  constructor(o: AgentProcOptions) {
    this.ns = o.ns;
    const env = {
      ...process.env,
      DBUS_SYSTEM_BUS_ADDRESS: o.bus ?? 'unix:path=/nonexistent/kla-agent-test-bus',
      PATH: `${FAKE_INHIBIT_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      JOURNAL_STREAM: '',
      ...o.env,
    };
    const program = o.bin ? [o.bin] : [NODE, ...(o.nodeArgs ?? []), MAIN];
    this.proc = track(spawn('ip', ['netns', 'exec', o.ns, ...program, 'run', '-c', o.config], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.pid = this.proc.pid!;
    this.exited = new Promise((resolve) => this.proc.once('close', (code, signal) => resolve({ code, signal })));
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      try {
        const l = JSON.parse(line) as LogLine;
        this.logs.push(l);
        if (process.env.KLA_TEST_LOG) process.stderr.write(`  agent ${this.pid}: ${line}\n`);
      } catch {
        this.stderr += `${line}\n`;
      }
    });
  }

  get running(): boolean {
    return isRunning(this.proc);
  }

  /** Log lines from index `from` whose op (and reason, message) match. */
  logged(pred: (l: LogLine) => boolean, from = 0): LogLine[] {
    return this.logs.slice(from).filter(pred);
  }

  async waitLog(what: string, pred: (l: LogLine) => boolean, timeoutMs = 10_000, from = 0): Promise<LogLine> {
    return waitFor(`agent log: ${what}`, () => {
      const hit = this.logs.slice(from).find(pred);
      if (hit) return hit;
      if (!this.running) throw new Error(`agent exited; stderr: ${this.stderr.slice(-2000)}`);
      return undefined;
    }, timeoutMs);
  }

  /** GET on the agent's HTTP endpoint (127.0.0.1:20244 in its namespace). */
  async http(path: string, port = 20244): Promise<{ status: number; body: string }> {
    const { stdout } = await exec('ip', ['netns', 'exec', this.ns, 'curl', '-s', '-m', '3', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${path}`], { maxBuffer: 256 << 20 });
    const nl = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(nl + 1)), body: stdout.slice(0, nl) };
  }

  async status(): Promise<AgentStatusJson> {
    const r = await this.http('/status');
    if (r.status !== 200) throw new Error(`/status answered ${r.status}: ${r.body}`);
    return JSON.parse(r.body) as AgentStatusJson;
  }

  /** One sample of a metric (name without labels, or with `{…}` exactly as exposed); undefined when absent. */
  async metric(name: string): Promise<number | undefined> {
    const r = await this.http('/metrics');
    return metricValue(r.body, name);
  }

  signal(sig: NodeJS.Signals): void {
    killPid(this.proc, sig);
  }

  /** SIGTERM (the stop sequence), then wait; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<AgentExit> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL by PID (a crash: no stop sequence) and wait. Idempotent. */
  async kill(): Promise<AgentExit> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

export function metricValue(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (line.slice(0, sp) === name) return Number(line.slice(sp + 1));
  }
  return undefined;
}

/** The parts of /status the tests read. */
export interface AgentStatusJson {
  readonly phase: string;
  readonly synced: boolean;
  readonly boot: { readonly kind: string; readonly why: string };
  readonly api: { readonly state: string; readonly lastError: string | null };
  readonly lease: { readonly name: string; readonly held: boolean } | null;
  readonly guard: { readonly holding: boolean; readonly sinceMs: number | null; readonly releaseAtMs: number | null; readonly wouldWithdraw: number; readonly current: number };
  readonly kernel: { readonly routes: number; readonly lastError: string | null };
  readonly announcements: readonly { readonly ip: string; readonly services: readonly string[] }[];
  readonly decisions: readonly { readonly ip: string; readonly reason: string; readonly service?: string }[];
}

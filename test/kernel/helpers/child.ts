// A Node 24 child process run inside a network namespace (`ip netns exec`
// execs it, so the child's PID is the Node process itself). Talks in lines:
// the test reads JSON lines from its stdout and writes lines to its stdin.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export class NsChild {
  readonly proc: ChildProcess;
  readonly exit: Promise<Exit>;
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private stderr = '';

  constructor(netns: string, script: string, env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn('ip', ['netns', 'exec', netns, process.execPath, script], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdin!.on('error', () => {}); // the child may be gone already (EPIPE)
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.();
    });
    this.exit = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.waiter?.();
        resolve({ code, signal, stderr: this.stderr });
      });
    });
  }

  /** The next stdout line, or undefined if the child exits first. */
  async nextLine(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child wrote no line within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.lines.shift();
  }

  send(line: string): void {
    this.proc.stdin!.write(line + '\n');
  }

  async waitExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`child did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the child by its PID if it is still running. */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null && this.proc.pid !== undefined) {
      process.kill(this.proc.pid, 'SIGKILL');
    }
  }
}

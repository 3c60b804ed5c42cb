// The client side of main.ts's JSON-line protocol: starts the test API
// server as a child process (optionally under a prefix such as
// `ip netns exec NS`) and offers the same control API, asynchronously.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { KubeObject } from './store.ts';
import type { KubeconfigOptions, ObjectRef, PatchType } from './server.ts';

export interface ProcessOptions {
  /** Command-line options of main.ts, e.g. ['--down', '--bookmark-ms', '200']. */
  args?: string[];
  /** Run under this prefix, e.g. ['ip', 'netns', 'exec', 'ns1']. */
  prefix?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the ready line; default 15 s. */
  startTimeoutMs?: number;
}

export interface ReadyInfo {
  url: string;
  port: number;
  token: string;
  caFile: string;
  caPem: string;
  listening: boolean;
  resourceVersion: string;
  /** A token kubeconfig written at start. */
  kubeconfig: string;
}

export class RemoteError extends Error {
  readonly code: number | undefined;
  readonly reason: string | undefined;
  readonly status: unknown;
  constructor(e: { message: string; code?: number; reason?: string; status?: unknown }) {
    super(e.message);
    this.code = e.code;
    this.reason = e.reason;
    this.status = e.status;
  }
}

export class ApiServerProcess {
  readonly proc: ChildProcess;
  info!: ReadyInfo;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(proc: ChildProcess) {
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.on('close', (code) => resolve(code)));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    proc.stdin!.on('error', () => {});
  }

  static async spawn(o: ProcessOptions = {}): Promise<ApiServerProcess> {
    const main = join(import.meta.dirname, 'main.ts');
    const cmd = [...(o.prefix ?? []), process.execPath, main, ...(o.args ?? [])];
    const p = new ApiServerProcess(spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] }));
    const ready = new Promise<ReadyInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`test apiserver process not ready after ${o.startTimeoutMs ?? 15000} ms; stderr: ${p.stderr}`)), o.startTimeoutMs ?? 15000);
      void p.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`test apiserver process exited (${code}); stderr: ${p.stderr}`));
        for (const w of p.pending.values()) w.reject(new Error(`test apiserver process exited (${code})`));
        p.pending.clear();
      });
      createInterface({ input: p.proc.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line);
        if (msg.event === 'ready') {
          clearTimeout(timer);
          resolve(msg as ReadyInfo);
          return;
        }
        const w = p.pending.get(msg.id);
        if (!w) return;
        p.pending.delete(msg.id);
        if (msg.ok) w.resolve(msg.result);
        else w.reject(new RemoteError(msg.error));
      });
    });
    try {
      p.info = await ready;
    } catch (e) {
      p.proc.kill('SIGKILL');
      throw e;
    }
    return p;
  }

  /** Any op of main.ts. */
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  get url(): string {
    return this.info.url;
  }
  get caPem(): string {
    return this.info.caPem;
  }
  get token(): string {
    return this.info.token;
  }

  put(obj: KubeObject): Promise<KubeObject> {
    return this.call('put', obj);
  }
  create(obj: KubeObject): Promise<KubeObject> {
    return this.call('create', obj);
  }
  update(obj: KubeObject): Promise<KubeObject> {
    return this.call('update', obj);
  }
  patch(ref: ObjectRef | KubeObject, patch: unknown, type?: PatchType): Promise<KubeObject> {
    return this.call('patch', ref, patch, type);
  }
  delete(ref: ObjectRef | KubeObject): Promise<boolean> {
    return this.call('delete', ref);
  }
  get(ref: ObjectRef | KubeObject): Promise<KubeObject | null> {
    return this.call('get', ref);
  }
  list(kind: string, namespace?: string): Promise<KubeObject[]> {
    return this.call('list', kind, namespace);
  }
  resourceVersion(): Promise<string> {
    return this.call('resourceVersion');
  }
  expireBefore(rv: string | number): Promise<void> {
    return this.call('expireBefore', rv);
  }
  compact(): Promise<void> {
    return this.call('compact');
  }
  dropWatches(opts: { graceful?: boolean; resource?: string } = {}): Promise<number> {
    return this.call('dropWatches', opts);
  }
  stop(): Promise<void> {
    return this.call('stop');
  }
  start(opts: { freshWatchCache?: boolean } = {}): Promise<void> {
    return this.call('start', opts);
  }
  restart(opts: { freshWatchCache?: boolean } = {}): Promise<void> {
    return this.call('restart', opts);
  }
  hang(on: boolean): Promise<void> {
    return this.call('hang', on);
  }
  writeKubeconfig(opts: KubeconfigOptions & { path?: string } = {}): Promise<string> {
    return this.call('writeKubeconfig', opts);
  }

  /** Closes the server and waits for the process to exit (SIGKILL after `timeoutMs`). */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.call('close').catch(() => {});
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export const spawnApiServer = (o?: ProcessOptions) => ApiServerProcess.spawn(o);

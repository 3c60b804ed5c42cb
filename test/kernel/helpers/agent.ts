// The parent's side of fixtures/agent.ts: a kernel-layer driver running in a
// network namespace. `call` sends a command and waits for its answer; passes
// and log lines the child reports are collected as events.

import type { PassReport } from '../../../src/kernel/index.ts';
import { NsChild } from './child.ts';
import { createNetns, type Netns } from './netns.ts';

const FIXTURE = new URL('../fixtures/agent.ts', import.meta.url).pathname;

export interface PassEvent {
  readonly event: 'pass';
  /** Absolute time (ms since the epoch, fractional) the pass ended. */
  readonly at: number;
  readonly report: PassReport;
}

export interface LogEvent {
  readonly event: 'log';
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

type Answer = { id: number; ok: boolean; at: number; error?: string; errno?: string } & Record<string, unknown>;

export const now = () => performance.timeOrigin + performance.now();

export class AgentDriver {
  readonly child: NsChild;
  readonly passes: PassEvent[] = [];
  readonly logs: LogEvent[] = [];
  #id = 0;
  #waiting = new Map<number, (a: Answer) => void>();
  #eventWaiters: (() => void)[] = [];
  #exited = false;

  constructor(netns: string) {
    this.child = new NsChild(netns, FIXTURE);
    void this.#read();
  }

  async #read(): Promise<void> {
    for (;;) {
      let line: string | undefined;
      try {
        line = await this.child.nextLine(3_600_000);
      } catch {
        continue;
      }
      if (line === undefined) break;
      const msg = JSON.parse(line) as Answer | PassEvent | LogEvent;
      if ('event' in msg) {
        if (msg.event === 'pass') this.passes.push(msg as PassEvent);
        else this.logs.push(msg as LogEvent);
        for (const w of this.#eventWaiters.splice(0)) w();
      } else {
        this.#waiting.get(msg.id)?.(msg);
        this.#waiting.delete(msg.id);
      }
    }
    this.#exited = true;
    const exit = await this.child.exit;
    for (const [, w] of this.#waiting) w({ id: -1, ok: false, at: 0, error: `agent child exited: ${JSON.stringify(exit)}` });
    for (const w of this.#eventWaiters.splice(0)) w();
  }

  /** Sends a command; rejects when the child answers with an error (or is gone). */
  async call<T = Record<string, unknown>>(cmd: string, args: object = {}, timeoutMs = 60_000): Promise<T & { at: number }> {
    if (this.#exited) throw new Error(`agent child exited: ${JSON.stringify(await this.child.exit)}`);
    const id = ++this.#id;
    let timer: NodeJS.Timeout | undefined;
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.#waiting.set(id, resolve);
      timer = setTimeout(() => reject(new Error(`no answer to ${cmd} within ${timeoutMs} ms`)), timeoutMs);
      this.child.send(JSON.stringify({ id, cmd, ...args }));
    }).finally(() => clearTimeout(timer));
    if (!answer.ok) throw Object.assign(new Error(`${cmd}: ${answer.error}`), { errno: answer.errno });
    return answer as unknown as T & { at: number };
  }

  /** Waits until a pass reported after index `from` satisfies `pred`. */
  async waitForPass(pred: (p: PassEvent) => boolean, from: number, timeoutMs = 10_000): Promise<PassEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.passes.slice(from).find(pred);
      if (hit) return hit;
      if (this.#exited) throw new Error(`agent child exited: ${JSON.stringify(await this.child.exit)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such pass within ${timeoutMs} ms; passes: ${JSON.stringify(this.passes.slice(from).map((p) => p.report))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#eventWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (!this.#exited) await this.call('close').catch(() => {});
    this.child.kill();
  }
}

/** A namespace with a driver in it; both go away after `fn`, also when it throws. */
export async function withAgent(purpose: string, setup: (ns: Netns) => Promise<void>, fn: (ns: Netns, agent: AgentDriver) => Promise<void>): Promise<void> {
  const ns = await createNetns(purpose);
  let agent: AgentDriver | undefined;
  try {
    await setup(ns);
    agent = new AgentDriver(ns.name);
    await fn(ns, agent);
  } finally {
    await agent?.close();
    await ns.remove();
  }
}

/** `ip -n NS route show table T` (or -6), one route per line, sorted. */
export async function routes(ns: Netns, family: 4 | 6, table: number | string = 198): Promise<string[]> {
  const text = await ns.ip('-N', `-${family}`, 'route', 'show', 'table', String(table));
  return text.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean).sort();
}

/** Addresses on a link, `ip/prefix` (global scope only: no link-local), sorted. */
export async function addresses(ns: Netns, dev = 'kube-lb0'): Promise<string[]> {
  const text = await ns.ip('-o', 'addr', 'show', 'dev', dev, 'scope', 'global');
  return text
    .split('\n')
    .map((l) => /inet6? (\S+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .sort();
}

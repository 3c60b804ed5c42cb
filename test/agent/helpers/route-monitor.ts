// `ip -n NS -ts monitor route` as a child process: every route change the
// kernel announces in the namespace, with iproute2's timestamp (µs). Ready
// once it has seen a sentinel route of its own (table 197), so nothing the
// test does afterwards can be missed.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { exec, isRunning, killPid, track, waitFor } from './procs.ts';

export interface RouteEvent {
  /** Epoch ms (fractional) from iproute2's `-ts` stamp. */
  readonly at: number;
  readonly deleted: boolean;
  readonly dst: string;
  readonly table: number;
  readonly line: string;
}

const SENTINEL = '203.0.113.254';
const SENTINEL_TABLE = 197;

/** `[2026-11-22T03:46:55.225624] Deleted 192.0.2.1 dev kube-lb0 table 198 proto 201 scope link` */
export function parseMonitorLine(line: string): RouteEvent | null {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\]\s+(Deleted\s+)?(?:(?:unicast|blackhole|local|broadcast|multicast)\s+)?(\S+)\s(.*)$/.exec(line);
  if (!m) return null;
  const table = /\btable (\d+)\b/.exec(m[5]!);
  // The stamp is local time, as iproute2 prints it; Date reads it as local time too.
  const at = new Date(`${m[1]}`).getTime() + Number(m[2]) / 1000;
  return { at, deleted: m[3] !== undefined, dst: m[4]!.replace(/\/(32|128)$/, ''), table: table ? Number(table[1]) : 254, line };
}

export class RouteMonitor {
  readonly events: RouteEvent[] = [];
  readonly #proc: ChildProcess;
  readonly #ns: string;
  #stderr = '';

  private constructor(ns: string) {
    this.#ns = ns;
    this.#proc = track(spawn('ip', ['-n', ns, '-N', '-ts', 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.#proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.#stderr += s));
    createInterface({ input: this.#proc.stdout! }).on('line', (line) => {
      const e = parseMonitorLine(line);
      if (e) this.events.push(e);
    });
  }

  static async start(ns: string): Promise<RouteMonitor> {
    const m = new RouteMonitor(ns);
    try {
      // ip may not have subscribed yet when the first sentinel goes by: repeat until one is seen.
      await waitFor('the route monitor to see its sentinel', async () => {
        if (!isRunning(m.#proc)) throw new Error(`ip monitor exited: ${m.#stderr}`);
        await m.#sentinel();
        return m.events.some((e) => e.table === SENTINEL_TABLE);
      }, 5000, 50);
    } catch (e) {
      await m.close();
      throw e;
    }
    return m;
  }

  async #sentinel(): Promise<void> {
    const route = ['blackhole', `${SENTINEL}/32`, 'table', String(SENTINEL_TABLE)];
    await exec('ip', ['-n', this.#ns, 'route', 'add', ...route]);
    await exec('ip', ['-n', this.#ns, 'route', 'del', ...route]);
  }

  /** Route changes in `table` (default 198), from index `from` of `events`. */
  inTable(table = 198, from = 0): RouteEvent[] {
    return this.events.slice(from).filter((e) => e.table === table);
  }

  deletions(table = 198, from = 0): RouteEvent[] {
    return this.inTable(table, from).filter((e) => e.deleted);
  }

  additions(table = 198, from = 0): RouteEvent[] {
    return this.inTable(table, from).filter((e) => !e.deleted);
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Everything up to now has been read: a sentinel sent now came through. */
  async flush(): Promise<void> {
    const n = this.events.length;
    await this.#sentinel();
    await waitFor('the route monitor to catch up', () => this.events.slice(n).some((e) => e.table === SENTINEL_TABLE), 5000, 10);
  }

  async close(): Promise<void> {
    if (!isRunning(this.#proc)) return;
    const closed = new Promise((r) => this.#proc.once('close', r));
    killPid(this.#proc, 'SIGKILL');
    await closed;
  }
}

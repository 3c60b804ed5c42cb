// Real packets: a tiny server on every node bound to the VIPs (local there as
// kube-proxy's IPVS mode holds them, see net.ts), and a client in the
// client's namespace whose flows cross the router's ECMP route.

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import type { LabNode } from './net.ts';
import type { Reaper } from './reaper.ts';

const NODE = join(import.meta.dirname, '../../node_modules/.bin/node');
const SERVER = join(import.meta.dirname, 'bin/traffic-server.ts');
const CLIENT = join(import.meta.dirname, 'bin/traffic-client.ts');
export const SERVICE_PORT = 8080;

export interface TrafficResult {
  readonly ok: number;
  readonly failed: number;
  readonly perNode: Record<string, number>;
  readonly errors: readonly { at: number; err: string }[];
  readonly ms: number;
}

export class TrafficServer extends Daemon {
  private constructor(reaper: Reaper, node: LabNode, vips: readonly string[]) {
    super(reaper, `traffic server ${node.name}`);
    this.spawn(['ip', 'netns', 'exec', node.ns, NODE, SERVER, node.name, String(SERVICE_PORT), ...vips]);
  }

  static async start(reaper: Reaper, node: LabNode, vips: readonly string[]): Promise<TrafficServer> {
    const s = new TrafficServer(reaper, node, vips);
    await s.waitUntil('listening', () => /ready/.test(s.output), 20_000);
    return s;
  }
}

function parseResult(out: string, stderr: string): TrafficResult {
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TrafficResult;
  } catch {
    throw new Error(`traffic client printed no result: ${out} ${stderr}`);
  }
}

/** `flows` flows to vip:8080 from the client namespace; resolves with the counts. */
export async function runFlows(reaper: Reaper, clientNs: string, vip: string, flows: number, concurrency = 8): Promise<TrafficResult> {
  const child = reaper.spawn('ip', ['netns', 'exec', clientNs, NODE, CLIENT, vip, String(SERVICE_PORT), '--flows', String(flows), '--concurrency', String(concurrency)]);
  return collect(child);
}

function collect(child: ChildProcess): Promise<TrafficResult> {
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    child.once('close', () => {
      try {
        resolve(parseResult(out, err));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** A load that runs until stop(): flows back to back, `concurrency` at a time. */
export class Load {
  readonly #child: ChildProcess;
  readonly #result: Promise<TrafficResult>;

  constructor(reaper: Reaper, clientNs: string, vip: string, concurrency = 4) {
    this.#child = reaper.spawn('ip', ['netns', 'exec', clientNs, NODE, CLIENT, vip, String(SERVICE_PORT), '--until-eof', '--concurrency', String(concurrency)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#result = collect(this.#child);
  }

  /** Closes the client's stdin: it finishes the flows under way and reports. */
  stop(): Promise<TrafficResult> {
    this.#child.stdin!.end();
    return this.#result;
  }
}

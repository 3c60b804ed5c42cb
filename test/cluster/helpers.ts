// Shared by the cluster tests: a logger that records what it says, a
// KubernetesConfig pointing at a test API server, quick timings, polling.

import { pino, type Logger } from 'pino';
import type { KubernetesConfig } from '../../src/config/index.ts';
import type { InformerTuning } from '../../src/cluster/index.ts';

export interface LogLine {
  level: string;
  msg: string;
  op?: string;
  reason?: string;
  [k: string]: unknown;
}

export interface RecordingLog {
  readonly log: Logger;
  readonly lines: LogLine[];
  /** Lines whose message matches. */
  said(re: RegExp): LogLine[];
}

export function recordingLog(level: 'debug' | 'info' = 'debug'): RecordingLog {
  const lines: LogLine[] = [];
  const log = pino(
    { level, base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  if (process.env.KLA_TEST_LOG) {
    const print = lines.push.bind(lines);
    lines.push = (...l: LogLine[]) => {
      for (const x of l) process.stderr.write(`  log: ${JSON.stringify(x)}\n`);
      return print(...l);
    };
  }
  return { log, lines, said: (re) => lines.filter((l) => re.test(l.msg)) };
}

export function kubernetesConfig(kubeconfig: string, over: Partial<KubernetesConfig> = {}): KubernetesConfig {
  return {
    kubeconfig,
    requestTimeoutMs: 2000,
    backoffMaxMs: 1000,
    leaseNamespace: 'kube-system',
    leaseDurationMs: 3000,
    leaseRenewMs: 300,
    events: false,
    ...over,
  };
}

/** Short timings so that tests see retries and relists in a second or two. */
export const FAST: Partial<InformerTuning> = {
  backoffBaseMs: 50,
  watchIdleMs: 5000,
  watchTimeoutSeconds: [30, 60],
  pageSize: 2,
};

export async function waitFor<T>(what: string, probe: () => T | undefined | false | null, timeoutMs = 10_000, everyMs = 10): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

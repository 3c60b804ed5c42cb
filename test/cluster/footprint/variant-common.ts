import { pino } from 'pino';
import type { KubernetesConfig } from '../../../src/config/index.ts';

export const silentLog = pino({ level: 'silent' });
export const kubernetesConfig: KubernetesConfig = {
  kubeconfig: '',
  requestTimeoutMs: 60_000,
  backoffMaxMs: 30_000,
  leaseNamespace: 'kube-system',
  leaseDurationMs: 15_000,
  leaseRenewMs: 5_000,
  events: false,
};

/** Prints one JSON line: RSS and heap after two full GCs, with the held objects still alive. */
export async function report(variant: string, t0: number, counts: object, keep: unknown[]): Promise<void> {
  const syncMs = Date.now() - t0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  if (process.env.KLA_FOOTPRINT_WAIT) await new Promise((r) => setTimeout(r, Number(process.env.KLA_FOOTPRINT_WAIT)));
  gc?.();
  const m = process.memoryUsage();
  if (process.env.KLA_FOOTPRINT_DETAIL) {
    const v8 = await import('node:v8');
    const fs = await import('node:fs');
    console.error(fs.readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n').slice(1, 8).join(' | '));
    console.error(v8.getHeapSpaceStatistics().map((s) => `${s.space_name}: ${(s.space_size / 1e6).toFixed(1)}/${(s.space_used_size / 1e6).toFixed(1)}`).join(', '));
    console.error(JSON.stringify(m));
    const maps = fs.readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
    const top = maps
      .map((b) => ({ head: b.split('\n')[0]!, rss: Number(/\nRss:\s+(\d+)/.exec(b)?.[1] ?? 0) }))
      .sort((a, b) => b.rss - a.rss)
      .slice(0, 12);
    for (const t of top.slice(0, 3)) console.error(`${String(t.rss).padStart(8)} kB ${t.head}`);
    const groups = new Map<string, number>();
    for (const b of maps) {
      const head = b.split('\n')[0]!;
      const rss = Number(/\nRss:\s+(\d+)/.exec(b)?.[1] ?? 0);
      const parts = head.trim().split(/\s+/);
      const g = parts[5] ? (parts[5].startsWith('/') ? 'file' : parts[5]) : `anon ${parts[0]!.slice(0, parts[0]!.indexOf('-') - 7)}`;
      groups.set(g, (groups.get(g) ?? 0) + rss);
    }
    console.error([...groups].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([g, r]) => `${g}: ${(r / 1e3).toFixed(1)} MB`).join(', '));
  }
  console.log(JSON.stringify({ variant, syncMs, counts, rssMB: +(m.rss / 1e6).toFixed(1), heapUsedMB: +(m.heapUsed / 1e6).toFixed(1), externalMB: +(m.external / 1e6).toFixed(1), kept: keep.length }));
}

// Optional gate (node.kube_proxy_healthz): this node serves Service traffic
// only through kube-proxy, so while the local kube-proxy does not answer
// healthy the node announces nothing. Unknown (never answered yet) counts as
// not healthy: after a fresh boot nothing is announced before kube-proxy is up.

import type { Logger } from '../system/logger.ts';

export interface KubeProxyProbeOptions {
  readonly url: string;
  readonly log: Logger;
  readonly onChange: () => void;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
}

export class KubeProxyProbe {
  readonly #o: KubeProxyProbeOptions;
  #healthy = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: KubeProxyProbeOptions) {
    this.#o = opts;
  }

  healthy(): boolean {
    return this.#healthy;
  }

  start(): void {
    void this.#probe();
  }

  async #probe(): Promise<void> {
    if (this.#closed) return;
    let ok = false;
    let why = '';
    try {
      const res = await fetch(this.#o.url, { signal: AbortSignal.timeout(this.#o.timeoutMs ?? 1000) });
      ok = res.ok;
      why = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (e) {
      why = (e as Error).message;
    }
    if (ok !== this.#healthy) {
      this.#healthy = ok;
      if (ok) this.#o.log.info({ op: 'kube-proxy', url: this.#o.url }, 'local kube-proxy healthy: this node can serve');
      else this.#o.log.warn({ op: 'kube-proxy', url: this.#o.url, reason: why }, 'local kube-proxy not healthy: announcing nothing from this node');
      this.#o.onChange();
    }
    if (!this.#closed) {
      this.#timer = setTimeout(() => void this.#probe(), this.#o.intervalMs ?? 2000);
      this.#timer.unref();
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}

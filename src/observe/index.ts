// observe/ — how the agent shows itself: the Prometheus metrics registry, the
// HTTP server on `http.listen` (/healthz, /readyz, /metrics, /status), and
// what `kube-lb-agent status` and `explain` read and print. It reads the
// agent's state (AgentStatus) and never changes it.
//
// Typical use by the agent:
//   const metrics = createMetrics({ status: () => current, informers: () => view.status().informers });
//   const http = config.http.listen && (await startHttpServer({ listen: config.http.listen, status: () => current, metrics, log }));
//   … metrics.observeReconcile(s, 'ok'); metrics.kernelPass(report); metrics.withdrawalHeld(); metrics.observeEventToKernel(s); …
//   await http?.close();

export { createMetrics, KERNEL_OPS, LATENCY_BUCKETS, METRIC_PREFIX, type AgentMetrics, type KernelOpKind, type KernelPassCounts, type MetricsOptions } from './metrics.ts';
export { startHttpServer, formatListen, statusForService, type Health, type HttpServer, type HttpServerOptions } from './http.ts';
export { fetchStatus, connectHost, type StatusFetch, type StatusFetchOptions } from './client.ts';
export { readKernelHoldings, type KernelHoldings, type KernelReadOptions } from './kernel-read.ts';
export { renderStatus, renderNotAnnounced, renderKernelFallback, duration, type KernelFallback } from './render-status.ts';
export { explainService, explainDecision, notConsideredChecks, type Explanation } from './explain.ts';

// The agent's HTTP endpoints on `http.listen`: /healthz (the process runs),
// /readyz (readiness(status)), /metrics (Prometheus text), /status (the
// AgentStatus as JSON; `?service=ns/name` keeps that Service's decisions and
// the announcements that carry it). Read-only: GET and HEAD, 405 otherwise.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readiness, type AgentStatus } from '../agent/status.ts';
import type { ListenAddress } from '../config/index.ts';
import { AgentError } from '../errors.ts';
import type { Logger } from '../system/logger.ts';
import type { AgentMetrics } from './metrics.ts';

export interface Health {
  readonly ok: boolean;
  readonly detail: string;
}

export interface HttpServerOptions {
  readonly listen: ListenAddress;
  /** The current status, replaced whole by the agent after each change. */
  readonly status: () => AgentStatus;
  readonly metrics: Pick<AgentMetrics, 'render' | 'contentType'>;
  readonly log: Logger;
  /**
   * /healthz beyond "the process answers": the agent's loop can say it is
   * stuck (e.g. a reconcile running far too long). Absent = always ok.
   */
  readonly health?: () => Health;
}

export interface HttpServer {
  /** Where it listens (the port the kernel picked when `listen.port` was 0). */
  readonly address: ListenAddress;
  /** Stops listening and closes every connection, keep-alive ones too. Idempotent. */
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const SERVICE_KEY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `host:port`, with brackets around an IPv6 host, as written in the config. */
export function formatListen(l: ListenAddress): string {
  return l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

/** The AgentStatus narrowed to one Service: its decisions, and the announcements that carry it. */
export function statusForService(s: AgentStatus, service: string): AgentStatus {
  return {
    ...s,
    announcements: s.announcements.filter((a) => a.services.includes(service)),
    decisions: s.decisions.filter((d) => d.service === service),
  };
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const { log } = opts;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(opts, req, res).catch((e: unknown) => {
      log.error({ op: 'http', path: req.url, err: e }, 'HTTP handler failed');
      if (!res.headersSent) send(res, 500, TEXT, `internal error: ${(e as Error)?.message ?? String(e)}\n`, req.method === 'HEAD');
      else res.destroy();
    });
  });
  // A scraper or a curl never needs long; a stuck client must not hold a socket.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      reject(listenError(opts.listen, e));
    };
    const onListening = () => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: opts.listen.host, port: opts.listen.port, exclusive: true });
  });
  server.on('error', (e) => log.error({ op: 'http', err: e }, 'HTTP server error'));

  const bound = server.address();
  const address: ListenAddress =
    bound && typeof bound === 'object' ? { host: opts.listen.host, port: bound.port } : { host: opts.listen.host, port: opts.listen.port };
  log.info({ op: 'http', listen: formatListen(address) }, 'HTTP endpoints ready: /healthz /readyz /metrics /status');

  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

function listenError(l: ListenAddress, e: NodeJS.ErrnoException): AgentError {
  const where = formatListen(l);
  const why =
    e.code === 'EADDRINUSE'
      ? `address already in use — another kube-lb-agent, or another service on port ${l.port} (kube-router's health port is 20244 too)`
      : e.code === 'EADDRNOTAVAIL'
        ? 'no interface of this host has that address'
        : e.code === 'EACCES'
          ? `permission denied for port ${l.port}`
          : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? `host name ${JSON.stringify(l.host)} does not resolve`
            : e.message;
  return new AgentError('HTTP', `cannot listen on ${where} (http.listen): ${why}; change http.listen, or set it to "" to turn HTTP off`, {
    cause: e,
  });
}

async function handle(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const head = req.method === 'HEAD';
  const route = ROUTES[url.pathname];
  if (!route) return send(res, 404, TEXT, `not found: ${url.pathname} (try /healthz, /readyz, /metrics, /status)\n`, head);
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, TEXT, `method ${req.method} not allowed: ${url.pathname} is read-only\n`, false);
  }
  return route(opts, url, res, head);
}

type Route = (opts: HttpServerOptions, url: URL, res: ServerResponse, head: boolean) => void | Promise<void>;

const ROUTES: Readonly<Record<string, Route>> = {
  '/healthz': (opts, _url, res, head) => {
    const h = opts.health?.() ?? { ok: true, detail: 'ok' };
    send(res, h.ok ? 200 : 503, TEXT, h.detail + '\n', head);
  },
  '/readyz': (opts, _url, res, head) => {
    const r = readiness(opts.status());
    send(res, r.ready ? 200 : 503, TEXT, r.detail + '\n', head);
  },
  '/metrics': async (opts, _url, res, head) => {
    send(res, 200, opts.metrics.contentType, await opts.metrics.render(), head);
  },
  '/status': (opts, url, res, head) => {
    const service = url.searchParams.get('service');
    let s = opts.status();
    if (service !== null) {
      if (!SERVICE_KEY.test(service)) return send(res, 400, TEXT, `service=${JSON.stringify(service)} is not NAMESPACE/NAME\n`, head);
      s = statusForService(s, service);
    }
    send(res, 200, JSON_TYPE, JSON.stringify(s) + '\n', head);
  },
};

function send(res: ServerResponse, code: number, type: string, body: string, head: boolean): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': bytes.length, 'Cache-Control': 'no-store' });
  res.end(head ? undefined : bytes);
}

// Reading a running agent's /status from the same host, for `status` and
// `explain`. Never throws for an agent that is down or odd: the caller
// decides what "not running" means for it, so the outcome is data.

import { request } from 'node:http';
import type { AgentStatus } from '../agent/status.ts';
import type { ListenAddress } from '../config/index.ts';
import { formatListen } from './http.ts';

export type StatusFetch =
  | { readonly ok: true; readonly status: AgentStatus; readonly url: string }
  | {
      readonly ok: false;
      /** `down`: nothing listens (or cannot be reached); `timeout`: no answer in time; `bad-answer`: not a /status answer. */
      readonly kind: 'down' | 'timeout' | 'bad-answer';
      readonly url: string;
      readonly message: string;
    };

export interface StatusFetchOptions {
  /** `ns/name`: only that Service's decisions and announcements. */
  readonly service?: string;
  readonly timeoutMs?: number;
}

// Errors that mean "nothing is there to answer", not "something answered badly".
const DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/** Where to connect for a listen address: a wildcard listen is reached on loopback. */
export function connectHost(l: ListenAddress): string {
  if (l.host === '0.0.0.0' || l.host === '') return '127.0.0.1';
  if (l.host === '::') return '::1';
  return l.host;
}

export function fetchStatus(listen: ListenAddress, opts: StatusFetchOptions = {}): Promise<StatusFetch> {
  const host = connectHost(listen);
  const path = `/status${opts.service ? `?service=${encodeURIComponent(opts.service)}` : ''}`;
  const url = `http://${formatListen({ host, port: listen.port })}${path}`;
  const timeoutMs = opts.timeoutMs ?? 2000;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: StatusFetch) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request({ host, port: listen.port, path, method: 'GET', headers: { accept: 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => finish({ ok: false, kind: 'bad-answer', url, message: e.message }));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          return finish({ ok: false, kind: 'bad-answer', url, message: `HTTP ${res.statusCode}: ${body.trim().slice(0, 200)}` });
        }
        try {
          const status = JSON.parse(body) as AgentStatus;
          if (!status || typeof status !== 'object' || !Array.isArray(status.decisions) || !Array.isArray(status.announcements)) {
            return finish({ ok: false, kind: 'bad-answer', url, message: 'the answer is not an agent status' });
          }
          finish({ ok: true, status, url });
        } catch (e) {
          finish({ ok: false, kind: 'bad-answer', url, message: `not JSON: ${(e as Error).message}` });
        }
      });
    });
    const timer = setTimeout(() => {
      finish({ ok: false, kind: 'timeout', url, message: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      const kind = e.code && DOWN.has(e.code) ? 'down' : 'bad-answer';
      finish({ ok: false, kind, url, message: e.code ? `${e.code}: ${e.message}` : e.message });
    });
    req.end();
  });
}

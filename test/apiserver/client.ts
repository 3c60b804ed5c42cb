// A minimal HTTPS client for tests that talk to the test API server on the
// wire: one request with a JSON answer, or a watch read event by event.

import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';

export interface Target {
  url: string;
  caPem: string;
  token?: string;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Bearer token; `null` sends none. Default: the target's token. */
  token?: string | null;
  cert?: { certPem: string; keyPem: string };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body (undefined if it is not JSON). */
  json: any;
}

function options(t: Target, path: string, o: CallOptions): RequestOptions & { url: URL } {
  const url = new URL(path, t.url);
  const headers: Record<string, string> = { Accept: 'application/json', ...o.headers };
  const token = o.token === undefined ? t.token : o.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (o.body !== undefined) headers['Content-Type'] = o.contentType ?? 'application/json';
  return { url, method: o.method ?? 'GET', headers, ca: t.caPem, cert: o.cert?.certPem, key: o.cert?.keyPem, agent: false };
}

export function call(t: Target, path: string, o: CallOptions = {}): Promise<Reply> {
  const { url, ...opts } = options(t, path, o);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.body !== undefined) {
      // With a length: Node sends DELETE bodies unframed otherwise.
      const data = Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
      req.setHeader('Content-Length', data.length);
      req.write(data);
    }
    req.end();
  });
}

export interface WatchEventLine {
  type: string;
  object: any;
}

/** An open watch: `next()` gives the next event, or `undefined` once the server ends the stream. */
export class WatchReader {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  private readonly res: IncomingMessage;
  private readonly queue: WatchEventLine[] = [];
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(res: IncomingMessage) {
    this.res = res;
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    const lines = createInterface({ input: res });
    lines.on('line', (l) => {
      if (l.trim()) this.queue.push(JSON.parse(l) as WatchEventLine);
      this.wake?.();
    });
    lines.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    const broke = (e: Error) => {
      this.error = e;
      this.ended = true;
      this.wake?.();
    };
    lines.on('error', broke); // readline re-emits the response's errors
    res.on('error', broke);
    res.on('aborted', () => broke(new Error('aborted')));
  }

  /** True when the stream ended because the connection broke rather than by a clean end. */
  get broken(): boolean {
    return this.error !== undefined;
  }

  async next(timeoutMs = 5000): Promise<WatchEventLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.queue.shift();
  }

  /** Resolves when the stream has ended (cleanly or not). */
  async closed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`watch still open after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.res.destroy();
  }
}

export function watch(t: Target, path: string, o: CallOptions = {}): Promise<WatchReader> {
  const { url, ...opts } = options(t, path, o);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, opts, (res) => resolve(new WatchReader(res)));
    req.on('error', reject);
    req.end();
  });
}

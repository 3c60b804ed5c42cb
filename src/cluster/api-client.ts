// A small client for the few calls the agent makes: list pages, watch
// streams and Lease writes, as JSON over HTTP/1.1 on top of the request
// options KubeConfig produces (kubeconfig.ts).
//
// Why not the library's generated API, Watch and informer: measured with
// test/cluster/footprint.ts (Node 24.21, bundled like the SEA, 10,000
// Services + 10,000 EndpointSlices + 100 Nodes + 100 Leases over HTTPS, RSS
// after sync and full GCs, median of 3; "semi4" = --max-semi-space-size=4):
//                       bundle     RSS   RSS semi4  heap used  sync
//   bare process        0.07 MB   49 MB    49 MB      4.7 MB
//   KubeConfig only     1.41 MB   82 MB    82 MB     11.6 MB
//   this client         1.55 MB  149 MB   124 MB     32.8 MB   0.9 s
//    + bundle stubs     0.42 MB  141 MB   108 MB     28.0 MB   0.8 s
//   library informers   2.18 MB  333 MB   255 MB     91.6 MB   1.8 s
// (bundle stubs: see kubeconfig.ts.)
// The library keeps whole objects, and decodes each list at once into model
// classes: about 3× the heap and 2–2.5× the RSS, far past the agent's 120 MB.
// Beyond the figures, its ListWatch
// - keeps every whole object (managedFields, ports, selectors…) in its cache,
//   with no hook to keep less, so the views of snapshot.ts would be a second
//   copy next to the first;
// - lists in one unpaginated response;
// - does not ask for bookmarks, so a quiet resource's resourceVersion ages into
//   410 Gone and a relist after every reconnect;
// - stops on any list or watch error other than 410 and timeouts, leaving the
//   retry (and its backoff) to the caller anyway; its Watch drops lines it
//   cannot parse without a word (a lost event);
// - has no notion of "listed": a relist deletes and re-adds objects one by one
//   through callbacks, which would let a half-listed cache look complete.
// KubeConfig itself does its job well (every kind of credential), so it stays.

import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AgentError } from '../errors.ts';
import type { ApiEndpoint } from './kubeconfig.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  readonly method?: HttpMethod;
  /** Absolute API path, e.g. `/api/v1/services`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** The body's Content-Type (default `application/json`; a PATCH names its patch type, e.g. `application/merge-patch+json`). */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Time to the whole answer (`json`) or to the response head (`stream`). */
  readonly timeoutMs: number;
  /** `stream` only: longest silence in the body before the stream counts as dead. */
  readonly idleMs?: number;
}

/** An API call that failed: `status` 0 when no HTTP answer came (refused, reset, timeout, TLS). */
export class ApiError extends AgentError {
  readonly status: number;
  /** The Status object's `reason` (`Expired`, `Conflict`, `NotFound`, …), if the server sent one. */
  readonly reason: string | null;
  readonly retryAfterMs: number | null;
  constructor(message: string, opts: { status: number; reason?: string | null; retryAfterMs?: number | null; cause?: unknown }) {
    super('API', message, { cause: opts.cause });
    this.name = 'ApiError';
    this.status = opts.status;
    this.reason = opts.reason ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

export function isGone(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 410 || e.reason === 'Expired' || e.reason === 'Gone');
}

export interface ApiClient {
  /** One request with a JSON answer; non-2xx → ApiError. */
  json(req: ApiRequest): Promise<unknown>;
  /** A streaming GET: calls `onLine` per line of the body until it ends (resolves) or fails (rejects). */
  stream(req: ApiRequest, onLine: (line: string) => void): Promise<void>;
  close(): void;
}

export function createApiClient(endpoint: ApiEndpoint): ApiClient {
  const send = endpoint.secure ? httpsRequest : httpRequest;

  interface Opened {
    readonly res: IncomingMessage;
    readonly creq: ClientRequest;
    /** (Re)starts the timer with `ms`; when it fires the request is destroyed with `timedOut()`. */
    arm(ms: number): void;
    disarm(): void;
    timedOut(): ApiError | null;
  }

  async function open(req: ApiRequest): Promise<Opened> {
    const url = new URL(endpoint.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts = await endpoint.requestOptions();
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string | number> = { ...(opts.headers as Record<string, string>), Accept: 'application/json' };
    if (body) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    const what = `${req.method ?? 'GET'} ${url.pathname}`;
    return new Promise((resolve, reject) => {
      const creq = send(url, { ...opts, method: req.method ?? 'GET', headers, signal: req.signal });
      let timer: NodeJS.Timeout | undefined;
      let timeout: ApiError | null = null;
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          timeout = new ApiError(`${what}: nothing received for ${ms} ms`, { status: 0 });
          creq.destroy(timeout);
        }, ms);
      };
      const disarm = () => clearTimeout(timer);
      creq.on('error', (e) => {
        disarm();
        reject(e instanceof ApiError ? e : new ApiError(`${what}: ${describe(e)}`, { status: 0, cause: e }));
      });
      creq.on('response', (res) => resolve({ res, creq, arm, disarm, timedOut: () => timeout }));
      creq.on('close', disarm);
      arm(req.timeoutMs);
      creq.end(body);
    });
  }

  return {
    async json(req) {
      const { res, creq, disarm, timedOut } = await open(req);
      try {
        const text = await readAll(res).catch((e: unknown) => {
          throw timedOut() ?? e;
        });
        if (res.statusCode! < 200 || res.statusCode! >= 300) throw statusError(req, res, text);
        return text === '' ? null : JSON.parse(text);
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw new ApiError(`${req.method ?? 'GET'} ${req.path}: ${describe(e)}`, { status: 0, cause: e });
      } finally {
        disarm();
        creq.destroy();
      }
    },

    async stream(req, onLine) {
      const { res, creq, arm, disarm, timedOut } = await open(req);
      const idleMs = req.idleMs ?? req.timeoutMs;
      try {
        if (res.statusCode !== 200) throw statusError(req, res, await readAll(res));
        arm(idleMs);
        await new Promise<void>((resolve, reject) => {
          let tail: Buffer | null = null;
          res.on('data', (chunk: Buffer) => {
            arm(idleMs);
            let start = 0;
            for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
              const piece = chunk.subarray(start, nl);
              const line = tail ? Buffer.concat([tail, piece]) : piece;
              tail = null;
              start = nl + 1;
              if (line.length === 0) continue;
              try {
                onLine(line.toString('utf8'));
              } catch (e) {
                // The caller refused the line (bad JSON, an ERROR event): end here.
                res.removeAllListeners('data');
                reject(e);
                creq.destroy();
                return;
              }
            }
            if (start < chunk.length) tail = tail ? Buffer.concat([tail, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
          });
          res.on('end', () => resolve());
          res.on('error', (e) => reject(timedOut() ?? e));
          // A reset mid-body ends with 'aborted' and 'close', not always 'error'.
          res.on('close', () => (res.complete ? resolve() : reject(timedOut() ?? new Error('connection closed mid-stream'))));
        });
      } catch (e) {
        if (e instanceof ApiError) throw e;
        if (req.signal?.aborted) throw new ApiError(`${req.path}: aborted`, { status: 0, cause: e });
        throw new ApiError(`watch ${req.path}: ${describe(e)}`, { status: 0, cause: e });
      } finally {
        disarm();
        creq.destroy();
      }
    },

    close() {
      endpoint.close();
    },
  };
}

// Decoded chunk by chunk into a string on the V8 heap: one big Buffer.concat
// per list page left the C heap fragmented (footprint.ts: a few MB of RSS).
function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.on('end', () => resolve(text));
    res.on('error', reject);
    res.on('close', () => (res.complete ? undefined : reject(new Error('connection closed mid-body'))));
  });
}

function statusError(req: ApiRequest, res: IncomingMessage, text: string): ApiError {
  let reason: string | null = null;
  let message = text.slice(0, 300);
  try {
    const st = JSON.parse(text) as { reason?: unknown; message?: unknown };
    if (typeof st.reason === 'string') reason = st.reason;
    if (typeof st.message === 'string') message = st.message;
  } catch {
    // not a Status object: keep the raw text
  }
  const ra = Number(res.headers['retry-after']);
  return new ApiError(`${req.method ?? 'GET'} ${req.path}: ${res.statusCode} ${reason ?? res.statusMessage ?? ''}: ${message}`.trim(), {
    status: res.statusCode ?? 0,
    reason,
    retryAfterMs: Number.isFinite(ra) && ra > 0 ? ra * 1000 : null,
  });
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code} ${err.message}` : String(err?.message ?? e);
}

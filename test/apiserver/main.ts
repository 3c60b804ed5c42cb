// The test API server as its own process, driven by JSON lines: for tests
// whose server must live elsewhere (another network namespace, a process
// that a test kills). Start: `node test/apiserver/main.ts [options]`; the
// first stdout line is {"event":"ready",…}; each stdin line
// {"id":N,"op":"…","args":[…]} is answered by {"id":N,"ok":true,"result":…}
// or {"id":N,"ok":false,"error":{"message","code","reason"}}. EOF on stdin
// closes the server and exits. process.ts is the client of this protocol.
//
// Options: --port N  --host ADDR  --cert-name NAME (repeatable)  --token T  --down  --anonymous  --bookmark-ms N
//          --retain N  --initial-rv N  --objects FILE (YAML/JSON, multi-document or a List)

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ApiError } from './status.ts';
import { startApiServer, type TestApiServer } from './server.ts';
import type { KubeObject } from './store.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'cert-name': { type: 'string', multiple: true },
    token: { type: 'string' },
    down: { type: 'boolean' },
    anonymous: { type: 'boolean' },
    'bookmark-ms': { type: 'string' },
    retain: { type: 'string' },
    'initial-rv': { type: 'string' },
    objects: { type: 'string' },
  },
});

function loadObjects(path: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
    const o = doc.toJS() as KubeObject | null;
    if (!o) continue;
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) out.push(...(o.items as KubeObject[]));
    else out.push(o);
  }
  return out;
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

const api = await startApiServer({
  port: num(values.port),
  host: values.host,
  certNames: values['cert-name'],
  token: values.token,
  listen: !values.down,
  anonymousAuth: values.anonymous ?? false,
  bookmarkIntervalMs: num(values['bookmark-ms']),
  retainEvents: num(values.retain),
  initialResourceVersion: num(values['initial-rv']),
  objects: values.objects ? loadObjects(values.objects) : [],
});

function out(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

type Op = (api: TestApiServer, ...args: any[]) => unknown;

/** Every operation of the protocol: the in-process control API, made serialisable. */
export const ops: Record<string, Op> = {
  put: (a, obj) => a.put(obj),
  create: (a, obj) => a.create(obj),
  update: (a, obj) => a.update(obj),
  patch: (a, ref, patch, type) => a.patch(ref, patch, type),
  delete: (a, ref) => a.delete(ref),
  get: (a, ref) => a.get(ref) ?? null,
  list: (a, kind, ns) => a.list(kind, ns ?? undefined), // JSON turns an omitted namespace into null
  resourceVersion: (a) => a.resourceVersion,
  expireBefore: (a, rv) => a.expireBefore(rv),
  compact: (a) => a.compact(),
  advance: (a, n) => a.advance(n),
  setRetainEvents: (a, n) => {
    a.retainEvents = n;
  },
  setBookmarkInterval: (a, ms) => {
    a.bookmarkIntervalMs = ms;
  },
  setAnonymousAuth: (a, on) => {
    a.anonymousAuth = on;
  },
  dropWatches: (a, opts) => a.dropWatches(opts),
  watches: (a) => a.watches().map(({ cut: _c, ...w }) => w),
  stop: (a) => a.stop(),
  start: (a, opts) => a.start(opts),
  restart: (a, opts) => a.restart(opts),
  hang: (a, on) => a.hang(on),
  /** `path` may be {"regex": "…"} for a RegExp. */
  failRequests: (a, f) => a.failRequests({ ...f, path: f.path && typeof f.path === 'object' ? new RegExp(f.path.regex) : f.path, times: f.times === null ? Infinity : f.times }),
  clearFaults: (a) => a.clearFaults(),
  addToken: (a, token, user, groups) => a.addToken(token, user, groups),
  removeToken: (a, token) => a.removeToken(token),
  kubeconfig: (a, opts) => a.kubeconfig(opts),
  writeKubeconfig: (a, opts) => a.writeKubeconfig(opts),
  clientCert: (a, user, groups) => a.clientCert(user, groups),
  requests: (a) => a.requests(),
  info: (a) => info(a),
};

function info(a: TestApiServer) {
  return { url: a.url, port: a.port, token: a.token, caFile: a.caFile, caPem: a.caPem, listening: a.listening, resourceVersion: a.resourceVersion, kubeconfig: a.writeKubeconfig() };
}

let closing = false;
async function shutdown(code: number): Promise<never> {
  if (!closing) {
    closing = true;
    await api.close();
  }
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

out({ event: 'ready', ...info(api) });

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (!line.trim()) return;
  let id: unknown = null;
  try {
    const msg = JSON.parse(line) as { id?: unknown; op?: string; args?: unknown[] };
    id = msg.id ?? null;
    if (msg.op === 'close') {
      out({ id, ok: true, result: null });
      await shutdown(0);
    }
    const op = msg.op ? ops[msg.op] : undefined;
    if (!op) throw new Error(`unknown op ${JSON.stringify(msg.op)}; ops: ${Object.keys(ops).join(', ')}, close`);
    const result = await op(api, ...(msg.args ?? []));
    out({ id, ok: true, result: result ?? null });
  } catch (e) {
    const error = e instanceof ApiError ? { message: e.message, code: e.code, reason: e.reason, status: e.toStatus() } : { message: e instanceof Error ? e.message : String(e) };
    out({ id, ok: false, error });
  }
});
lines.on('close', () => void shutdown(0));

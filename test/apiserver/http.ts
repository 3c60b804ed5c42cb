// HTTP routing and the REST handlers: authentication and authorization,
// discovery, health and version endpoints, and for each served resource
// list / watch / get / create / update / patch / delete / deletecollection
// on the same paths, verbs, status codes and bodies as kube-apiserver.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { Authenticator, forbiddenMessage, isPublicPath, type Authorizer, type RequestAttributes, type UserInfo } from './auth.ts';
import { aggregated, apiGroupDoc, apiGroupList, apiResourceList, apiVersions, etag, serverVersion } from './discovery.ts';
import { checkFields, parseFieldValidation } from './fields.ts';
import { openapiDoc, openapiRoot } from './openapi.ts';
import { bodyType, contentTypeFor, negotiate, negotiateDiscovery, type Target } from './negotiate.ts';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { Registry, type ListResult } from './registry.ts';
import { byPath, type ResourceDef } from './resources.ts';
import { combine, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError, errors, statusFailure } from './status.ts';
import type { KubeObject } from './store.ts';
import { partialObjectMetadata, toTable, type IncludeObject } from './table.ts';
import { validateWatchParams, WatchStream, type WatchEventType } from './watch.ts';

export interface ActiveWatch {
  readonly id: number;
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly resourceVersion: string;
  readonly query: string;
  readonly user: string;
  readonly since: Date;
  /** Ends this watch: `graceful` closes the stream as a server timeout does; otherwise the TCP connection is destroyed. */
  cut(graceful?: boolean): void;
}

export interface RequestRecord {
  readonly time: Date;
  readonly method: string;
  readonly path: string;
  /** The raw query string without '?'. */
  readonly query: string;
  readonly user: string | undefined;
  readonly code: number;
  readonly watch: boolean;
  readonly auditId: string;
}

export interface Fault {
  method?: string;
  /** Exact path, or a RegExp tested against the path. */
  path?: string | RegExp;
  code: number;
  reason?: string;
  message?: string;
  retryAfterSeconds?: number;
  /** How many matching requests fail; Infinity until cleared. */
  times: number;
}

const maxBody = 3 * 1024 * 1024;
const watchBodyTypes = ['application/json', 'application/yaml'];
const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

interface Route {
  r: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  legacyWatch: boolean;
}

function parseBool(v: string | null, name: string): boolean | undefined {
  if (v === null) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False', ''].includes(v)) return false;
  throw errors.badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function parseIntParam(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function stripTypeMeta(o: KubeObject): Record<string, unknown> {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
}

export interface ApiHandlerOptions {
  registry: Registry;
  authn: Authenticator;
  bookmarkIntervalMs: () => number;
  serverAddress: () => string;
}

export class ApiHandler {
  readonly registry: Registry;
  readonly authn: Authenticator;
  authorizer: Authorizer | undefined;
  readonly watches = new Set<ActiveWatch>();
  readonly log: RequestRecord[] = [];
  logLimit = 5000;
  faults: Fault[] = [];
  hanging = false;
  private readonly hung = new Set<ServerResponse>();
  private readonly opts: ApiHandlerOptions;
  private watchSeq = 0;
  private readonly logWaiters = new Set<() => void>();

  constructor(opts: ApiHandlerOptions) {
    this.opts = opts;
    this.registry = opts.registry;
    this.authn = opts.authn;
  }

  /** Wakes whoever waits on the request log. */
  onLog(fn: () => void): () => void {
    this.logWaiters.add(fn);
    return () => this.logWaiters.delete(fn);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const auditId = randomUUID();
    const url = new URL(req.url ?? '/', 'https://apiserver.invalid');
    let user: UserInfo | undefined;
    let isWatch = false;
    res.setHeader('Audit-Id', auditId);
    res.setHeader('Cache-Control', 'no-cache, private');
    res.on('close', () => {
      const rec: RequestRecord = { time: new Date(), method: req.method ?? '', path: url.pathname, query: url.search.slice(1), user: user?.name, code: res.statusCode, watch: isWatch, auditId };
      this.log.push(rec);
      if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
      for (const w of [...this.logWaiters]) w();
    });
    if (this.hanging) {
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    const run = async () => {
      user = this.authn.authenticate(req);
      if (!user) throw errors.unauthorized();
      const fault = this.takeFault(req.method ?? '', url.pathname);
      if (fault) {
        if (fault.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(fault.retryAfterSeconds));
        throw new ApiError(fault.code, fault.reason ?? defaultReason(fault.code), fault.message ?? defaultMessage(fault.code), fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : undefined);
      }
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const segs = path.split('/').filter(Boolean);
      if (segs[0] === 'api' && segs[1] === 'v1' && segs.length > 2) return this.resourceRequest(req, res, url, user, this.route('', 'v1', segs.slice(2)), (w) => (isWatch = w));
      if (segs[0] === 'apis' && segs.length > 3) return this.resourceRequest(req, res, url, user, this.route(segs[1]!, segs[2]!, segs.slice(3)), (w) => (isWatch = w));
      this.authorize({ user, verb: (req.method ?? 'GET').toLowerCase(), path });
      if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed();
      return this.nonResource(req, res, path, segs);
    };
    run().catch((e: unknown) => this.fail(res, e));
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const f = this.faults.find((x) => x.times > 0 && (!x.method || x.method === method) && (!x.path || (typeof x.path === 'string' ? x.path === path : x.path.test(path))));
    if (f) {
      f.times--;
      this.faults = this.faults.filter((x) => x.times > 0);
    }
    return f;
  }

  /** Ends every request left unanswered by hang mode. */
  releaseHung(): void {
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
  }

  private authorize(a: RequestAttributes): void {
    const allowed = isPublicPath(a.path) || (this.authorizer ? this.authorizer(a) : a.user.name !== 'system:anonymous');
    if (!allowed) throw errors.forbidden(forbiddenMessage(a), a.resource ? { group: a.apiGroup ?? '', plural: a.resource } : undefined, a.name);
  }

  private fail(res: ServerResponse, e: unknown): void {
    const err = e instanceof ApiError ? e : errors.internal(e instanceof Error ? e.message : String(e));
    if (!(e instanceof ApiError)) console.error('test apiserver: internal error:', e);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(res, err.code, err.toStatus());
  }

  private send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private nonResource(req: IncomingMessage, res: ServerResponse, path: string, segs: string[]): void {
    if (path === '/healthz' || path === '/livez' || path === '/readyz' || /^\/(healthz|livez|readyz)\//.test(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('ok');
      return;
    }
    if (path === '/version') return this.send(res, 200, serverVersion);
    if (path === '/openapi/v3') return this.send(res, 200, openapiRoot());
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiDoc(path.slice('/openapi/v3/'.length));
      if (!doc) throw errors.pathNotFound();
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(doc), 'Cache-Control': 'public, immutable' });
      res.end(doc);
      return;
    }
    if (path === '/api' || path === '/apis') {
      const want = negotiateDiscovery(req.headers.accept);
      if (want !== 'legacy') return this.sendDiscovery(req, res, aggregated(path === '/api', want), `application/json;g=apidiscovery.k8s.io;v=${want};as=APIGroupDiscoveryList`);
      return this.sendDiscovery(req, res, path === '/api' ? apiVersions(this.opts.serverAddress()) : apiGroupList(), 'application/json');
    }
    let doc: Record<string, unknown> | undefined;
    if (segs[0] === 'api' && segs.length === 2) doc = apiResourceList('', segs[1]!);
    else if (segs[0] === 'apis' && segs.length === 2) doc = apiGroupDoc(segs[1]!);
    else if (segs[0] === 'apis' && segs.length === 3) doc = apiResourceList(segs[1]!, segs[2]!);
    if (!doc) throw errors.pathNotFound();
    this.send(res, 200, doc);
  }

  private sendDiscovery(req: IncomingMessage, res: ServerResponse, doc: Record<string, unknown>, contentType: string): void {
    const text = JSON.stringify(doc);
    const tag = etag(text);
    res.setHeader('Vary', 'Accept');
    res.setHeader('ETag', tag);
    if (req.headers['if-none-match'] === tag) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private route(group: string, version: string, rest: string[]): Route {
    let legacyWatch = false;
    if (rest[0] === 'watch') {
      legacyWatch = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    const nsSub = group === '' && rest[0] === 'namespaces' && rest.length === 3 && ['status', 'finalize'].includes(rest[2]!);
    if (rest[0] === 'namespaces' && rest.length >= 3 && !nsSub) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length < 1 || rest.length > 3) throw errors.pathNotFound();
    const r = byPath(group, version, rest[0]!);
    if (!r || (namespace !== undefined && !r.namespaced)) throw errors.pathNotFound();
    const subresource = rest[2];
    if (subresource !== undefined && !r.subresources.includes(subresource)) throw errors.pathNotFound();
    if (legacyWatch && subresource) throw errors.pathNotFound();
    return { r, namespace, name: rest[1], subresource, legacyWatch };
  }

  private async resourceRequest(req: IncomingMessage, res: ServerResponse, url: URL, user: UserInfo, rt: Route, markWatch: (w: boolean) => void): Promise<void> {
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const watch = rt.legacyWatch || (method === 'GET' && rt.subresource === undefined && parseBool(q.get('watch'), 'watch') === true);
    let verb: string;
    switch (method) {
      case 'GET':
        verb = watch ? 'watch' : rt.name ? 'get' : 'list';
        break;
      case 'POST':
        if (rt.name || (rt.r.namespaced && rt.namespace === undefined)) throw errors.methodNotAllowed();
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = rt.name ? 'delete' : 'deletecollection';
        break;
      default:
        throw errors.methodNotAllowed();
    }
    if ((verb === 'update' || verb === 'patch') && !rt.name) throw errors.methodNotAllowed();
    if (!rt.subresource && !rt.r.verbs.includes(verb)) throw errors.methodNotAllowed();
    if (rt.subresource && !['get', 'update', 'patch'].includes(verb)) throw errors.methodNotAllowed();
    this.authorize({ user, verb, path: url.pathname, resource: rt.r.plural, subresource: rt.subresource, apiGroup: rt.r.group, namespace: rt.namespace, name: rt.name });
    const target = negotiate(req.headers.accept);
    const dryRun = this.dryRun(q);
    const reg = this.registry;
    const r = rt.r;
    switch (verb) {
      case 'watch':
        markWatch(true);
        return this.watch(req, res, url, user, rt, target);
      case 'list': {
        if (q.has('sendInitialEvents')) throw errors.badRequest('sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list');
        const result = await reg.list(r, {
          namespace: rt.namespace,
          match: this.matcher(r, q),
          resourceVersion: q.get('resourceVersion') ?? undefined,
          resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
          limit: parseIntParam(q.get('limit'), 'limit'),
          continue: q.get('continue') ?? undefined,
        });
        return this.sendList(res, r, result, target, q);
      }
      case 'get':
        return this.sendObject(res, 200, r, reg.get(r, rt.namespace, rt.name!), target, q);
      case 'create': {
        const body = (await this.readObject(req)) as KubeObject;
        this.checkFields(res, r, body, q, true);
        return this.sendObject(res, 201, r, reg.create(r, rt.namespace, body, { dryRun }), target, q);
      }
      case 'update': {
        const body = (await this.readObject(req)) as KubeObject;
        this.checkFields(res, r, body, q, true);
        const { object, created } = reg.update(r, rt.namespace, rt.name!, body, { subresource: rt.subresource, dryRun });
        return this.sendObject(res, created ? 201 : 200, r, object, target, q);
      }
      case 'patch':
        return this.patch(req, res, rt, target, q, dryRun);
      case 'delete': {
        const opts = (await this.readDeleteOptions(req)) as { preconditions?: { uid?: string; resourceVersion?: string } };
        const { body, code } = reg.delete(r, rt.namespace, rt.name!, { preconditions: opts.preconditions, dryRun });
        if (body.kind === 'Status') return this.send(res, code, body);
        return this.sendObject(res, code, r, body as KubeObject, target, q);
      }
      case 'deletecollection': {
        const opts = (await this.readDeleteOptions(req)) as { preconditions?: { uid?: string; resourceVersion?: string } };
        const listed = await reg.list(r, { namespace: rt.namespace, match: this.matcher(r, q) });
        const gone: KubeObject[] = [];
        for (const o of listed.items) {
          const { body } = reg.delete(r, o.metadata.namespace, o.metadata.name!, { preconditions: opts.preconditions, dryRun });
          gone.push(body.kind === 'Status' ? o : (body as KubeObject));
        }
        return this.sendList(res, r, { items: gone, resourceVersion: String(reg.store.revision) }, target, q);
      }
    }
  }

  /** fieldValidation: Strict refuses unknown fields (400), Warn (the default) answers with Warning headers. */
  private checkFields(res: ServerResponse, r: ResourceDef, body: unknown, q: URLSearchParams, whole: boolean): void {
    const wrap = whole ? (m: string) => `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${m}` : undefined;
    const warnings = checkFields(r.kind, body, parseFieldValidation(q.get('fieldValidation')), wrap);
    if (warnings.length) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  }

  private dryRun(q: URLSearchParams): boolean {
    const vals = q.getAll('dryRun');
    for (const v of vals) if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
    return vals.length > 0;
  }

  private matcher(r: ResourceDef, q: URLSearchParams) {
    return combine(parseLabelSelector(q.get('labelSelector')), parseFieldSelector(q.get('fieldSelector'), r.fieldLabels));
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > maxBody) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  private async readObject(req: IncomingMessage): Promise<unknown> {
    const type = bodyType(req.headers['content-type']);
    if (!watchBodyTypes.includes(type)) throw errors.unsupportedMediaType(type, [...watchBodyTypes, 'application/vnd.kubernetes.protobuf']);
    return decode(await this.readBody(req), type);
  }

  private async readDeleteOptions(req: IncomingMessage): Promise<unknown> {
    const buf = await this.readBody(req);
    if (buf.length === 0) return {};
    return decode(buf, bodyType(req.headers['content-type']));
  }

  private async patch(req: IncomingMessage, res: ServerResponse, rt: Route, target: Target, q: URLSearchParams, dryRun: boolean): Promise<void> {
    const type = bodyType(req.headers['content-type']);
    if (!patchTypes.includes(type)) throw errors.unsupportedMediaType(type, patchTypes);
    const raw = await this.readBody(req);
    const r = rt.r;
    const reg = this.registry;
    if (type === 'application/apply-patch+yaml') {
      // Server-side apply, approximated: create when absent, else a merge of the applied configuration.
      if (!q.get('fieldManager')) throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [{ field: 'fieldManager', type: 'Required value', detail: 'is required for apply patch' }]);
      const applied = decode(raw, 'application/yaml') as KubeObject;
      if (typeof applied !== 'object' || applied === null) throw errors.badRequest('error decoding YAML: the apply configuration is not an object');
      this.checkFields(res, r, applied, q, false);
      const exists = (() => {
        try {
          reg.get(r, rt.namespace, rt.name!);
          return true;
        } catch {
          return false;
        }
      })();
      if (!exists && !rt.subresource) {
        const created = reg.create(r, rt.namespace, { ...applied, metadata: { ...(applied.metadata ?? {}), name: rt.name } }, { dryRun });
        return this.sendObject(res, 201, r, created, target, q);
      }
      const out = reg.patch(r, rt.namespace, rt.name!, (cur) => mergePatch(cur, applied), { subresource: rt.subresource, dryRun });
      return this.sendObject(res, 200, r, out, target, q);
    }
    const patch = decode(raw, 'application/json');
    if (type !== 'application/json-patch+json') this.checkFields(res, r, patch, q, false);
    const apply = (cur: KubeObject): unknown => {
      if (type === 'application/json-patch+json') return jsonPatch(cur, patch);
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw errors.badRequest('the patch is not a JSON object');
      return type === 'application/merge-patch+json' ? mergePatch(cur, patch) : strategicMergePatch(cur, patch, r.mergeKeys);
    };
    const out = reg.patch(r, rt.namespace, rt.name!, apply, { subresource: rt.subresource, dryRun });
    this.sendObject(res, 200, r, out, target, q);
  }

  private includeObject(q: URLSearchParams): IncludeObject {
    const v = q.get('includeObject') ?? 'Metadata';
    if (v === '') return 'Metadata';
    if (v !== 'None' && v !== 'Metadata' && v !== 'Object') throw errors.badRequest(`unrecognized includeObject value: ${JSON.stringify(v)}`);
    return v;
  }

  private sendObject(res: ServerResponse, code: number, r: ResourceDef, o: KubeObject, target: Target, q: URLSearchParams): void {
    if (target.as === 'object') return this.send(res, code, o);
    if (target.as === 'PartialObjectMetadata') return this.send(res, code, partialObjectMetadata(o, target.version), contentTypeFor(target));
    const table = toTable(r, [o], { version: target.version, includeObject: this.includeObject(q), noHeaders: false, now: this.registry.now(), listMeta: { resourceVersion: o.metadata.resourceVersion } });
    this.send(res, code, table, contentTypeFor(target));
  }

  private sendList(res: ServerResponse, r: ResourceDef, l: ListResult, target: Target, q: URLSearchParams): void {
    const listMeta: Record<string, unknown> = { resourceVersion: l.resourceVersion };
    if (l.continue) listMeta.continue = l.continue;
    if (l.remainingItemCount !== undefined) listMeta.remainingItemCount = l.remainingItemCount;
    if (target.as === 'Table') {
      const table = toTable(r, l.items, { version: target.version, includeObject: this.includeObject(q), noHeaders: false, now: this.registry.now(), listMeta });
      return this.send(res, 200, table, contentTypeFor(target));
    }
    if (target.as === 'PartialObjectMetadata') {
      return this.send(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${target.version}`, metadata: listMeta, items: l.items.map((o) => partialObjectMetadata(o, target.version)) }, contentTypeFor(target));
    }
    // Items of a typed list carry no kind/apiVersion on the wire.
    this.send(res, 200, { kind: r.listKind, apiVersion: r.apiVersion, metadata: listMeta, items: l.items.map(stripTypeMeta) });
  }

  private async watch(req: IncomingMessage, res: ServerResponse, url: URL, user: UserInfo, rt: Route, target: Target): Promise<void> {
    const q = url.searchParams;
    const r = rt.r;
    let match = this.matcher(r, q);
    if (rt.name) match = combine(match, (o) => o.metadata.name === rt.name);
    const timeoutSeconds = parseIntParam(q.get('timeoutSeconds'), 'timeoutSeconds');
    // Without timeoutSeconds the apiserver picks a random time between its minimum request timeout (30 min) and twice that.
    const timeoutMs = timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds * 1000 : Math.round(1800_000 * (1 + Math.random()));
    const sendInitialEvents = parseBool(q.get('sendInitialEvents'), 'sendInitialEvents');
    const params = {
      resource: r,
      namespace: rt.namespace,
      match,
      resourceVersion: q.get('resourceVersion') ?? '',
      resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
      allowWatchBookmarks: parseBool(q.get('allowWatchBookmarks'), 'allowWatchBookmarks') ?? false,
      sendInitialEvents,
      timeoutMs,
      bookmarkIntervalMs: this.opts.bookmarkIntervalMs(),
    };
    validateWatchParams(params);
    const includeObject = target.as === 'Table' ? this.includeObject(q) : 'Metadata';
    let headersSent = false;
    const encode = (type: WatchEventType, object: Record<string, unknown>): Record<string, unknown> => {
      if (type === 'ERROR' || target.as === 'object') return object;
      const o = object as KubeObject;
      if (target.as === 'PartialObjectMetadata') return partialObjectMetadata(o, target.version);
      const rows = type === 'BOOKMARK' ? [] : [o];
      const table = toTable(r, rows, { version: target.version, includeObject, noHeaders: headersSent, now: this.registry.now(), listMeta: { resourceVersion: o.metadata.resourceVersion } });
      if (type !== 'BOOKMARK') headersSent = true;
      return table;
    };
    res.writeHead(200, { 'Content-Type': contentTypeFor(target), 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const stream = new WatchStream(this.registry.store, params, {
      event: (type, object) => {
        if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object: encode(type, object) })}\n`);
      },
      end: () => {
        this.watches.delete(active);
        if (!res.writableEnded) res.end();
      },
    });
    const active: ActiveWatch = {
      id: ++this.watchSeq,
      resource: r.plural,
      namespace: rt.namespace,
      resourceVersion: params.resourceVersion,
      query: url.search.slice(1),
      user: user.name,
      since: new Date(),
      cut: (graceful = false) => {
        if (graceful) stream.finish();
        else {
          stream.stop();
          res.socket?.destroy();
        }
      },
    };
    this.watches.add(active);
    const cleanup = () => {
      stream.stop();
      this.watches.delete(active);
    };
    res.on('close', cleanup);
    await stream.start();
  }
}

function decode(buf: Buffer, type: string): unknown {
  const text = buf.toString('utf8');
  try {
    return type === 'application/yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function defaultReason(code: number): string {
  return (
    { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 410: 'Expired', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' } as Record<number, string>
  )[code] ?? '';
}

function defaultMessage(code: number): string {
  return (
    {
      429: 'Too many requests, please try again later.',
      500: 'Internal error occurred: injected fault',
      503: 'service unavailable',
      504: 'Timeout: request did not complete within requested timeout - context deadline exceeded',
    } as Record<number, string>
  )[code] ?? `injected fault (${code})`;
}

export { statusFailure };

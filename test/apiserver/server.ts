// The test API server as tests use it in-process: `startApiServer()` makes
// certificates, listens on 127.0.0.1 on an ephemeral port and returns a
// handle with the control API — objects, history (compaction), connection
// faults (cut watches, stop / start on the same port, hang, injected
// errors), credentials and kubeconfig files, and what clients did.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { Authenticator, type Authorizer } from './auth.ts';
import { ApiHandler, type ActiveWatch, type Fault, type RequestRecord } from './http.ts';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { Registry } from './registry.ts';
import { resourceFor, type ResourceDef } from './resources.ts';
import { Store, type KubeObject } from './store.ts';
import { makePki, type CertPair, type Pki } from './tls.ts';

export interface ApiServerOptions {
  /** Port to listen on; default 0 (an ephemeral port, kept across stop/start). */
  port?: number;
  /** Address to listen on; default 127.0.0.1. It is also named in the server certificate. */
  host?: string;
  /** More names (IPs or DNS names) for the server certificate, e.g. an address forwarded to this one. */
  certNames?: readonly string[];
  /** Listen right away (default). With false the port is picked and the API is down until `start()`. */
  listen?: boolean;
  /** The bearer token of the default user `admin` (groups `system:masters`); default random. */
  token?: string;
  /** Requests without credentials become `system:anonymous` (403 except health and version) instead of 401. */
  anonymousAuth?: boolean;
  /** Period of BOOKMARK events on watches that allow them; default 1000 ms (a real server: about a minute). */
  bookmarkIntervalMs?: number;
  /** Events kept for watch replay before the oldest are compacted; default 10000. */
  retainEvents?: number;
  /** The resourceVersion the store starts at; default 1. */
  initialResourceVersion?: number;
  /** Objects stored before the server listens. */
  objects?: KubeObject[];
  /** Reuse certificates (e.g. across servers in one test file); by default each server makes its own. */
  pki?: Pki;
}

/** Which object: a kind (or apiVersion + kind), a namespace for namespaced kinds, a name. */
export interface ObjectRef {
  kind: string;
  apiVersion?: string;
  namespace?: string;
  name: string;
}

export type PatchType = 'merge' | 'strategic' | 'json';

export interface KubeconfigOptions {
  /** 'token' (default) or 'cert'. */
  auth?: 'token' | 'cert';
  /** For 'cert': the certificate's CN (default 'admin') and O entries (default ['system:masters']). */
  user?: string;
  groups?: string[];
  /** For 'token': the token to put in (default the server's token; it need not be valid). */
  token?: string;
  /** The context's default namespace. */
  namespace?: string;
  /** Override the server URL (e.g. another address that reaches this server). */
  server?: string;
}

function refOf(x: ObjectRef | KubeObject): { r: ResourceDef; namespace: string | undefined; name: string } {
  const r = resourceFor({ apiVersion: x.apiVersion, kind: x.kind });
  const meta = (x as KubeObject).metadata;
  const namespace = meta ? meta.namespace : (x as ObjectRef).namespace;
  const name = meta ? meta.name : (x as ObjectRef).name;
  if (!name) throw new Error('object reference without a name');
  if (r.namespaced && !namespace) throw new Error(`${r.kind} ${name}: namespace required`);
  return { r, namespace: r.namespaced ? namespace : undefined, name };
}

export class TestApiServer {
  readonly host: string;
  readonly pki: Pki;
  readonly store: Store;
  readonly registry: Registry;
  readonly handler: ApiHandler;
  readonly authn = new Authenticator();
  /** The default user's bearer token. */
  readonly token: string;
  /** A private temporary directory for kubeconfig files; removed by close(). */
  readonly dir: string;
  bookmarkIntervalMs: number;
  private readonly ownPki: boolean;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private portNumber: number;
  private closed = false;

  constructor(opts: ApiServerOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
    this.ownPki = !opts.pki;
    this.pki = opts.pki ?? makePki([this.host, ...(opts.certNames ?? [])].filter((n) => !['127.0.0.1', '::1', 'localhost'].includes(n)));
    this.dir = mkdtempSync(join(tmpdir(), 'kla-apiserver-'));
    this.store = new Store({ initialRevision: opts.initialResourceVersion, retainEvents: opts.retainEvents });
    this.registry = new Registry(this.store);
    this.token = opts.token ?? `kla-test-${randomBytes(16).toString('hex')}`;
    this.authn.tokens.set(this.token, { name: 'admin', groups: ['system:masters'] });
    this.authn.anonymous = opts.anonymousAuth ?? false;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 1000;
    this.portNumber = opts.port ?? 0;
    this.handler = new ApiHandler({
      registry: this.registry,
      authn: this.authn,
      bookmarkIntervalMs: () => this.bookmarkIntervalMs,
      serverAddress: () => `${this.host}:${this.portNumber}`,
    });
    this.server = createServer(
      // requestTimeout 0: a watch is one long request, never cut by Node's own request timer.
      { key: this.pki.server.keyPem, cert: this.pki.server.certPem, ca: this.pki.ca.certPem, requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], requestTimeout: 0 },
      (req, res) => this.handler.handle(req, res),
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('tlsClientError', () => {}); // clients that hang up mid-handshake (e.g. on a refused certificate)
    for (const o of opts.objects ?? []) this.put(o);
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `https://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.portNumber}`;
  }

  /** The CA certificate clients must trust (PEM). */
  get caPem(): string {
    return this.pki.ca.certPem;
  }

  /** Path of the CA certificate file. */
  get caFile(): string {
    return this.pki.ca.certPath;
  }

  get listening(): boolean {
    return this.server.listening;
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  /**
   * Listens (again) on the same port: the API is "up". With
   * `freshWatchCache`, history is forgotten as a restarted kube-apiserver's
   * new watch cache forgets it: watches from an older resourceVersion get
   * 410 and informers relist.
   */
  async start(opts: { freshWatchCache?: boolean } = {}): Promise<void> {
    if (this.closed) throw new Error('test apiserver: start() after close()');
    if (this.server.listening) return;
    if (opts.freshWatchCache) this.store.compact();
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.portNumber, this.host, () => {
        this.server.off('error', onError);
        this.portNumber = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  /** Stops listening and cuts every connection (watches too): clients see ECONNREFUSED until start(). State is kept. */
  async stop(): Promise<void> {
    this.handler.releaseHung();
    if (!this.server.listening) {
      for (const s of this.sockets) s.destroy();
      return;
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const w of [...this.handler.watches]) w.cut(false);
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /**
   * stop() then start(), as a kube-apiserver restart: by default with a
   * fresh watch cache (see start()); `{ freshWatchCache: false }` keeps
   * history, like a network outage in front of a server that never stopped.
   */
  async restart(opts: { freshWatchCache?: boolean } = {}): Promise<void> {
    await this.stop();
    await this.start({ freshWatchCache: opts.freshWatchCache ?? true });
  }

  /** Stops for good and removes the certificates and kubeconfig files. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    rmSync(this.dir, { recursive: true, force: true });
    if (this.ownPki) this.pki.remove();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Picks the ephemeral port without listening (for `listen: false`). */
  async reservePort(): Promise<void> {
    if (this.portNumber !== 0) return;
    await this.start();
    await this.stop();
  }

  // ── objects (control API: written as the storage layer would hold them) ─

  /**
   * Creates or replaces an object unconditionally. Defaults and system
   * metadata are filled in as the apiserver would; status is kept as given
   * (a Service's too) and nothing is validated, so tests can store what a
   * client could only reach in two steps — or what a real server refuses.
   */
  put(obj: KubeObject): KubeObject {
    const { r, namespace, name } = refOf(obj);
    const body = structuredClone(obj);
    delete body.metadata.resourceVersion;
    if (this.store.get(r, r.namespaced ? `${namespace}/${name}` : name)) return this.registry.update(r, namespace, name, body, { raw: true }).object;
    return this.registry.create(r, namespace, body, { raw: true });
  }

  /** Creates; throws the ApiError (409 AlreadyExists) if it exists. Validation and status reset as over HTTP. */
  create(obj: KubeObject): KubeObject {
    const { r, namespace } = refOf(obj);
    return this.registry.create(r, namespace, obj);
  }

  /** Replaces an existing object; with metadata.resourceVersion set it must match (409 Conflict). Status kept as given. */
  update(obj: KubeObject): KubeObject {
    const { r, namespace, name } = refOf(obj);
    return this.registry.update(r, namespace, name, obj, { raw: true }).object;
  }

  /** Patches an object (status included) with a merge (default), strategic merge or JSON patch. */
  patch(ref: ObjectRef | KubeObject, patch: unknown, type: PatchType = 'merge'): KubeObject {
    const { r, namespace, name } = refOf(ref);
    return this.registry.patch(
      r,
      namespace,
      name,
      (cur) => (type === 'json' ? jsonPatch(cur, patch) : type === 'strategic' ? strategicMergePatch(cur, patch, r.mergeKeys) : mergePatch(cur, patch)),
      { raw: true },
    );
  }

  /** Deletes at once (finalizers are not waited for). Returns false if there was nothing to delete. */
  delete(ref: ObjectRef | KubeObject): boolean {
    const { r, namespace, name } = refOf(ref);
    if (!this.store.get(r, r.namespaced ? `${namespace}/${name}` : name)) return false;
    this.registry.delete(r, namespace, name, { raw: true });
    return true;
  }

  get(ref: ObjectRef | KubeObject): KubeObject | undefined {
    const { r, namespace, name } = refOf(ref);
    return this.store.get(r, r.namespaced ? `${namespace}/${name}` : name);
  }

  /** Current objects of a kind, optionally of one namespace, in etcd key order. */
  list(kind: string, namespace?: string): KubeObject[] {
    const r = resourceFor({ kind });
    return this.store
      .items(r)
      .filter(({ object }) => namespace === undefined || object.metadata.namespace === namespace)
      .map(({ object }) => object);
  }

  // ── history ──────────────────────────────────────────────────────────────

  /** The latest resourceVersion (the global revision), as a string like every resourceVersion. */
  get resourceVersion(): string {
    return String(this.store.revision);
  }

  /** Every resourceVersion below `rv` becomes too old: watches from them get 410, exact lists 410. */
  expireBefore(rv: string | number): void {
    this.store.compact(Number(rv));
  }

  /** Compacts everything up to now: only the current resourceVersion remains watchable. */
  compact(): void {
    this.store.compact();
  }

  /** Moves the global revision on without changing any served object (other activity in the cluster). */
  advance(n = 1): string {
    return String(this.store.advance(n));
  }

  set retainEvents(n: number) {
    this.store.retainEvents = n;
  }

  // ── connections and faults ──────────────────────────────────────────────

  /** Open watch connections. */
  watches(): ActiveWatch[] {
    return [...this.handler.watches];
  }

  /**
   * Cuts every open watch (optionally only those of one resource, e.g.
   * 'services'). Default: the TCP connection is destroyed, as a network cut
   * or a crashed server does; `graceful` ends the stream cleanly instead, as
   * the server's own timeout does. Returns how many were cut.
   */
  dropWatches(opts: { graceful?: boolean; resource?: string } = {}): number {
    let n = 0;
    for (const w of [...this.handler.watches]) {
      if (opts.resource && w.resource !== opts.resource) continue;
      w.cut(opts.graceful ?? false);
      n++;
    }
    return n;
  }

  /** While on, requests are accepted and never answered (a stuck apiserver). Off releases nothing already hung. */
  hang(on: boolean): void {
    this.handler.hanging = on;
  }

  /** Answers matching requests with an error Status (e.g. 429 with Retry-After, 500, 503) `times` times. */
  failRequests(fault: Omit<Fault, 'times'> & { times?: number }): void {
    this.handler.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.handler.faults = [];
  }

  // ── credentials ─────────────────────────────────────────────────────────

  addToken(token: string, user = 'admin', groups: string[] = ['system:masters']): void {
    this.authn.tokens.set(token, { name: user, groups });
  }

  removeToken(token: string): void {
    this.authn.tokens.delete(token);
  }

  /** A client certificate (PEM) signed by this server's CA. */
  clientCert(user = 'admin', groups: string[] = ['system:masters']): CertPair {
    return this.pki.issueClient(user, groups);
  }

  /** Decides 403s; undefined restores allow-all for authenticated users. */
  authorize(fn: Authorizer | undefined): void {
    this.handler.authorizer = fn;
  }

  set anonymousAuth(on: boolean) {
    this.authn.anonymous = on;
  }

  /** A kubeconfig (YAML) for this server. */
  kubeconfig(opts: KubeconfigOptions = {}): string {
    const user: Record<string, string> = {};
    if ((opts.auth ?? 'token') === 'cert') {
      const c = this.clientCert(opts.user ?? 'admin', opts.groups ?? ['system:masters']);
      user['client-certificate-data'] = Buffer.from(c.certPem).toString('base64');
      user['client-key-data'] = Buffer.from(c.keyPem).toString('base64');
    } else user.token = opts.token ?? this.token;
    const context: Record<string, string> = { cluster: 'kla-test', user: 'kla-test' };
    if (opts.namespace) context.namespace = opts.namespace;
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'kla-test', cluster: { server: opts.server ?? this.url, 'certificate-authority-data': Buffer.from(this.caPem).toString('base64') } }],
      users: [{ name: 'kla-test', user }],
      contexts: [{ name: 'kla-test', context }],
      'current-context': 'kla-test',
      preferences: {},
    });
  }

  private kubeconfigSeq = 0;

  /** Writes a kubeconfig file (into this server's temporary directory unless `path` is given) and returns its path. */
  writeKubeconfig(opts: KubeconfigOptions & { path?: string } = {}): string {
    const path = opts.path ?? join(this.dir, `kubeconfig-${++this.kubeconfigSeq}.yaml`);
    writeFileSync(path, this.kubeconfig(opts), { mode: 0o600 });
    return path;
  }

  // ── observation ─────────────────────────────────────────────────────────

  /** Requests answered (or ended) so far, oldest first. */
  requests(filter?: (r: RequestRecord) => boolean): RequestRecord[] {
    return filter ? this.handler.log.filter(filter) : [...this.handler.log];
  }

  /** Resolves with the first open watch matching `pred` (waiting for it to appear). */
  waitForWatch(pred: (w: ActiveWatch) => boolean = () => true, timeoutMs = 5000): Promise<ActiveWatch> {
    return poll(() => this.watches().find(pred), timeoutMs, 'a matching watch');
  }

  /** Resolves with the first logged request matching `pred` (waiting for it). */
  waitForRequest(pred: (r: RequestRecord) => boolean, timeoutMs = 5000): Promise<RequestRecord> {
    return poll(() => this.handler.log.find(pred), timeoutMs, 'a matching request');
  }
}

async function poll<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`test apiserver: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Makes a server and (unless `listen: false`) starts it. Close it with `close()` (or `await using`). */
export async function startApiServer(opts: ApiServerOptions = {}): Promise<TestApiServer> {
  const s = new TestApiServer(opts);
  try {
    if (opts.listen === false) await s.reservePort();
    else await s.start();
  } catch (e) {
    await s.close();
    throw e;
  }
  return s;
}

// Credentials and TLS for the API, from a kubeconfig file, through
// @kubernetes/client-node's KubeConfig: client certificates, bearer tokens,
// exec credential plugins, auth providers, CA bundles, tls-server-name,
// insecure-skip-tls-verify and proxies are all its job. Only KubeConfig is
// imported (deep import); list/watch is ours — see api-client.ts for why.
//
// Loading KubeConfig still costs: its module imports undici and the whole
// generated API, used only by makeApiClient/applySecurityAuthentication,
// never by us. Bundled as is: +33 MB RSS, 1.4 MB of bundle; with those two
// stubbed out at bundle time (the plugin in test/cluster/footprint.ts):
// +13 MB, 0.28 MB.
//
// Two gaps of KubeConfig 2.0.1 are filled here:
// - it reads a user's token file from `token-file`, but kubectl and client-go
//   write and read `tokenFile`; it reads it once and keeps the trailing newline
//   (an invalid header). We read `tokenFile` (and `token-file`), relative to the
//   kubeconfig's folder, trimmed, again whenever the file changes, since
//   projected ServiceAccount tokens rotate;
// - its https.Agent has no keep-alive, so every request (a Lease renewal every
//   few seconds) would pay a TLS handshake. Without a proxy we keep our own
//   keep-alive agent, rebuilt when the TLS material changes (certificate
//   rotation on disk).

import { readFileSync, statSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { parse as parseYaml } from 'yaml';
import { AgentError } from '../errors.ts';

/** What one request needs: the server's base URL and fresh per-request options. */
export interface ApiEndpoint {
  /** The cluster's `server`, without a trailing slash (may carry a path prefix). */
  readonly server: string;
  readonly secure: boolean;
  /** Headers (Authorization, impersonation) and an agent with the TLS material; re-evaluated per request. */
  requestOptions(): Promise<RequestOptions>;
  /** Closes idle keep-alive connections. */
  close(): void;
}

/** Loads a kubeconfig; throws AgentError KUBECONFIG with a reason a person can act on. */
export function loadKubeconfig(path: string): ApiEndpoint {
  const kc = new KubeConfig();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    kc.loadFromString(text);
    kc.makePathsAbsolute(dirname(path));
  } catch (e) {
    throw new AgentError('KUBECONFIG', `cannot load kubeconfig ${path}: ${(e as Error).message}`, { cause: e });
  }
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!kc.getCurrentContext()) throw new AgentError('KUBECONFIG', `kubeconfig ${path}: no current-context`);
  if (!cluster || !cluster.server) {
    throw new AgentError('KUBECONFIG', `kubeconfig ${path}: context "${kc.getCurrentContext()}" names no cluster with a server`);
  }
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch (e) {
    throw new AgentError('KUBECONFIG', `kubeconfig ${path}: server "${cluster.server}" is not a URL`, { cause: e });
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') {
    throw new AgentError('KUBECONFIG', `kubeconfig ${path}: server "${cluster.server}" is neither https nor http`);
  }
  const secure = server.protocol === 'https:';
  if (!secure && !cluster.skipTLSVerify) {
    throw new AgentError('KUBECONFIG', `kubeconfig ${path}: plain http to "${cluster.server}" needs insecure-skip-tls-verify: true`);
  }
  const tokenFile = user ? tokenFileOf(text, user.name, dirname(path)) : null;
  const token = tokenFile ? new TokenFile(tokenFile) : null;
  const proxied = Boolean(cluster.proxyUrl);
  const agents = new AgentCache(secure);

  return {
    server: cluster.server.replace(/\/+$/, ''),
    secure,
    async requestOptions() {
      const opts: RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      const headers = { ...(opts.headers as Record<string, string> | undefined) };
      if (token) headers.Authorization = `Bearer ${token.read()}`;
      opts.headers = headers;
      if (!proxied) opts.agent = agents.get(opts);
      return opts;
    },
    close() {
      agents.close();
    },
  };
}

// The kubeconfig's users[].user.tokenFile (client-go's name) or token-file.
function tokenFileOf(kubeconfig: string, userName: string, base: string): string | null {
  const doc = parseYaml(kubeconfig) as { users?: { name?: string; user?: Record<string, unknown> }[] } | null;
  const user = doc?.users?.find((u) => u?.name === userName)?.user;
  const file = user?.tokenFile ?? user?.['token-file'];
  if (typeof file !== 'string' || file === '' || typeof user?.token === 'string') return null;
  return isAbsolute(file) ? file : join(base, file);
}

class TokenFile {
  readonly #path: string;
  #stamp = '';
  #token = '';
  constructor(path: string) {
    this.#path = path;
  }
  read(): string {
    try {
      const st = statSync(this.#path);
      const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
      if (stamp !== this.#stamp) {
        this.#token = readFileSync(this.#path, 'utf8').trim();
        this.#stamp = stamp;
      }
    } catch (e) {
      // Keep the last good token: the file may be mid-rotation.
      if (this.#token === '') throw new AgentError('KUBECONFIG', `cannot read token file ${this.#path}: ${(e as Error).message}`, { cause: e });
    }
    return this.#token;
  }
}

const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

class AgentCache {
  readonly #secure: boolean;
  #agent: HttpAgent | HttpsAgent | null = null;
  #material: unknown[] = [];
  constructor(secure: boolean) {
    this.#secure = secure;
  }
  get(opts: RequestOptions): HttpAgent | HttpsAgent {
    const material = TLS_KEYS.map((k) => opts[k]);
    if (this.#agent && material.every((m, i) => sameMaterial(m, this.#material[i]))) return this.#agent;
    this.#agent?.destroy();
    const tls = Object.fromEntries(TLS_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
    const common = { keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 2, scheduling: 'lifo' as const };
    this.#agent = this.#secure ? new HttpsAgent({ ...common, ...tls }) : new HttpAgent(common);
    this.#material = material;
    return this.#agent;
  }
  close(): void {
    this.#agent?.destroy();
    this.#agent = null;
  }
}

function sameMaterial(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

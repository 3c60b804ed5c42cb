// Authentication as kube-apiserver's union authenticator does it: a client
// certificate verified against the CA (CN = user, O = groups) or a bearer
// token; invalid credentials are 401. Without credentials the request is
// `system:anonymous` when anonymous auth is on (then only the public paths
// are allowed, 403 elsewhere), else 401 (`--anonymous-auth=false`).
// Authorization is allow-all for authenticated users unless a rule says no.

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface RequestAttributes {
  user: UserInfo;
  verb: string; // get list watch create update patch delete deletecollection, or the HTTP verb for non-resource paths
  path: string;
  resource?: string;
  subresource?: string;
  apiGroup?: string;
  namespace?: string;
  name?: string;
}

/** Returns false to answer 403 Forbidden. */
export type Authorizer = (a: RequestAttributes) => boolean;

export const anonymousUser: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

const publicPaths = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export function isPublicPath(path: string): boolean {
  return publicPaths.has(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}

export class Authenticator {
  readonly tokens = new Map<string, UserInfo>();
  anonymous = false;

  /** The user, or undefined for 401. */
  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      const cert = socket.getPeerCertificate();
      const cn = cert?.subject?.CN;
      if (cn) {
        const o = cert.subject.O;
        const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
        return { name: Array.isArray(cn) ? cn[0]! : cn, groups: [...groups, 'system:authenticated'] };
      }
    }
    const header = req.headers.authorization;
    if (header) {
      const m = header.match(/^bearer\s+(\S+)\s*$/i);
      const user = m ? this.tokens.get(m[1]!) : undefined;
      if (user) return { name: user.name, groups: [...user.groups, 'system:authenticated'] };
      return undefined;
    }
    const presentedCert = socket.getPeerCertificate?.();
    if (presentedCert && Object.keys(presentedCert).length > 0) return undefined; // a certificate, but not one of ours
    return this.anonymous ? anonymousUser : undefined;
  }
}

export function forbiddenMessage(a: RequestAttributes): string {
  if (!a.resource) return `forbidden: User "${a.user.name}" cannot ${a.verb.toLowerCase()} path "${a.path}"`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${a.user.name}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup ?? ''}" ${scope}`;
}

// Checks for the names and paths the config refers to: each returns what is
// wrong and what to do, or undefined when the text is fine.

import { isAbsolute } from 'node:path';
import { labelKeyProblem } from './selector.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A lower-case DNS label (RFC 1123): Kubernetes namespaces, pool names. */
export function dnsLabelProblem(s: string): string | undefined {
  if (s.length <= 63 && DNS_LABEL.test(s)) return undefined;
  const fixed = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  const hint = fixed && DNS_LABEL.test(fixed) ? `, such as ${JSON.stringify(fixed)}` : '';
  return `${JSON.stringify(s)} is not a DNS label — use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit${hint}`;
}

/** A Kubernetes object name such as a Node's ('' allowed where it means "default"). */
export function nodeNameProblem(s: string): string | undefined {
  if (s === '' || (s.length <= 253 && DNS_SUBDOMAIN.test(s))) return undefined;
  return `${JSON.stringify(s)} is not a valid Node name — use lower-case letters, digits, '-' and '.', as \`kubectl get nodes\` shows it, or "" for the host name`;
}

/** The kernel's dev_valid_name(): 1..15 bytes, not . or .., no '/', ':' or white space. */
export function ifnameProblem(s: string): string | undefined {
  const bytes = Buffer.byteLength(s);
  if (bytes === 0) return 'is empty — name the interface, such as "kube-lb0"';
  if (bytes > 15) return `${JSON.stringify(s)} is ${bytes} bytes long; Linux interface names have at most 15 — use a shorter name, such as "kube-lb0"`;
  if (s === '.' || s === '..' || /[/:\s]/.test(s)) {
    return `${JSON.stringify(s)} is not a valid Linux interface name — no '/', ':' or spaces, not "." or ".."`;
  }
  return undefined;
}

export function absolutePathProblem(s: string, allowEmpty: boolean): string | undefined {
  if (allowEmpty && s === '') return undefined;
  if (s === '') return 'is empty — write an absolute path';
  if (!isAbsolute(s)) return `${JSON.stringify(s)} is not an absolute path — write it from /, since the service does not run in your working directory`;
  return undefined;
}

export function httpUrlProblem(s: string): string | undefined {
  if (s === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(s);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return undefined;
  return `${JSON.stringify(s)} is not an http(s) URL — write one such as "http://127.0.0.1:10256/healthz", or "" not to wait`;
}

/** spec.loadBalancerClass is a label-style key ("example.com/name" or "name"). */
export function lbClassProblem(s: string): string | undefined {
  const problem = labelKeyProblem(s);
  return problem && `${problem} — a loadBalancerClass is a label-style name such as "kube-lb-agent" or "example.com/lb"`;
}
